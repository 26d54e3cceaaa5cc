using System.Diagnostics;
using Telescope.Frames;
using Xunit;

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

    [Fact]
    public void ACheckpointOfAnotherModelIsRejected()
    {
        var (train, test) = Fixtures.Data();
        var store = new MemoryStore();
        var cfg = new Telescope.Telescoping.TrajectoryConfig(
            30,
            20,
            Telescope.Training.LossKind.Squared,
            new Telescope.Optim.OptimizerSpec(Telescope.Optim.OptimizerKind.Sgd, 0.05),
            0,
            CheckpointEvery: 10
        );
        var small = Fixtures.Net(
            new Telescope.Models.ModelSpec(Telescope.Models.ModelKind.Mlp, [8]),
            train.Shape
        );
        Telescope.Telescoping.Trajectory.Run(
            small,
            train,
            Telescope.Telescoping.Probe.Of(train, test),
            cfg,
            new MemorySink(),
            checkpoints: store
        );
        Assert.NotNull(store.Latest);
        var wide = Fixtures.Net(
            new Telescope.Models.ModelSpec(Telescope.Models.ModelKind.Mlp, [12]),
            train.Shape
        );
        var e = Assert.Throws<InvalidDataException>(() =>
            Telescope.Telescoping.Trajectory.Run(
                wide,
                train,
                Telescope.Telescoping.Probe.Of(train, test),
                cfg,
                new MemorySink(),
                checkpoints: store
            )
        );
        Assert.Contains("does not match", e.Message);
    }

    [Fact]
    public void ResumingInMemoryGivesTheSameRowsAsOneRun()
    {
        var (train, test) = Fixtures.Data();
        var cfg = new Telescope.Telescoping.TrajectoryConfig(
            40,
            20,
            Telescope.Training.LossKind.Squared,
            new Telescope.Optim.OptimizerSpec(Telescope.Optim.OptimizerKind.Adam, 0.01),
            0,
            RecordEvery: 1,
            CheckpointEvery: 10
        );
        Telescope.Models.Network Net() =>
            Fixtures.Net(
                new Telescope.Models.ModelSpec(Telescope.Models.ModelKind.Mlp, [8]),
                train.Shape
            );
        var whole = new MemorySink();
        Telescope.Telescoping.Trajectory.Run(
            Net(),
            train,
            Telescope.Telescoping.Probe.Of(train, test),
            cfg,
            whole,
            checkpoints: new MemoryStore()
        );
        // interrupted after step 25 (cancelled), then resumed from the step-20 checkpoint
        var store = new MemoryStore();
        var sink = new MemorySink();
        using var cts = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Telescope.Telescoping.Trajectory.Run(
                Net(),
                train,
                Telescope.Telescoping.Probe.Of(train, test),
                cfg,
                sink,
                t =>
                {
                    if (t == 25)
                        cts.Cancel();
                },
                cts.Token,
                store
            )
        );
        Telescope.Telescoping.Trajectory.Run(
            Net(),
            train,
            Telescope.Telescoping.Probe.Of(train, test),
            cfg,
            sink,
            checkpoints: store
        );
        Assert.Equal(whole.Rows, sink.Rows);
    }
}
