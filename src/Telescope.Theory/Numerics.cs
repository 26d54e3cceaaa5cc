namespace Telescope.Theory;

/// <summary>
/// Right-hand side of an autonomous or time-dependent ODE <c>dy/dt = f(t, y)</c>, written into <paramref name="dy"/>.
/// </summary>
public delegate void Derivative(double t, double[] y, double[] dy);

/// <summary>
/// Classical fixed-step fourth-order Runge–Kutta (spec §0 "Simulators": RK4 with h·(largest rate) ≤ 0.02, never a bare
/// Euler step). Global error O(h⁴); at the step sizes used here it is dominated by floating point (≤ 1e-9).
/// </summary>
public static class Rk4
{
    /// <summary>One RK4 step of size <paramref name="h"/> from (t, y), in place. <paramref name="work"/> holds 5 scratch arrays.</summary>
    public static void Step(Derivative f, double t, double[] y, double h, double[][] work)
    {
        int n = y.Length;
        double[] k1 = work[0],
            k2 = work[1],
            k3 = work[2],
            k4 = work[3],
            tmp = work[4];
        f(t, y, k1);
        for (int i = 0; i < n; i++)
            tmp[i] = y[i] + 0.5 * h * k1[i];
        f(t + 0.5 * h, tmp, k2);
        for (int i = 0; i < n; i++)
            tmp[i] = y[i] + 0.5 * h * k2[i];
        f(t + 0.5 * h, tmp, k3);
        for (int i = 0; i < n; i++)
            tmp[i] = y[i] + h * k3[i];
        f(t + h, tmp, k4);
        for (int i = 0; i < n; i++)
            y[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    }

    /// <summary>Scratch space for <see cref="Step"/> on a state of length <paramref name="n"/>.</summary>
    public static double[][] Work(int n) =>
        [new double[n], new double[n], new double[n], new double[n], new double[n]];

    /// <summary>Integrate from t = 0 to <paramref name="t1"/> in <paramref name="steps"/> equal RK4 steps; returns y(t1).</summary>
    public static double[] Integrate(Derivative f, double[] y0, double t1, int steps)
    {
        if (steps < 1)
            throw new ArgumentOutOfRangeException(nameof(steps), "RK4 needs at least one step");
        var y = (double[])y0.Clone();
        var w = Work(y.Length);
        double h = t1 / steps;
        for (int s = 0; s < steps; s++)
            Rk4.Step(f, s * h, y, h, w);
        return y;
    }
}

/// <summary>
/// A gradient-flow trajectory as a function of time: <see cref="At"/> integrates forward with RK4 steps no larger than
/// <see cref="MaxStep"/> from the last state it reached (or from t = 0 when asked for an earlier time), landing exactly on
/// the requested t. This gives simulators the same signature as the closed forms: a function of t.
/// </summary>
internal sealed class OdeTrajectory
{
    private readonly Derivative _f;
    private readonly double[] _y0;
    private double[] _y;
    private double _t;
    private readonly double[][] _work;

    /// <summary>Largest RK4 step used.</summary>
    public double MaxStep { get; }

    /// <summary>RK4 steps taken so far (all calls).</summary>
    public long StepsTaken { get; private set; }

    /// <summary>A trajectory of <c>dy/dt = f(t, y)</c> from <paramref name="y0"/> at t = 0.</summary>
    public OdeTrajectory(Derivative f, double[] y0, double maxStep)
    {
        if (!(maxStep > 0) || double.IsInfinity(maxStep))
            throw new ArgumentOutOfRangeException(
                nameof(maxStep),
                "RK4 step must be positive and finite"
            );
        _f = f;
        _y0 = (double[])y0.Clone();
        _y = (double[])y0.Clone();
        _t = 0;
        _work = Rk4.Work(y0.Length);
        MaxStep = maxStep;
    }

    /// <summary>The state at time <paramref name="t"/> ≥ 0 (a copy).</summary>
    public double[] At(double t)
    {
        if (t < 0 || double.IsNaN(t))
            throw new ArgumentOutOfRangeException(nameof(t), "time must be ≥ 0");
        if (t < _t)
        {
            _y = (double[])_y0.Clone();
            _t = 0;
        }
        double span = t - _t;
        if (span > 0)
        {
            long n = (long)Math.Ceiling(span / MaxStep);
            double h = span / n;
            double t0 = _t;
            for (long s = 0; s < n; s++)
                Rk4.Step(_f, t0 + s * h, _y, h, _work);
            StepsTaken += n;
            _t = t;
        }
        return (double[])_y.Clone();
    }
}

/// <summary>Small numerical helpers shared by the result families (spec §0.1 "Numerical recipes").</summary>
public static class Num
{
    /// <summary>
    /// Overflow-free logistic tail <c>u = 1/(1 + exp(r − ln K))</c> (spec §0.1 "Sigmoid without overflow"): the fraction
    /// 1 − R/S still to learn for a balanced mode with initial odds K = S/R₀ − 1 &gt; 0 at scaled time r = 2λSt.
    /// </summary>
    public static double LogisticTail(double r, double lnK)
    {
        double z = r - lnK;
        return z > 700 ? 0.0 : 1.0 / (1.0 + Math.Exp(z));
    }

    /// <summary>Least-squares slope of ln y against ln x (spec §0.1: regression on the logs, not endpoint differences).</summary>
    public static double LogLogSlope(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        if (x.Count != y.Count || x.Count < 2)
            throw new ArgumentException("need at least two (x, y) pairs of equal length");
        int n = x.Count;
        double mx = 0,
            my = 0;
        for (int i = 0; i < n; i++)
        {
            mx += Math.Log(x[i]);
            my += Math.Log(y[i]);
        }
        mx /= n;
        my /= n;
        double sxy = 0,
            sxx = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = Math.Log(x[i]) - mx;
            sxy += dx * (Math.Log(y[i]) - my);
            sxx += dx * dx;
        }
        return sxy / sxx;
    }

    /// <summary><paramref name="n"/> log-spaced points from <paramref name="lo"/> to <paramref name="hi"/> inclusive.</summary>
    public static double[] LogSpace(double lo, double hi, int n)
    {
        if (n < 2)
            return [lo];
        var r = new double[n];
        double a = Math.Log(lo),
            b = Math.Log(hi);
        for (int i = 0; i < n; i++)
            r[i] = Math.Exp(a + (b - a) * i / (n - 1));
        return r;
    }

    /// <summary>Frobenius norm of a flat array.</summary>
    public static double Norm(ReadOnlySpan<double> v)
    {
        double s = 0;
        foreach (var x in v)
            s += x * x;
        return Math.Sqrt(s);
    }

    /// <summary>Largest absolute entry of a − b.</summary>
    public static double MaxAbsDiff(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++)
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }
}

/// <summary>
/// Seeded random numbers (spec §0.1 "Seeds"): <see cref="System.Random"/> with an explicit seed (deterministic across
/// runs and platforms) and Box–Muller normals.
/// </summary>
public sealed class Rng(int seed)
{
    private readonly Random _r = new(seed);
    private double? _spare;

    /// <summary>The seed this generator was built with.</summary>
    public int Seed { get; } = seed;

    /// <summary>Uniform on [0, 1).</summary>
    public double Uniform() => _r.NextDouble();

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => _r.Next(n);

    /// <summary>Fair coin: 0 or 1.</summary>
    public int Bit() => _r.Next(2);

    /// <summary>Standard normal N(0, 1).</summary>
    public double Normal()
    {
        if (_spare is { } s)
        {
            _spare = null;
            return s;
        }
        double u1 = 1.0 - _r.NextDouble(),
            u2 = _r.NextDouble();
        double rad = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = rad * Math.Sin(2 * Math.PI * u2);
        return rad * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>A vector of i.i.d. N(0, sd²).</summary>
    public double[] Normals(int n, double sd = 1.0)
    {
        var v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = sd * Normal();
        return v;
    }
}

/// <summary>
/// Seeded standard normals for bulk Monte Carlo (the eigenlearning fits draw n·p of them per trial): xoshiro256**
/// uniforms (the library's one generator, <see cref="global::Telescope.Rng"/>, seeded with the seed) and the Marsaglia polar method — a pair (u, v) uniform on the unit
/// disc, s = u² + v², gives the two independent N(0, 1) values u·√(−2 ln s / s) and v·√(−2 ln s / s). Same seed, same
/// sequence on every platform; several times faster than <see cref="Rng.Normal"/> (no trigonometry, no legacy
/// <see cref="System.Random"/>).
/// </summary>
internal sealed class NormalStream
{
    private readonly global::Telescope.Rng _bits;
    private double _spare;
    private bool _hasSpare;

    /// <summary>A stream determined by <paramref name="seed"/> (the bits of <c>Telescope.Rng(seed)</c>).</summary>
    public NormalStream(long seed) => _bits = new global::Telescope.Rng(seed);

    /// <summary>The next 64 random bits (xoshiro256**, <see cref="global::Telescope.Rng.NextUInt64"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining
    )]
    public ulong NextBits() => _bits.NextUInt64();

    /// <summary>Uniform on (−1, 1): 53 random bits.</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining
    )]
    private double Symmetric() => (NextBits() >> 11) * (2.0 / (1UL << 53)) - 1.0;

    /// <summary>Standard normal N(0, 1).</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    public double Next()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }
        double u,
            v,
            s;
        do
        {
            u = Symmetric();
            v = Symmetric();
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double f = Math.Sqrt(-2.0 * Math.Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>Fills <paramref name="into"/> with the next values of the stream, in order.</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    public void Fill(Span<double> into)
    {
        for (int i = 0; i < into.Length; i++)
            into[i] = Next();
    }
}
