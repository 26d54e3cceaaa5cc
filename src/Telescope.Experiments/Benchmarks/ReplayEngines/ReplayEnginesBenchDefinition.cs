using Telescope.Data;
using Telescope.Optim;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Configuration of <c>bench replay-engines</c> (defaults: the attribution ladder's default run under SGD).</summary>
internal sealed record ReplayEnginesBenchConfig(
    int Replays = 64,
    int TrainRows = 1000,
    int TestRows = 20,
    int Epochs = 3,
    int BatchSize = 64,
    string Optimizer = "sgd",
    double LearningRate = 0.05,
    int CheckpointEvery = 5,
    int GroupSize = Telescope.Training.BatchedPlan.DefaultGroupSize,
    int Rounds = 1
)
{
    /// <summary>Hidden widths of the MLP (784–128–64–10).</summary>
    public int[] Hidden { get; init; } = [128, 64];
}

/// <summary><see cref="ReplayEnginesBench"/>: R leave-one-out replays batched vs one after another.</summary>
internal sealed class ReplayEnginesBenchDefinition()
    : BenchDefinition<ReplayEnginesBenchConfig>(
        "replay-engines",
        "R leave-one-out replays of one recorded run of the attribution ladder's MLP (784–128–64–10, float64, batch 64, MNIST) by the batched replay engine vs one after another: throughput ratio and the largest relative difference of their f_T.",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<ReplayEnginesBenchConfig>> Typed =>
        [
            Int<ReplayEnginesBenchConfig>(
                "replays",
                "Leave-one-out replays R (training rows 0…R−1 removed in turn).",
                c => c.Replays,
                (c, v) => c with { Replays = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "train-rows",
                "Training rows n.",
                c => c.TrainRows,
                (c, v) => c with { TrainRows = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "test-rows",
                "Test rows probed.",
                c => c.TestRows,
                (c, v) => c with { TestRows = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "epochs",
                "Epochs of the recorded run.",
                c => c.Epochs,
                (c, v) => c with { Epochs = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "batch-size",
                "Mini-batch size.",
                c => c.BatchSize,
                (c, v) => c with { BatchSize = v },
                Defaults
            ),
            Choice<ReplayEnginesBenchConfig, string>(
                "optimizer",
                "sgd, momentum, nesterov, ema, adam or adamw.",
                Defaults.Optimizer,
                OptimizerSpec.ShortNames.Select(n => (n, n)).ToArray(),
                (c, v) => c with { Optimizer = v }
            ),
            Double<ReplayEnginesBenchConfig>(
                "lr",
                "Learning rate.",
                c => c.LearningRate,
                (c, v) => c with { LearningRate = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "replay-checkpoint",
                "Checkpoint interval of the recorded run (the sequential engine starts each replay from the last one before its row is first used).",
                c => c.CheckpointEvery,
                (c, v) => c with { CheckpointEvery = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "group-size",
                "Most replays per batched tensor program (0: all).",
                c => c.GroupSize,
                (c, v) => c with { GroupSize = v },
                Defaults
            ),
            Int<ReplayEnginesBenchConfig>(
                "rounds",
                "Timed rounds, each running both sides in turn; ratio = median of per-round ratios.",
                c => c.Rounds,
                (c, v) => c with { Rounds = v },
                Defaults
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(ReplayEnginesBenchConfig c)
    {
        if (c.TrainRows < 2 || c.TestRows < 1 || c.TrainRows + c.TestRows > 10_000)
            yield return $"{Option("train-rows")} ≥ 2, {Option("test-rows")} ≥ 1 and their sum ≤ 10000 (MNIST's digits), got {c.TrainRows} + {c.TestRows}";
        if (c.Replays < 1 || c.Replays > c.TrainRows)
            yield return $"{Option("replays")} must be in 1…{Option("train-rows")} ({c.TrainRows}), got {c.Replays}";
        if (c.Epochs < 1 || c.Epochs > 100)
            yield return $"{Option("epochs")} must be in 1…100, got {c.Epochs}";
        if (c.BatchSize < 1)
            yield return $"{Option("batch-size")} must be ≥ 1, got {c.BatchSize}";
        if (!OptimizerSpec.ShortNames.Contains(c.Optimizer))
            yield return $"{Option("optimizer")} must be one of {string.Join(", ", OptimizerSpec.ShortNames)}, got '{c.Optimizer}'";
        if (!(c.LearningRate > 0) || double.IsInfinity(c.LearningRate))
            yield return $"{Option("lr")} must be a positive finite number, got {c.LearningRate}";
        if (c.CheckpointEvery < 1)
            yield return $"{Option("replay-checkpoint")} must be ≥ 1, got {c.CheckpointEvery}";
        if (c.GroupSize < 0)
            yield return $"{Option("group-size")} must be ≥ 0, got {c.GroupSize}";
        if (c.Rounds < 1)
            yield return $"{Option("rounds")} must be ≥ 1, got {c.Rounds}";
        long steps = (long)c.Epochs * ((c.TrainRows + c.BatchSize - 1) / c.BatchSize);
        if ((long)c.Replays * steps * (c.Rounds * 2 + 1) > 10_000_000)
            yield return $"{c.Replays} replays × {steps} steps × {c.Rounds} rounds exceed the bound of 1e7 replayed steps";
    }

    /// <inheritdoc />
    protected override string Execute(
        ReplayEnginesBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var (train, test) = Mnist.TenClass(c.TrainRows, c.TestRows, 0, output.WriteLine);
        output.WriteLine(
            $"bench replay-engines: {c.Replays} leave-one-out replays, MLP 784–{string.Join('–', c.Hidden)}–10, float64, batch {c.BatchSize}, {c.Epochs} epochs, {c.Optimizer} lr {c.LearningRate}, {train.Count} training rows, group size {c.GroupSize}, {threads} threads"
        );
        var sink = new ObservationList();
        ReplayEnginesBench.Run(sink, c, train, test, output.WriteLine);
        var config = new JsonObject
        {
            ["replays"] = c.Replays,
            ["train_rows"] = c.TrainRows,
            ["test_rows"] = c.TestRows,
            ["epochs"] = c.Epochs,
            ["batch_size"] = c.BatchSize,
            ["optimizer"] = c.Optimizer,
            ["lr"] = c.LearningRate,
            ["checkpoint_every"] = c.CheckpointEvery,
            ["group_size"] = c.GroupSize,
            ["rounds"] = c.Rounds,
            ["hidden"] = new JsonArray(c.Hidden.Select(h => (JsonNode)h).ToArray()),
            ["seed"] = 0,
        };
        var path = Write(
            outDir,
            threads,
            config,
            sink.Items,
            observer,
            $"{Mnist.SourceName}: ten classes, split by data seed 0"
        );
        output.WriteLine($"max_relative_difference goal ≤ 1e-12\nwrote {path}");
        return path;
    }
}
