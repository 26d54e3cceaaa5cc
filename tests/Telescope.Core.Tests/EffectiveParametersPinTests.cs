using Telescope.Smoothing;

namespace Telescope.Tests;

/// <summary>
/// Each split's effective parameters, as the smoother trajectory writes them (the rows that feed the double-descent
/// verdict), against an independent smoother: for a model linear in θ the tangent kernel K = J Jᵀ is constant (J by
/// plain autograd, one backward pass per point), and full-batch SGD on the ½-squared loss gives
/// <c>S_t = S_{t−1} + (γ/n) K[:, train] (I − S_{t−1}[train])</c>, iterated here in managed doubles; then
/// <c>p_train = ‖S[train]‖_F²</c> and <c>p_test = (n/m) Σ_test ‖s(x_j)‖²</c>.
/// </summary>
public sealed class EffectiveParametersPinTests
{
    [Fact]
    public void EachSplitsEffectiveParametersEqualAnIndependentSmoother()
    {
        var (train, test) = Fixtures.Data(20, 10);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Linear, [12]), train.Shape, seed: 3);
        int n = train.Count,
            m = test.Count,
            all = n + m;
        const double lr = 0.3;
        const int steps = 25;
        // J: ∇_θ f(x) for every tracked point (train rows first), by autograd; K = J Jᵀ
        var xAll = cat(
            [train.Inputs(ScalarType.Float64, CPU), test.Inputs(ScalarType.Float64, CPU)],
            0
        );
        var ps = net.Parameters.Cast<Tensor>().ToList();
        var j = stack(
            Enumerable
                .Range(0, all)
                .Select(p =>
                    cat(
                        [
                            .. autograd
                                .grad([net.Forward(xAll.narrow(0, p, 1)).sum()], ps)
                                .Select(g => g.flatten()),
                        ],
                        0
                    )
                )
                .ToArray(),
            0
        );
        var k = j.matmul(j.t()).data<double>().ToArray(); // [all, all], row-major
        var s = new double[all, n];
        for (int t = 1; t <= steps; t++)
        {
            var next = (double[,])s.Clone();
            for (int r = 0; r < all; r++)
            for (int c = 0; c < n; c++)
            {
                double acc = 0;
                for (int i = 0; i < n; i++)
                    acc += k[r * all + i] * ((i == c ? 1 : 0) - s[i, c]);
                next[r, c] += lr / n * acc;
            }
            s = next;
        }
        double pTrain = 0,
            pTest = 0;
        for (int r = 0; r < all; r++)
        for (int c = 0; c < n; c++)
            if (r < n)
                pTrain += s[r, c] * s[r, c];
            else
                pTest += s[r, c] * s[r, c];
        pTest *= (double)n / m;

        var rows = new ObservationList();
        var result = SmootherTrajectory.Run(
            net,
            train,
            test,
            new SmootherConfig(
                steps,
                n,
                new OptimizerSpec(OptimizerKind.Sgd, lr),
                0,
                RecordEvery: steps
            ),
            rows
        );
        Assert.True(result.Succeeded, result.Failure);
        double Written(string split) =>
            rows
                .Items.Single(o =>
                    o.Quantity == "effective_parameters" && o.Split == split && o.Step == steps
                )
                .Value;
        Assert.True(
            pTrain > 1 && Math.Abs(pTrain - pTest) > 1e-3 * pTrain,
            $"p_train {pTrain}, p_test {pTest}: the control needs splits that differ"
        );
        Assert.True(
            Math.Abs(Written("train") - pTrain) <= 1e-9 * pTrain,
            $"p_train written {Written("train"):R}, independent {pTrain:R}"
        );
        Assert.True(
            Math.Abs(Written("test") - pTest) <= 1e-9 * pTest,
            $"p_test written {Written("test"):R}, independent {pTest:R}"
        );
    }
}
