using Telescope.Tangents;

namespace Telescope.Tests;

/// <summary>
/// <see cref="Network.Trace"/> and <see cref="Network.TangentFrom"/>: the tangent pass from a kept forward pass equals
/// <see cref="Network.Tangent"/> to the bit (the same operations on the same row blocks), at one thread and at two
/// (row blocks on workers); a trace at another θ gives another answer (the control). And <see cref="TrajectoryTimes"/>
/// counts a run's steps and logged steps.
/// </summary>
public class PrimalTraceTests
{
    public static TheoryData<string, int> Cases =>
        new()
        {
            { "relu", 1 },
            { "relu", 2 },
            { "tanh-sigmoid", 1 },
            { "tanh-sigmoid", 2 },
        };

    private static Network Make(string name) =>
        name == "relu"
            ? Fixtures.Net(new ModelSpec(ModelKind.Mlp, [30, 20]), [7], outputs: 2)
            : Fixtures.Net(
                new ModelSpec(ModelKind.Mlp, [16], ActivationKind.Tanh, OutputSigmoid: true),
                [7]
            );

    [Theory]
    [MemberData(nameof(Cases))]
    public void TangentFromATraceIsTheTangentPassToTheBit(string model, int threads)
    {
        int before = get_num_threads();
        set_num_threads(threads);
        try
        {
            using var scope = NewDisposeScope();
            var net = Make(model);
            var x = Fixtures.Inputs(3, 700, 7); // ≥ 2 × 128 rows: two row blocks at two threads
            var theta = net.Snapshot();
            var v = Fixtures.Direction(net, 5);
            var (f, jvp) = net.Tangent(x, theta, v);
            using var trace = net.Trace(x, theta)!;
            var fromTrace = net.TangentFrom(trace, theta, v);
            // the trace's output is the tangent pass's primal, and TangentFrom its jvp, to the bit
            Assert.Equal(0.0, trace.Output.sub(f).abs().max().item<double>());
            Assert.Equal(0.0, fromTrace.sub(jvp).abs().max().item<double>());
            // control: a trace at another θ is another primal, so another tangent
            var other = theta.Select((t, i) => t.add(v[i], alpha: 0.5)).ToArray();
            using var wrong = net.Trace(x, other)!;
            Assert.True(Fixtures.RelErr(net.TangentFrom(wrong, theta, v), jvp) > 1e-6);
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void OnlyDenseAndActivationNetworksTrace()
    {
        var cnn = Fixtures.Net(new ModelSpec(ModelKind.Cnn), [1, 8, 8]);
        Assert.False(cnn.CanTrace);
        Assert.Null(cnn.Trace(Fixtures.Inputs(1, 3, 1, 8, 8), cnn.Snapshot()));
        Assert.True(Make("relu").CanTrace);
    }

    [Fact]
    public void TrajectoryTimesCountsStepsAndLoggedSteps()
    {
        var (train, test) = Fixtures.Data();
        var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [8]), train.Shape);
        var cfg = new TrajectoryConfig(
            12,
            10,
            LossKind.Squared,
            new OptimizerSpec(OptimizerKind.Sgd, 0.1),
            0,
            RecordEvery: 5
        );
        var times = new TrajectoryTimes();
        using (TrajectoryTimes.Collect(times))
            Trajectory.Run(net, train, Probe.Of(train, test), cfg, new ObservationList());
        Assert.Equal(12, times.Steps);
        Assert.Equal(LogGrid.Steps(12, 5).Count(t => t > 0), times.LoggedSteps);
        double parts =
            times.TrainStep + times.Tangent + times.Logged + times.Writing + times.Checkpoints;
        Assert.True(parts > 0 && parts <= times.Total, $"parts {parts} of {times.Total}");
        // nothing is collected outside Collect
        Trajectory.Run(net, train, Probe.Of(train, test), cfg, new ObservationList());
        Assert.Equal(12, times.Steps);
    }
}
