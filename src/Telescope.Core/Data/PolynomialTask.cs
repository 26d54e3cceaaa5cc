namespace Telescope.Data;

/// <summary>
/// The polynomial-regression task of Kumar et al. used for grokking (spec §4.3 panel 1), generated
/// exactly: <c>x ~ N(0, I_d/d)</c>, target <c>y = ½(βᵀx)²</c> with <c>β ~ N(0, I_d)</c> (A6: the paper does
/// not give β's scale; this makes <c>E y ≈ ½</c>). One draw of β per data seed, shared by train and test.
/// </summary>
public static class PolynomialTask
{
    /// <summary><paramref name="train"/> and <paramref name="test"/> rows of dimension <paramref name="d"/> (paper: 550, 500, 100).</summary>
    public static (Dataset train, Dataset test) Generate(
        int train = 550,
        int test = 500,
        int d = 100,
        long dataSeed = 0
    )
    {
        if (train < 1 || test < 1 || d < 1)
            throw new ArgumentException($"train, test and d must be ≥ 1, got {train}, {test}, {d}");
        var rng = new Rng(dataSeed, stream: 17);
        var beta = new double[d];
        for (int j = 0; j < d; j++)
            beta[j] = rng.NextGaussian();
        Dataset Make(int rows, string part)
        {
            var x = new double[rows * d];
            var y = new double[rows];
            double s = 1.0 / Math.Sqrt(d);
            for (int i = 0; i < rows; i++)
            {
                double dot = 0;
                for (int j = 0; j < d; j++)
                {
                    double v = s * rng.NextGaussian();
                    x[i * d + j] = v;
                    dot += beta[j] * v;
                }
                y[i] = 0.5 * dot * dot;
            }
            return new Dataset(
                "polynomial",
                $"generated: x ~ N(0, I/{d}), y = ½(βᵀx)², β ~ N(0, I) (Kumar et al. task; data seed {dataSeed}; {part})",
                [d],
                x,
                new int[rows],
                1,
                y
            ).Validate();
        }
        return (Make(train, "train"), Make(test, "test"));
    }
}
