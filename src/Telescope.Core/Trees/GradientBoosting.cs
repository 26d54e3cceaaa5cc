namespace Telescope.Trees;

/// <summary>The initial model F_0 of gradient boosting.</summary>
public enum BoostInit
{
    /// <summary>F_0 = 0. Smoother start: S_0 = 0, c_0 = 0.</summary>
    Zero,

    /// <summary>F_0 = mean(y) (scikit-learn's default for squared loss). Smoother start: S_0 = 11ᵀ/n, c_0 = 0.</summary>
    Mean,
}

/// <summary>Hyper-parameters of gradient boosting with squared loss (immutable; use <c>with</c>).</summary>
/// <param name="Trees">T, the number of boosting rounds.</param>
/// <param name="LearningRate">η (shrinkage).</param>
/// <param name="MaxDepth">Depth of every tree.</param>
/// <param name="Init">F_0.</param>
/// <param name="MinSamplesLeaf">Minimum training rows per leaf (spec: 1).</param>
public sealed record BoostingSpec(
    int Trees,
    double LearningRate,
    int MaxDepth,
    BoostInit Init = BoostInit.Mean,
    int MinSamplesLeaf = 1
)
{
    /// <summary>Every problem with the settings (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (Trees < 0)
            yield return $"trees must be ≥ 0, got {Trees}";
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            yield return $"learning rate must be positive and finite, got {LearningRate}";
        if (MaxDepth < 0)
            yield return $"depth must be ≥ 0, got {MaxDepth}";
        if (MinSamplesLeaf < 1)
            yield return $"min samples per leaf must be ≥ 1, got {MinSamplesLeaf}";
    }
}

/// <summary>
/// Gradient-boosted regression trees with squared loss (spec §5): <c>F_0</c> = 0 or mean(y),
/// <c>F_t = F_{t−1} + η·h_t</c>, each <see cref="RegressionTree"/> <c>h_t</c> fitted to the residuals
/// <c>y − F_{t−1}</c> on the training rows, no subsampling. Keeps every tree, so the leaf of any row
/// under any tree (what the tree kernel, <c>R_GBT</c> and the GBT smoother need) can be read back.
/// </summary>
public sealed class BoostedTrees
{
    /// <summary>The settings.</summary>
    public BoostingSpec Spec { get; }

    /// <summary>The fitted trees h_1..h_T.</summary>
    public IReadOnlyList<RegressionTree> Trees { get; }

    /// <summary>F_0 (a constant).</summary>
    public double Initial { get; }

    /// <summary>Training rows n.</summary>
    public int TrainCount { get; }

    private BoostedTrees(
        BoostingSpec spec,
        IReadOnlyList<RegressionTree> trees,
        double initial,
        int n
    )
    {
        Spec = spec;
        Trees = trees;
        Initial = initial;
        TrainCount = n;
    }

    /// <summary>Fit on <c>x[n, d]</c> (row-major) and targets <paramref name="y"/>.</summary>
    public static BoostedTrees Fit(double[] x, int d, double[] y, BoostingSpec spec)
    {
        var problems = spec.Problems().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
        int n = y.Length;
        if (n == 0 || x.Length != n * d)
            throw new ArgumentException($"features: {x.Length} values for {n} rows of width {d}");
        double f0 = spec.Init == BoostInit.Mean ? y.Average() : 0.0;
        var f = Enumerable.Repeat(f0, n).ToArray();
        var residual = new double[n];
        var trees = new List<RegressionTree>(spec.Trees);
        for (int t = 0; t < spec.Trees; t++)
        {
            for (int i = 0; i < n; i++)
                residual[i] = y[i] - f[i];
            var tree = RegressionTree.Fit(x, d, residual, spec.MaxDepth, spec.MinSamplesLeaf);
            for (int i = 0; i < n; i++)
                f[i] += spec.LearningRate * tree.LeafValues[tree.TrainLeaves[i]];
            trees.Add(tree);
        }
        return new BoostedTrees(spec, trees, f0, n);
    }

    /// <summary>F_T(x) for every row of <c>x[m, d]</c> (tree traversal; independent of the smoother).</summary>
    public double[] Predict(double[] x) => PredictStages(x, [Trees.Count])[0];

    /// <summary>F_t(x) after each number of trees in <paramref name="stages"/> (each ≤ T), in one pass.</summary>
    public double[][] PredictStages(double[] x, IReadOnlyList<int> stages)
    {
        int d = Trees.Count > 0 ? Trees[0].Features : 1;
        int m = Trees.Count > 0 ? x.Length / d : 0;
        var f = Enumerable.Repeat(Initial, m).ToArray();
        var result = new double[stages.Count][];
        int next = 0;
        var order = stages.Select((s, k) => (s, k)).OrderBy(p => p.s).ToArray();
        for (int t = 0; t <= Trees.Count; t++)
        {
            while (next < order.Length && order[next].s == t)
                result[order[next++].k] = f.ToArray();
            if (t == Trees.Count)
                break;
            var leaves = Trees[t].Leaves(x);
            for (int j = 0; j < m; j++)
                f[j] += Spec.LearningRate * Trees[t].LeafValues[leaves[j]];
        }
        if (next < order.Length)
            throw new ArgumentException($"stage {order[next].s} is outside 0..{Trees.Count}");
        return result;
    }

    /// <summary>Leaf index of every row of <c>x[m, d]</c> under every tree: <c>[T][m]</c>.</summary>
    public int[][] Leaves(double[] x) => Trees.Select(t => t.Leaves(x)).ToArray();
}
