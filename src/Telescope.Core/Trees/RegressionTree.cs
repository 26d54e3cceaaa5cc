namespace Telescope.Trees;

/// <summary>
/// A small exact CART regressor (spec §5, "Gradient boosting in C#"): squared-error splits over exact
/// thresholds (every midpoint between consecutive distinct values of the node's rows), depth-first to
/// <see cref="MaxDepth"/>, at least <see cref="MinSamplesLeaf"/> training rows per leaf, leaf value =
/// mean target of the leaf's training rows. No binning and no Newton step, so the tree is exactly the
/// kernel smoother <c>K_h(x, x_i) = 1{leaf(x) = leaf(x_i)} / n_leaf(x)</c> of spec §4.4.
/// Features are row-major <c>[n, d]</c>; a row goes left when <c>x[feature] ≤ threshold</c>.
/// </summary>
public sealed class RegressionTree
{
    // Node arrays: internal nodes have Feature ≥ 0; leaves have Feature = −1 and a leaf index.
    private readonly List<int> _feature = [];
    private readonly List<double> _threshold = [];
    private readonly List<int> _left = [];
    private readonly List<int> _right = [];
    private readonly List<int> _leaf = [];
    private readonly List<double> _values = [];
    private readonly List<int> _counts = [];

    /// <summary>Input dimension d.</summary>
    public int Features { get; }

    /// <summary>Maximum depth (a stump has depth 1).</summary>
    public int MaxDepth { get; }

    /// <summary>Minimum training rows per leaf.</summary>
    public int MinSamplesLeaf { get; }

    /// <summary>Number of leaves.</summary>
    public int LeafCount => _values.Count;

    /// <summary>Leaf values (mean target of the leaf's training rows), by leaf index.</summary>
    public IReadOnlyList<double> LeafValues => _values;

    /// <summary>Training rows per leaf, by leaf index (n_leaf of the kernel).</summary>
    public IReadOnlyList<int> LeafSizes => _counts;

    /// <summary>Leaf index of every training row, in row order.</summary>
    public int[] TrainLeaves { get; }

    private RegressionTree(int features, int maxDepth, int minLeaf, int n)
    {
        Features = features;
        MaxDepth = maxDepth;
        MinSamplesLeaf = minLeaf;
        TrainLeaves = new int[n];
    }

    /// <summary>
    /// Fit to <paramref name="target"/> on rows <c>x[n, d]</c>. Ties between equally good splits go to
    /// the lowest feature, then the lowest threshold (deterministic).
    /// </summary>
    public static RegressionTree Fit(
        double[] x,
        int d,
        double[] target,
        int maxDepth,
        int minSamplesLeaf = 1
    )
    {
        int n = target.Length;
        if (d < 1 || x.Length != n * d)
            throw new ArgumentException($"features: {x.Length} values for {n} rows of width {d}");
        if (n < 1)
            throw new ArgumentException("no training rows");
        if (maxDepth < 0)
            throw new ArgumentOutOfRangeException(nameof(maxDepth), $"must be ≥ 0, got {maxDepth}");
        if (minSamplesLeaf < 1)
            throw new ArgumentOutOfRangeException(
                nameof(minSamplesLeaf),
                $"must be ≥ 1, got {minSamplesLeaf}"
            );
        var tree = new RegressionTree(d, maxDepth, minSamplesLeaf, n);
        tree.Grow(x, d, target, Enumerable.Range(0, n).ToArray(), 0);
        return tree;
    }

    private int NewNode()
    {
        _feature.Add(-1);
        _threshold.Add(0);
        _left.Add(-1);
        _right.Add(-1);
        _leaf.Add(-1);
        return _feature.Count - 1;
    }

    private int Grow(double[] x, int d, double[] y, int[] rows, int depth)
    {
        int node = NewNode();
        var split =
            depth < MaxDepth && rows.Length >= 2 * MinSamplesLeaf ? BestSplit(x, d, y, rows) : null;
        if (split is not { } s)
        {
            double sum = 0;
            foreach (var i in rows)
                sum += y[i];
            _leaf[node] = _values.Count;
            _values.Add(sum / rows.Length);
            _counts.Add(rows.Length);
            foreach (var i in rows)
                TrainLeaves[i] = _leaf[node];
            return node;
        }
        _feature[node] = s.feature;
        _threshold[node] = s.threshold;
        var left = rows.Where(i => x[i * d + s.feature] <= s.threshold).ToArray();
        var right = rows.Where(i => x[i * d + s.feature] > s.threshold).ToArray();
        int l = Grow(x, d, y, left, depth + 1);
        int r = Grow(x, d, y, right, depth + 1);
        _left[node] = l;
        _right[node] = r;
        return node;
    }

    /// <summary>The split that most reduces the sum of squared errors, or null when none does.</summary>
    private (int feature, double threshold)? BestSplit(double[] x, int d, double[] y, int[] rows)
    {
        int n = rows.Length;
        double total = 0;
        foreach (var i in rows)
            total += y[i];
        // SSE = Σy² − (Σy)²/n; maximising Σ_child (Σy)²/n_child is equivalent.
        double parentScore = total * total / n;
        double best = parentScore + 1e-12 * Math.Max(1.0, Math.Abs(parentScore));
        (int, double)? result = null;
        var order = new int[n];
        var keys = new double[n];
        for (int f = 0; f < d; f++)
        {
            for (int k = 0; k < n; k++)
            {
                order[k] = rows[k];
                keys[k] = x[rows[k] * d + f];
            }
            Array.Sort(keys, order);
            double leftSum = 0;
            for (int k = 0; k < n - 1; k++)
            {
                leftSum += y[order[k]];
                int nl = k + 1;
                if (nl < MinSamplesLeaf || n - nl < MinSamplesLeaf || keys[k] == keys[k + 1])
                    continue;
                double rightSum = total - leftSum;
                double score = leftSum * leftSum / nl + rightSum * rightSum / (n - nl);
                if (score > best)
                {
                    best = score;
                    double mid = 0.5 * (keys[k] + keys[k + 1]);
                    // adjacent doubles: the midpoint may round up to the upper value
                    result = (f, mid < keys[k + 1] ? mid : keys[k]);
                }
            }
        }
        return result;
    }

    /// <summary>Leaf index of one row <c>x[offset .. offset + d)</c>.</summary>
    public int Leaf(ReadOnlySpan<double> row)
    {
        if (row.Length != Features)
            throw new ArgumentException(
                $"row has {row.Length} features, the tree was fitted on {Features}"
            );
        int node = 0;
        while (_feature[node] >= 0)
            node = row[_feature[node]] <= _threshold[node] ? _left[node] : _right[node];
        return _leaf[node];
    }

    /// <summary>Leaf index of every row of <c>x[m, d]</c>.</summary>
    public int[] Leaves(double[] x)
    {
        if (x.Length % Features != 0)
            throw new ArgumentException(
                $"{x.Length} values are not whole rows of width {Features}"
            );
        int m = x.Length / Features;
        var leaves = new int[m];
        for (int j = 0; j < m; j++)
            leaves[j] = Leaf(x.AsSpan(j * Features, Features));
        return leaves;
    }

    /// <summary>Prediction (leaf value) of every row of <c>x[m, d]</c>.</summary>
    public double[] Predict(double[] x) => Leaves(x).Select(l => _values[l]).ToArray();
}
