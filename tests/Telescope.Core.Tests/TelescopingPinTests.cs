using Telescope.Tangents;

namespace Telescope.Tests;

/// <summary>
/// The paper's central formula pinned on nonlinear networks against an independent computation:
/// f̃_T(x) = f_0(x) + Σ_{s=1..T} J(θ_{s−1})(x) Δθ_s, with J the explicit Jacobian built row by row from
/// per-example backward passes (not the recorder's forward-mode tangent), θ_s the parameters after
/// each real optimiser step. The must-fail control evaluates the same sum at θ_s instead of θ_{s−1}
/// (the increment one step late) and must be told apart by orders of magnitude.
/// </summary>
public sealed class TelescopingPinTests
{
    [Theory]
    [InlineData(ActivationKind.Tanh, "sgd")]
    [InlineData(ActivationKind.Sigmoid, "sgd")]
    [InlineData(ActivationKind.Relu, "sgd")]
    [InlineData(ActivationKind.Tanh, "adam")]
    public void TheTelescopedModelIsTheSumOfFirstOrderUpdatesAtThePreviousParameters(
        ActivationKind activation,
        string optimizer
    )
    {
        const int steps = 20;
        var (train, test) = BinaryDigits.Synthetic(train: 30, test: 12, dataSeed: 4, d: 6);
        using var net = new ModelSpec(ModelKind.Mlp, [10, 10], activation).Build(
            train.Shape,
            train.Outputs,
            3,
            ScalarType.Float64,
            CPU
        );
        var probe = Probe.Of(train, test);
        var opt =
            optimizer == "adam"
                ? new OptimizerSpec(OptimizerKind.Adam, 0.05)
                : new OptimizerSpec(OptimizerKind.Sgd, 0.5);
        var cfg = new TrajectoryConfig(
            steps,
            10,
            LossKind.Squared,
            opt,
            Seed: 1,
            RecordEvery: steps,
            RecordExamples: 100
        );
        var thetas = new List<Tensor[]> { net.Snapshot() };
        var sink = new ObservationList();
        var result = Trajectory.Run(
            net,
            train,
            probe,
            cfg,
            sink,
            // after each real step (inside the step's dispose scope, so the copies are taken out of it)
            progress: _ =>
                thetas.Add(net.Snapshot().Select(t => t.DetachFromDisposeScope()).ToArray())
        );
        Assert.True(result.Succeeded, result.Failure);
        Assert.Equal(steps + 1, thetas.Count);

        var x = torch.cat(
            [
                probe.Train.Inputs(ScalarType.Float64, CPU),
                probe.Test.Inputs(ScalarType.Float64, CPU),
            ],
            0
        );
        long n = x.shape[0],
            k = net.Outputs;
        var f0 = net.Forward(x, thetas[0]).detach();
        Tensor Vec(Tensor[] ts) => torch.cat(ts.Select(t => t.reshape(-1)).ToArray());
        var atPrevious = f0.clone();
        var atCurrent = f0.clone();
        for (int s = 1; s <= steps; s++)
        {
            var delta = Vec(thetas[s]) - Vec(thetas[s - 1]);
            atPrevious += Jvp.Jacobian(net, x, thetas[s - 1]).matmul(delta).reshape(n, k);
            atCurrent += Jvp.Jacobian(net, x, thetas[s]).matmul(delta).reshape(n, k);
        }

        var recorded = torch.zeros(n, k, dtype: ScalarType.Float64);
        int found = 0;
        foreach (var o in sink.Items.Where(o => o.Quantity == "f_telescoped" && o.Step == steps))
        {
            long row = o.Split == "train" ? o.Example!.Value : probe.Train.Count + o.Example!.Value;
            recorded[row, o.Output!.Value] = o.Value;
            found++;
        }
        Assert.Equal(n * k, found);
        var fT = net.Forward(x, thetas[^1]).detach();

        double scale = Math.Max(1, atPrevious.abs().max().item<double>());
        double err = (recorded - atPrevious).abs().max().item<double>();
        double late = (atCurrent - atPrevious).abs().max().item<double>();
        double nonlinear = (fT - atPrevious).abs().max().item<double>();
        Assert.True(
            err <= 1e-10 * scale,
            $"recorded f̃_T differs from f_0 + Σ J(θ_(s−1))Δθ_s by {err:E2}"
        );
        // control: the increment evaluated one step late is a different model, far beyond the tolerance
        Assert.True(
            late > 1e4 * 1e-10 * scale,
            $"J(θ_s) vs J(θ_(s−1)) differ by only {late:E2}: the pin cannot tell them apart"
        );
        // and the net is not linear here: f_T itself is not f̃_T
        Assert.True(
            nonlinear > 1e4 * 1e-10 * scale,
            $"f_T − f̃_T = {nonlinear:E2}: the setting is too linear to pin anything"
        );
    }
}
