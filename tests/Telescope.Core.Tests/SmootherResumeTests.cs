using Telescope.Smoothing;
using MemorySink = Telescope.Tests.CheckpointMismatchTests.MemorySink;
using MemoryStore = Telescope.Tests.CheckpointMismatchTests.MemoryStore;

namespace Telescope.Tests;

/// <summary>
/// <see cref="SmootherTrajectory.Run"/> checkpoints and resumes exactly (θ, f̃, S, c, W and the mirrored
/// buffers, optimiser, sampler, early stopping, table position), and refuses a foreign checkpoint.
/// </summary>
public class SmootherResumeTests
{
    private static OptimizerSpec Spec(string kind) =>
        kind switch
        {
            "sgd" => new OptimizerSpec(OptimizerKind.Sgd, 0.05),
            "momentum" => new OptimizerSpec(OptimizerKind.Momentum, 0.02),
            "adamw" => new OptimizerSpec(
                OptimizerKind.AdamW,
                0.01,
                WeightDecay: 0.3,
                Beta2: 0.99,
                Warmup: 5
            ),
            _ => throw new ArgumentException(kind),
        };

    private static SmootherConfig Config(string kind, int recordEvery = 1) =>
        new(40, 10, Spec(kind), 0, RecordEvery: recordEvery, CheckpointEvery: 10);

    private static Network Net(int width = 8) =>
        Fixtures.Net(new ModelSpec(ModelKind.Mlp, [width]), Fixtures.Data(30, 10).train.Shape);

    /// <summary>Run to the end, or cancel after step <paramref name="cancelAt"/> (0: never).</summary>
    private static Telescope.Telescoping.TrajectoryResult Run(
        SmootherConfig cfg,
        MemorySink sink,
        MemoryStore? store,
        long cancelAt = 0,
        int width = 8
    )
    {
        var (train, test) = Fixtures.Data(30, 10);
        using var net = Net(width);
        using var cts = new CancellationTokenSource();
        return SmootherTrajectory.Run(
            net,
            train,
            test,
            cfg,
            sink,
            progress: t =>
            {
                if (t == cancelAt)
                    cts.Cancel();
            },
            cancel: cts.Token,
            checkpoints: store,
            preamble: [new Observation("preamble", 1)]
        );
    }

    [Theory]
    [InlineData("sgd")] // A3 (kernel path)
    [InlineData("momentum")] // A2 with the mirrored momentum buffer
    [InlineData("adamw")] // A2 with Adam's moments and 1/φ_t
    public void ResumingAfterAnInterruptionGivesTheSameRowsAsOneRun(string kind)
    {
        var cfg = Config(kind);
        var whole = new MemorySink();
        var r0 = Run(cfg, whole, null);
        Assert.True(r0.Succeeded, r0.Failure);

        var store = new MemoryStore();
        var sink = new MemorySink();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(cfg, sink, store, cancelAt: 25));
        Assert.NotNull(store.Latest);
        Assert.Contains(sink.Rows, o => o.Step == 25); // rows past the step-20 checkpoint: rewound
        var r1 = Run(cfg, sink, store);
        Assert.True(r1.Succeeded, r1.Failure);
        Assert.Equal(whole.Rows, sink.Rows);
        Assert.Equal(r0.Final, r1.Final);
        Assert.Single(sink.Rows, o => o.Quantity == "preamble");
    }

    [Fact]
    public void EarlyStoppingStateSurvivesAResume()
    {
        // every full-train loss "fails to improve" by 1e9 after the first epoch (3 steps), so with a
        // patience of 9 epochs the run stops at step 30; a resume at 20 must remember the 6 epochs so far
        var cfg = Config("sgd") with
        {
            PatienceEpochs = 9,
            MinImprovement = 1e9,
        };
        var whole = new MemorySink();
        var r0 = Run(cfg, whole, null);
        Assert.Equal(30, r0.StepsCompleted);
        var store = new MemoryStore();
        var sink = new MemorySink();
        Assert.ThrowsAny<OperationCanceledException>(() => Run(cfg, sink, store, cancelAt: 23));
        var r1 = Run(cfg, sink, store);
        Assert.Equal(30, r1.StepsCompleted);
        Assert.Equal(whole.Rows, sink.Rows);
    }

    [Fact]
    public void ACheckpointOfAnotherModelOrConfigurationIsRefused()
    {
        var store = new MemoryStore();
        var interrupted = new MemorySink();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Run(Config("sgd"), interrupted, store, cancelAt: 15)
        );
        var saved = store.Latest;
        Assert.NotNull(saved);
        var wider = Assert.Throws<InvalidDataException>(() =>
            Run(Config("sgd"), new MemorySink(), store, width: 12)
        );
        Assert.Contains("does not match", wider.Message);
        var otherRate = Assert.Throws<InvalidDataException>(() =>
            Run(
                Config("sgd") with
                {
                    Optimizer = new OptimizerSpec(OptimizerKind.Sgd, 0.06),
                },
                new MemorySink(),
                store
            )
        );
        Assert.Contains("does not match", otherRate.Message);
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
            w.Write("TELESCOPE-TRAJECTORY-1"); // an approximation run's checkpoint
        var approximation = new MemoryStore { Latest = ms.ToArray() };
        Assert.Throws<InvalidDataException>(() =>
            Run(Config("sgd"), new MemorySink(), approximation)
        );
        // the interval is not part of the configuration: a resume may checkpoint more or less often
        store.Latest = saved;
        Assert.True(Run(Config("sgd") with { CheckpointEvery = 7 }, interrupted, store).Succeeded);
        var whole = new MemorySink();
        Run(Config("sgd"), whole, null);
        Assert.Equal(whole.Rows, interrupted.Rows);
    }
}
