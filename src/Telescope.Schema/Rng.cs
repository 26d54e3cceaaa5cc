namespace Telescope;

/// <summary>
/// A small seeded generator (xoshiro256** seeded by SplitMix64), independent of .NET and libtorch
/// versions and devices, so that initialisation, data order and label noise are the same everywhere
/// for the same seed. The one xoshiro256** of the library: the engine's initialisation and data order, and the
/// theory's bulk normals (<c>Telescope.Theory.NormalStream</c>) draw their bits here.
/// </summary>
public sealed class Rng
{
    private ulong _s0,
        _s1,
        _s2,
        _s3;

    /// <summary>A generator for <paramref name="seed"/>; <paramref name="stream"/> separates independent uses of one seed.</summary>
    public Rng(long seed, ulong stream = 0)
    {
        ulong x = unchecked((ulong)seed ^ (stream * 0x9E3779B97F4A7C15UL));
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong Rotl(ulong x, int k) => (x << k) | (x >> (64 - k));

    /// <summary>Next 64 random bits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining
    )]
    public ulong NextUInt64()
    {
        ulong result = Rotl(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = Rotl(_s3, 45);
        return result;
    }

    /// <summary>Uniform on [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer on [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    /// <summary>Standard normal (Box–Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        double u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Uniform on [−bound, bound).</summary>
    public double Uniform(double bound) => (2 * NextDouble() - 1) * bound;

    /// <summary>A uniformly random permutation of 0..n−1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++)
            p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(NextDouble() * (i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    /// <summary>The full state, for checkpoints.</summary>
    public ulong[] State => [_s0, _s1, _s2, _s3];

    /// <summary>Restore a state saved with <see cref="State"/>.</summary>
    public void Restore(ulong[] s) => (_s0, _s1, _s2, _s3) = (s[0], s[1], s[2], s[3]);
}
