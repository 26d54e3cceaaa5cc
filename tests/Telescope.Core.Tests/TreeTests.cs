using Telescope.Trees;

namespace Telescope.Tests;

/// <summary>CART, boosting and the GBT smoother (spec §3.4, §4.4; invariants T11, T12, T13).</summary>
public class TreeTests
{
    /// <summary>Random rows [n, d] (Gaussian × scale) and a nonlinear target with noise.</summary>
    private static (double[] x, double[] y) Data(int n, int d, long seed, double scale = 1.0)
    {
        var rng = new Rng(seed, 11);
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++)
            x[i] = scale * rng.NextGaussian();
        var y = new double[n];
        for (int i = 0; i < n; i++)
            y[i] = (x[i * d] > 0 ? 1.5 : 0) + Math.Tanh(x[i * d + 1]) + 0.3 * rng.NextGaussian();
        return (x, y);
    }

    private static double MaxAbsDiff(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        a.Zip(b, (u, v) => Math.Abs(u - v)).Max();

    [Fact]
    public void Stump_finds_the_step_and_a_deep_tree_interpolates()
    {
        // y = 1{x0 > 0.3}: the best stump splits feature 0 between the last x0 ≤ 0.3 and the first above.
        var (x, _) = Data(80, 2, 1);
        var y = Enumerable.Range(0, 80).Select(i => x[2 * i] > 0.3 ? 1.0 : 0.0).ToArray();
        var stump = RegressionTree.Fit(x, 2, y, maxDepth: 1);
        Assert.Equal(2, stump.LeafCount);
        Assert.Equal(0.0, MaxAbsDiff(stump.Predict(x), y), 12);
        // distinct inputs, min leaf 1, unlimited depth: training targets are reproduced exactly
        var (x2, y2) = Data(50, 3, 2);
        var deep = RegressionTree.Fit(x2, 3, y2, maxDepth: 50);
        Assert.Equal(50, deep.LeafCount);
        Assert.True(MaxAbsDiff(deep.Predict(x2), y2) < 1e-12);
        // traversal puts every training row in the leaf it was fitted in
        Assert.Equal(deep.TrainLeaves, deep.Leaves(x2));
    }

    [Fact]
    public void Min_samples_leaf_is_respected()
    {
        var (x, y) = Data(100, 3, 3);
        var tree = RegressionTree.Fit(x, 3, y, maxDepth: 10, minSamplesLeaf: 7);
        Assert.All(tree.LeafSizes, s => Assert.True(s >= 7));
        Assert.Equal(100, tree.LeafSizes.Sum());
    }

    [Fact]
    public void Boosting_reduces_training_error()
    {
        var (x, y) = Data(120, 3, 4);
        var gb = BoostedTrees.Fit(x, 3, y, new BoostingSpec(50, 0.1, 3));
        var stages = gb.PredictStages(x, [0, 10, 50]);
        double Mse(double[] f) => f.Zip(y, (a, b) => (a - b) * (a - b)).Average();
        Assert.True(Mse(stages[1]) < Mse(stages[0]));
        Assert.True(Mse(stages[2]) < 0.5 * Mse(stages[0]));
        Assert.Equal(stages[2], gb.Predict(x));
    }

    [Theory]
    [InlineData(BoostInit.Zero, 1, 0.5, 1)]
    [InlineData(BoostInit.Zero, 3, 0.1, 40)]
    [InlineData(BoostInit.Mean, 2, 0.3, 25)]
    [InlineData(BoostInit.Mean, 4, 1.0, 10)]
    public void T12_smoother_reproduces_boosted_predictions(
        BoostInit init,
        int depth,
        double eta,
        int trees
    )
    {
        var (x, y) = Data(60, 3, 5);
        var (xt, _) = Data(25, 3, 6, scale: 3.0); // test rows, some far outside the training range
        var gb = BoostedTrees.Fit(x, 3, y, new BoostingSpec(trees, eta, depth, init));
        var sm = GbtSmoother.Build(gb, gb.Leaves(xt));
        var f = sm.Predict(y);
        Assert.True(
            MaxAbsDiff(f[..60], gb.Predict(x)) <= 1e-10,
            $"train: {MaxAbsDiff(f[..60], gb.Predict(x))}"
        );
        Assert.True(
            MaxAbsDiff(f[60..], gb.Predict(xt)) <= 1e-10,
            $"test: {MaxAbsDiff(f[60..], gb.Predict(xt))}"
        );
    }

    [Fact]
    public void T12_control_a_kernel_normalised_by_the_wrong_leaf_count_fails()
    {
        var (x, y) = Data(60, 3, 7);
        var (xt, _) = Data(25, 3, 8);
        var gb = BoostedTrees.Fit(x, 3, y, new BoostingSpec(20, 0.3, 3, BoostInit.Mean));
        var wrong = GbtSmoother.Build(gb, gb.Leaves(xt), leafCount: k => k + 1).Predict(y);
        Assert.True(MaxAbsDiff(wrong[..60], gb.Predict(x)) > 1e-3);
        Assert.True(MaxAbsDiff(wrong[60..], gb.Predict(xt)) > 1e-3);
    }

    [Fact]
    public void T12_the_mean_start_matters()
    {
        // Init mean but smoother started at S_0 = 0 (an init-0 model's smoother) must not match.
        var (x, y) = Data(60, 3, 9);
        var shifted = y.Select(v => v + 5).ToArray();
        var gbMean = BoostedTrees.Fit(x, 3, shifted, new BoostingSpec(5, 0.1, 2, BoostInit.Mean));
        var gbZero = BoostedTrees.Fit(x, 3, shifted, new BoostingSpec(5, 0.1, 2, BoostInit.Zero));
        var fZero = GbtSmoother.Build(gbZero, gbZero.Leaves(x)).Predict(shifted);
        Assert.True(MaxAbsDiff(fZero[..60], gbMean.Predict(x)) > 0.1);
    }

    [Fact]
    public void T13_tree_kernel_rows_sum_to_one_and_norms_are_bounded()
    {
        var (x, y) = Data(70, 4, 10);
        var (xt, _) = Data(40, 4, 11, scale: 5.0);
        var gb = BoostedTrees.Fit(x, 4, y, new BoostingSpec(15, 0.2, 4));
        int n = 70;
        foreach (var tree in gb.Trees)
        {
            var leaves = tree.Leaves(xt);
            var k = TreeKernel.Matrix(tree, leaves);
            var norms = TreeKernel.RowNorms(tree, leaves);
            for (int j = 0; j < xt.Length / 4; j++)
            {
                var row = k.AsSpan(j * n, n).ToArray();
                Assert.Equal(1.0, row.Sum(), 12);
                Assert.All(row, v => Assert.InRange(v, 0.0, 1.0));
                double norm = Math.Sqrt(row.Sum(v => v * v));
                Assert.Equal(norm, norms[j], 12);
                Assert.InRange(norm, 1 / Math.Sqrt(n) - 1e-12, 1 + 1e-12);
            }
        }
        // R_GBT ≤ 1 for far-out test rows; = 1 when the "test" set is the training set itself
        Assert.True(TreeKernel.NormalisedMaxWeight(gb, gb.Leaves(xt)) <= 1 + 1e-12);
        Assert.Equal(1.0, TreeKernel.NormalisedMaxWeight(gb, gb.Leaves(x)), 12);
    }

    [Fact]
    public void T11_single_tree_has_as_many_effective_parameters_as_leaves()
    {
        var (x, y) = Data(90, 3, 12);
        foreach (var depth in new[] { 1, 2, 4, 6 })
        {
            var gb = BoostedTrees.Fit(x, 3, y, new BoostingSpec(1, 1.0, depth, BoostInit.Zero));
            var sm = GbtSmoother.Build(gb, gb.Leaves(x));
            Assert.Equal(gb.Trees[0].LeafCount, sm.EffectiveParameters(0, 90), 12);
        }
    }

    [Theory]
    [InlineData(40, 1)]
    [InlineData(40, 4)]
    [InlineData(60, 5)]
    public void T11_knn_smoother_has_n_over_k_effective_parameters(int n, int k)
    {
        // 1-D points; S[i,j] = 1/k for the k nearest neighbours of x_i (self included)
        var rng = new Rng(13, 1);
        var x = Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray();
        var s = new double[n * n];
        for (int i = 0; i < n; i++)
            foreach (
                var j in Enumerable
                    .Range(0, n)
                    .OrderBy(j => Math.Abs(x[j] - x[i]))
                    .ThenBy(j => j != i)
                    .Take(k)
            )
                s[i * n + j] = 1.0 / k;
        Assert.Equal((double)n / k, Smoothers.EffectiveParameters(s, n, 0, n), 12);
    }
}
