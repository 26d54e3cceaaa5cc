namespace Telescope.Trees;

/// <summary>
/// The tree kernel of spec §3.4/§4.4: <c>K_h(x, x_i) = 1{leaf_h(x) = leaf_h(x_i)} / n_leaf_h(x)</c>, with
/// <c>n_leaf</c> the number of <em>training</em> rows in the leaf. Its rows sum to 1, <c>0 ≤ K ≤ 1</c> and
/// <c>‖k_h(x)‖₂ = 1/√n_leaf_h(x) ∈ [1/√n, 1]</c> for any x (spec T13).
/// </summary>
public static class TreeKernel
{
    /// <summary>Dense kernel block <c>K_h(X_eval, X_train)</c> <c>[m, n]</c>, row-major, from leaf indices.</summary>
    public static double[] Matrix(RegressionTree tree, int[] evalLeaves)
    {
        int n = tree.TrainLeaves.Length;
        var k = new double[evalLeaves.Length * n];
        for (int j = 0; j < evalLeaves.Length; j++)
        {
            double w = 1.0 / tree.LeafSizes[evalLeaves[j]];
            for (int i = 0; i < n; i++)
                if (tree.TrainLeaves[i] == evalLeaves[j])
                    k[j * n + i] = w;
        }
        return k;
    }

    /// <summary>‖k_h(x_j)‖₂ = 1/√n_leaf_h(x_j) for every evaluation row.</summary>
    public static double[] RowNorms(RegressionTree tree, int[] evalLeaves) =>
        evalLeaves.Select(l => 1.0 / Math.Sqrt(tree.LeafSizes[l])).ToArray();

    /// <summary>
    /// Normalised maximum kernel-weight norm (spec §4.4):
    /// <c>R = [(1/T) Σ_t max_{j∈test} ‖k_t(x_j)‖] / [(1/T) Σ_t max_{i∈train} ‖k_t(x_i)‖]</c>, where
    /// <paramref name="testLeaves"/><c>[t][j]</c> are the test rows' leaves under tree t. At most 1 for
    /// any test set, because every leaf holds at least one training row.
    /// </summary>
    public static double NormalisedMaxWeight(BoostedTrees model, int[][] testLeaves)
    {
        if (testLeaves.Length != model.Trees.Count)
            throw new ArgumentException(
                $"{testLeaves.Length} leaf rows for {model.Trees.Count} trees"
            );
        double num = 0,
            den = 0;
        for (int t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            num += testLeaves[t].Max(l => 1.0 / Math.Sqrt(tree.LeafSizes[l]));
            den += 1.0 / Math.Sqrt(tree.LeafSizes.Min());
        }
        return num / den;
    }
}

/// <summary>
/// Gradient boosting written as a smoother <c>F_T(x) = s(x)·y + c(x)</c> (spec §3.4, the exact analogue of
/// Algorithm A3): per tree, <c>S ← S + η K_{h_t}(X_all, X)(I − S[0:n,:])</c> and
/// <c>c ← c − η K_{h_t}(X_all, X) c[0:n]</c>. Start: init 0 → <c>S_0 = 0, c_0 = 0</c>; init mean →
/// <c>S_0 = 11ᵀ/n, c_0 = 0</c>. Rows are the training rows first, then the evaluation rows
/// (<c>N = n + m</c>); <see cref="S"/> is row-major <c>[N, n]</c>, float64. Reproduces
/// <see cref="BoostedTrees.Predict"/> to round-off (spec T12).
/// </summary>
internal sealed class GbtSmoother
{
    /// <summary>Training rows n (columns of S).</summary>
    public int TrainCount { get; }

    /// <summary>Tracked rows N = n + m.</summary>
    public int Rows { get; }

    /// <summary>Smoother weights <c>[N, n]</c>, row-major.</summary>
    public double[] S { get; }

    /// <summary>Offsets <c>[N]</c>.</summary>
    public double[] C { get; }

    private GbtSmoother(int n, int rows, double[] s, double[] c)
    {
        TrainCount = n;
        Rows = rows;
        S = s;
        C = c;
    }

    /// <summary>
    /// Build the smoother of <paramref name="model"/> for its training rows and the evaluation rows whose
    /// leaves are <paramref name="evalLeaves"/><c>[t][j]</c>. <paramref name="leafCount"/> replaces
    /// <c>n_leaf</c> in the kernel's normalisation; leave it null — it exists so that a test can show a
    /// wrongly normalised kernel breaks T12 (the must-fail control).
    /// </summary>
    public static GbtSmoother Build(
        BoostedTrees model,
        int[][] evalLeaves,
        Func<int, double>? leafCount = null
    )
    {
        int n = model.TrainCount;
        int m = evalLeaves.Length > 0 ? evalLeaves[0].Length : 0;
        if (evalLeaves.Length != model.Trees.Count)
            throw new ArgumentException(
                $"{evalLeaves.Length} leaf rows for {model.Trees.Count} trees"
            );
        int rows = n + m;
        var s = new double[rows * n];
        var c = new double[rows];
        if (model.Spec.Init == BoostInit.Mean)
            Array.Fill(s, 1.0 / n);
        double eta = model.Spec.LearningRate;
        for (int t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            int leaves = tree.LeafCount;
            // per leaf: (1/n_leaf) Σ_{i in leaf} (e_i − S[i,:]) and (1/n_leaf) Σ c[i], from S_{t−1}
            var mean = new double[leaves * n];
            var cMean = new double[leaves];
            for (int i = 0; i < n; i++)
            {
                int l = tree.TrainLeaves[i];
                var row = s.AsSpan(i * n, n);
                var acc = mean.AsSpan(l * n, n);
                for (int k = 0; k < n; k++)
                    acc[k] -= row[k];
                acc[i] += 1.0;
                cMean[l] += c[i];
            }
            for (int l = 0; l < leaves; l++)
            {
                double w = 1.0 / (leafCount?.Invoke(tree.LeafSizes[l]) ?? tree.LeafSizes[l]);
                var acc = mean.AsSpan(l * n, n);
                for (int k = 0; k < n; k++)
                    acc[k] *= w;
                cMean[l] *= w;
            }
            for (int j = 0; j < rows; j++)
            {
                int l = j < n ? tree.TrainLeaves[j] : evalLeaves[t][j - n];
                var row = s.AsSpan(j * n, n);
                var acc = mean.AsSpan(l * n, n);
                for (int k = 0; k < n; k++)
                    row[k] += eta * acc[k];
                c[j] -= eta * cMean[l];
            }
        }
        return new GbtSmoother(n, rows, s, c);
    }

    /// <summary>Smoother predictions <c>S y + c</c> for every tracked row (train first).</summary>
    public double[] Predict(double[] y)
    {
        if (y.Length != TrainCount)
            throw new ArgumentException($"{y.Length} targets for {TrainCount} training rows");
        var f = new double[Rows];
        for (int j = 0; j < Rows; j++)
        {
            double acc = C[j];
            var row = S.AsSpan(j * TrainCount, TrainCount);
            for (int k = 0; k < TrainCount; k++)
                acc += row[k] * y[k];
            f[j] = acc;
        }
        return f;
    }

    /// <summary>
    /// Effective parameters of a block of rows (spec §3.4): <c>p(I_0) = (n/|I_0|) Σ_{j∈I_0} ‖s(x_j)‖²</c>;
    /// <c>p_train</c> is <c>(0, n)</c>, <c>p_test</c> is <c>(n, m)</c>.
    /// </summary>
    public double EffectiveParameters(int firstRow, int count) =>
        Smoothers.EffectiveParameters(S, TrainCount, firstRow, count);
}

/// <summary>Quantities of any smoother matrix <c>S [N, n]</c> (row-major, float64).</summary>
internal static class Smoothers
{
    /// <summary><c>p(I_0) = (n/|I_0|) Σ_{j∈I_0} ‖S[j,:]‖²</c> for rows <c>firstRow .. firstRow + count − 1</c> (spec §3.4, A17: n = training rows).</summary>
    public static double EffectiveParameters(double[] s, int n, int firstRow, int count)
    {
        if (count < 1 || (firstRow + count) * n > s.Length)
            throw new ArgumentException(
                $"rows {firstRow}..{firstRow + count - 1} are outside the smoother ({s.Length / n} rows)"
            );
        double sum = 0;
        for (int j = firstRow; j < firstRow + count; j++)
        for (int k = 0; k < n; k++)
            sum += s[j * n + k] * s[j * n + k];
        return (double)n / count * sum;
    }
}
