namespace Telescope.Data;

/// <summary>
/// A tabular regression table split by irregularity (spec §4.4, A8): features z-scored with the
/// statistics of the full table; score <c>|pc1 − median(pc1)|</c> on the first principal component; the
/// top <see cref="IrregularShare"/> of rows form the irregular pool (never trained on); the remaining
/// regular rows are shuffled into train (the first <see cref="Validation"/>.Length of which are also the
/// validation rows for model selection) and regular test. Targets are z-scored with train statistics.
/// Feature rows are row-major <c>[rows, d]</c>.
/// </summary>
/// <param name="Source">Where the table came from (recorded in every output).</param>
/// <param name="D">Features per row.</param>
/// <param name="X">Standardised features of every row of the table.</param>
/// <param name="Y">Standardised targets of every row.</param>
/// <param name="Score">Irregularity score |pc1 − median| of every row.</param>
/// <param name="Train">Training rows (regular).</param>
/// <param name="Validation">Validation rows: a subset of <paramref name="Train"/> held out during model selection.</param>
/// <param name="RegularTest">Regular held-out rows.</param>
/// <param name="Irregular">The irregular pool.</param>
/// <param name="IrregularShare">Share of the table in the irregular pool.</param>
public sealed record IrregularSplit(
    string Source,
    int D,
    double[] X,
    double[] Y,
    double[] Score,
    int[] Train,
    int[] Validation,
    int[] RegularTest,
    int[] Irregular,
    double IrregularShare
)
{
    /// <summary>Training rows that are not validation rows (fitted during model selection).</summary>
    public int[] FitRows => Train.Except(Validation).ToArray();

    /// <summary>Features of the given rows, row-major.</summary>
    public double[] Rows(IReadOnlyList<int> index)
    {
        var x = new double[index.Count * D];
        for (int i = 0; i < index.Count; i++)
            Array.Copy(X, index[i] * D, x, i * D, D);
        return x;
    }

    /// <summary>Targets of the given rows.</summary>
    public double[] Targets(IReadOnlyList<int> index) => index.Select(i => Y[i]).ToArray();

    /// <summary>
    /// A test set of <paramref name="size"/> rows of which a share <paramref name="p"/> (rounded) is drawn
    /// from the irregular pool and the rest from the regular test rows, without replacement (seeded).
    /// </summary>
    public int[] TestSet(double p, int size, long seed)
    {
        int irregular = (int)Math.Round(p * size);
        if (irregular > Irregular.Length || size - irregular > RegularTest.Length)
            throw new ArgumentException(
                $"a test set of {size} rows with p = {p} needs {irregular} irregular and {size - irregular} regular rows; the pools hold {Irregular.Length} and {RegularTest.Length}"
            );
        var rng = new Rng(seed, stream: (ulong)(1000 + Math.Round(p * 1000)));
        var a = rng.Permutation(Irregular.Length).Take(irregular).Select(k => Irregular[k]);
        var b = rng.Permutation(RegularTest.Length)
            .Take(size - irregular)
            .Select(k => RegularTest[k]);
        return a.Concat(b).ToArray();
    }

    /// <summary>Split a raw table (features <c>[rows, d]</c>, targets) by irregularity.</summary>
    public static IrregularSplit Of(
        string source,
        double[] x,
        int d,
        double[] y,
        int train,
        int validation,
        double irregularShare,
        long seed
    )
    {
        int rows = y.Length;
        if (x.Length != rows * d)
            throw new ArgumentException($"{x.Length} feature values for {rows} rows of width {d}");
        int nIrregular = (int)Math.Round(irregularShare * rows);
        if (train + nIrregular > rows || validation >= train || train < 1)
            throw new ArgumentException(
                $"{rows} rows cannot hold {nIrregular} irregular and {train} training rows (validation {validation})"
            );
        // z-score features (full-table statistics)
        var z = new double[x.Length];
        for (int f = 0; f < d; f++)
        {
            double mean = 0,
                sq = 0;
            for (int i = 0; i < rows; i++)
                mean += x[i * d + f];
            mean /= rows;
            for (int i = 0; i < rows; i++)
                sq += (x[i * d + f] - mean) * (x[i * d + f] - mean);
            double sd = Math.Sqrt(sq / rows);
            for (int i = 0; i < rows; i++)
                z[i * d + f] = sd > 0 ? (x[i * d + f] - mean) / sd : 0;
        }
        var pc = FirstPrincipalComponent(z, d);
        var proj = new double[rows];
        for (int i = 0; i < rows; i++)
        for (int f = 0; f < d; f++)
            proj[i] += z[i * d + f] * pc[f];
        var sorted = proj.OrderBy(v => v).ToArray();
        double median =
            rows % 2 == 1 ? sorted[rows / 2] : 0.5 * (sorted[rows / 2 - 1] + sorted[rows / 2]);
        var score = proj.Select(v => Math.Abs(v - median)).ToArray();
        var byScore = Enumerable
            .Range(0, rows)
            .OrderByDescending(i => score[i])
            .ThenBy(i => i)
            .ToArray();
        var irregular = byScore[..nIrregular];
        var regular = byScore[nIrregular..].OrderBy(i => i).ToArray();
        var perm = new Rng(seed, stream: 31).Permutation(regular.Length);
        var trainRows = perm[..train].Select(k => regular[k]).ToArray();
        var testRows = perm[train..].Select(k => regular[k]).ToArray();
        double ym = trainRows.Average(i => y[i]);
        double ys = Math.Sqrt(trainRows.Average(i => (y[i] - ym) * (y[i] - ym)));
        var yz = y.Select(v => (v - ym) / ys).ToArray();
        return new IrregularSplit(
            source,
            d,
            z,
            yz,
            score,
            trainRows,
            trainRows[..validation],
            testRows,
            irregular,
            irregularShare
        );
    }

    /// <summary>Unit first principal component of centred rows <c>[rows, d]</c> (power iteration on the covariance, deterministic start).</summary>
    public static double[] FirstPrincipalComponent(double[] z, int d)
    {
        int rows = z.Length / d;
        var mean = new double[d];
        for (int i = 0; i < rows; i++)
        for (int f = 0; f < d; f++)
            mean[f] += z[i * d + f] / rows;
        var cov = new double[d, d];
        for (int i = 0; i < rows; i++)
        for (int a = 0; a < d; a++)
        for (int b = 0; b < d; b++)
            cov[a, b] += (z[i * d + a] - mean[a]) * (z[i * d + b] - mean[b]) / rows;
        var v = Enumerable.Range(0, d).Select(k => 1.0 + 0.01 * k).ToArray();
        for (int it = 0; it < 1000; it++)
        {
            var w = new double[d];
            for (int a = 0; a < d; a++)
            for (int b = 0; b < d; b++)
                w[a] += cov[a, b] * v[b];
            double norm = Math.Sqrt(w.Sum(t => t * t));
            double change = 0;
            for (int a = 0; a < d; a++)
            {
                w[a] /= norm;
                change = Math.Max(change, Math.Abs(w[a] - v[a]));
            }
            v = w;
            if (change < 1e-13)
                break;
        }
        return v;
    }
}

/// <summary>
/// The synthetic "houses-like" regression table of spec §5 [SUBSTITUTE for OpenML houses]: d = 8,
/// <c>z ~ N(0, Σ)</c> with <c>Σ_ij = 0.5^{|i−j|}</c> (an AR(1) chain), <c>u ~ χ²₃/3</c>, <c>x = z/√u</c>
/// (multivariate t with 3 degrees of freedom: heavy-tailed, correlated), and
/// <c>y = 1.5·1{x₁&gt;0} + tanh(x₂)·1{x₃&gt;−0.5} + 0.5·tanh(x₄x₅) + 0.3·sin(x₆) − 0.5·tanh(|x₇|) + 0.2ε</c>
/// (1-based feature names; x₈ is noise).
/// </summary>
public static class HousesLike
{
    /// <summary>Features per row.</summary>
    public const int D = 8;

    /// <summary>The provenance string written into every output.</summary>
    public static string Source(int rows, long seed) =>
        $"synthetic houses-like table [SUBSTITUTE for OpenML houses; spec §5]: {rows} rows, d = 8, multivariate t₃ features (Σ_ij = 0.5^|i−j|), bounded tree-friendly target, seed {seed}";

    /// <summary>Generate <paramref name="rows"/> rows: features <c>[rows, 8]</c> row-major and targets.</summary>
    public static (double[] x, double[] y) Generate(int rows, long seed)
    {
        var rng = new Rng(seed, stream: 41);
        var x = new double[rows * D];
        var y = new double[rows];
        double c = Math.Sqrt(1 - 0.25);
        for (int i = 0; i < rows; i++)
        {
            var z = new double[D];
            z[0] = rng.NextGaussian();
            for (int f = 1; f < D; f++)
                z[f] = 0.5 * z[f - 1] + c * rng.NextGaussian();
            double g1 = rng.NextGaussian(),
                g2 = rng.NextGaussian(),
                g3 = rng.NextGaussian();
            double u = (g1 * g1 + g2 * g2 + g3 * g3) / 3;
            for (int f = 0; f < D; f++)
                x[i * D + f] = z[f] / Math.Sqrt(u);
            var r = x.AsSpan(i * D, D);
            y[i] =
                1.5 * (r[0] > 0 ? 1 : 0)
                + Math.Tanh(r[1]) * (r[2] > -0.5 ? 1 : 0)
                + 0.5 * Math.Tanh(r[3] * r[4])
                + 0.3 * Math.Sin(r[5])
                - 0.5 * Math.Tanh(Math.Abs(r[6]))
                + 0.2 * rng.NextGaussian();
        }
        return (x, y);
    }

    /// <summary>
    /// The CPU variant of spec §4.4: 8,000 rows, top 10% irregular, 5,000 train (1,000 of them validation),
    /// 2,200 regular test rows.
    /// </summary>
    public static IrregularSplit Split(
        int rows = 8000,
        int train = 5000,
        int validation = 1000,
        double irregularShare = 0.1,
        long seed = 0
    )
    {
        var (x, y) = Generate(rows, seed);
        return IrregularSplit.Of(
            Source(rows, seed),
            x,
            D,
            y,
            train,
            validation,
            irregularShare,
            seed
        );
    }
}
