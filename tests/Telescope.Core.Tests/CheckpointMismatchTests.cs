using System.Diagnostics;
using Telescope.Frames;

namespace Telescope.Tests;

/// <summary>Resuming against a checkpoint of a different model is refused with a clear message.</summary>
public class CheckpointMismatchTests
{
    internal sealed class MemoryStore : Telescope.Telescoping.ICheckpointStore
    {
        public byte[]? Latest;

        public byte[]? TryLoadLatest() => Latest;

        public void Save(long step, byte[] state) => Latest = state;
    }

    internal sealed class MemorySink : ICommittableSink
    {
        public readonly List<Observation> Rows = new();

        public void Write(in Observation o) => Rows.Add(o);

        public long Commit() => Rows.Count;

        public void Rewind(long position) =>
            Rows.RemoveRange((int)position, Rows.Count - (int)position);
    }

    /// <summary><see cref="Trajectory.Run"/> of <paramref name="net"/> on (train, test), checkpointing into <paramref name="store"/>.</summary>
    private static TrajectoryResult Run(
        Network net,
        Dataset train,
        Dataset test,
        TrajectoryConfig cfg,
        IObservationSink sink,
        ICheckpointStore store,
        Action<long>? progress = null,
        CancellationToken cancel = default
    ) => Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink, progress, cancel, store);

    [Fact]
    public void ACheckpointOfAnotherModelIsRejected()
    {
        var (train, test) = Fixtures.Data();
        var store = new MemoryStore();
        var cfg = new TrajectoryConfig(
            30,
            20,
            LossKind.Squared,
            new OptimizerSpec(OptimizerKind.Sgd, 0.05),
            0,
            CheckpointEvery: 10
        );
        var small = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [8]), train.Shape);
        Run(small, train, test, cfg, new MemorySink(), store);
        Assert.NotNull(store.Latest);
        var wide = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [12]), train.Shape);
        var e = Assert.Throws<InvalidDataException>(() =>
            Run(wide, train, test, cfg, new MemorySink(), store)
        );
        Assert.Contains("does not match", e.Message);
    }

    [Fact]
    public void ResumingInMemoryGivesTheSameRowsAsOneRun()
    {
        var (train, test) = Fixtures.Data();
        var cfg = new TrajectoryConfig(
            40,
            20,
            LossKind.Squared,
            new OptimizerSpec(OptimizerKind.Adam, 0.01),
            0,
            RecordEvery: 1,
            CheckpointEvery: 10
        );
        Network Net() => Fixtures.Net(new ModelSpec(ModelKind.Mlp, [8]), train.Shape);
        var whole = new MemorySink();
        Run(Net(), train, test, cfg, whole, new MemoryStore());
        // interrupted after step 25 (cancelled), then resumed from the step-20 checkpoint
        var store = new MemoryStore();
        var sink = new MemorySink();
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Run(
                Net(),
                train,
                test,
                cfg,
                sink,
                store,
                t =>
                {
                    if (t == 25)
                        cts.Cancel();
                },
                cts.Token
            )
        );
        Run(Net(), train, test, cfg, sink, store);
        Assert.Equal(whole.Rows, sink.Rows);
    }
}
