using Telescope.Optim;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Configuration of <c>bench batched-runs</c> (defaults: the attribution ladder's MNIST MLP).</summary>
internal sealed record BatchedRunsBenchConfig(
    int Runs = 64,
    int Steps = 200,
    int BatchSize = 64,
    int TrainRows = 5000,
    string Optimizer = "sgd",
    double LearningRate = 0.01,
    int GroupSize = Telescope.Training.BatchedPlan.DefaultGroupSize,
    int Rounds = 1,
    string Data = "mnist",
    string Share = "seeds"
)
{
    /// <summary>Hidden widths of the MLP (784–128–64–10).</summary>
    public int[] Hidden { get; init; } = [128, 64];
}

/// <summary><see cref="BatchedRunsBench"/>: R small runs batched vs the same R runs one after another.</summary>
internal sealed class BatchedRunsBenchDefinition()
    : BenchDefinition<BatchedRunsBenchConfig>(
        "batched-runs",
        "R small runs of one MLP (784–128–64–10, float64, batch 64) trained as batched tensor programs vs the same runs one after another by the single-run path: throughput ratio (goal ≥ 4) and the largest relative difference of their weights.",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<BatchedRunsBenchConfig>> Typed =>
        [
            Int<BatchedRunsBenchConfig>(
                "runs",
                "Runs R (seeds 0…R−1).",
                c => c.Runs,
                (c, v) => c with { Runs = v },
                Defaults
            ),
            Int<BatchedRunsBenchConfig>(
                "steps",
                "Optimiser steps per run.",
                c => c.Steps,
                (c, v) => c with { Steps = v },
                Defaults
            ),
            Int<BatchedRunsBenchConfig>(
                "batch-size",
                "Mini-batch size.",
                c => c.BatchSize,
                (c, v) => c with { BatchSize = v },
                Defaults
            ),
            Int<BatchedRunsBenchConfig>(
                "train-rows",
                "Training rows n.",
                c => c.TrainRows,
                (c, v) => c with { TrainRows = v },
                Defaults
            ),
            Choice<BatchedRunsBenchConfig, string>(
                "optimizer",
                "sgd, momentum, nesterov, ema, adam or adamw.",
                Defaults.Optimizer,
                OptimizerSpec.ShortNames.Select(n => (n, n)).ToArray(),
                (c, v) => c with { Optimizer = v }
            ),
            Double<BatchedRunsBenchConfig>(
                "lr",
                "Learning rate.",
                c => c.LearningRate,
                (c, v) => c with { LearningRate = v },
                Defaults
            ),
            Int<BatchedRunsBenchConfig>(
                "group-size",
                "Most runs per batched tensor program (0: all).",
                c => c.GroupSize,
                (c, v) => c with { GroupSize = v },
                Defaults
            ),
            Int<BatchedRunsBenchConfig>(
                "rounds",
                "Timed rounds, each running both sides in turn; ratio = median of per-round ratios.",
                c => c.Rounds,
                (c, v) => c with { Rounds = v },
                Defaults
            ),
            Choice<BatchedRunsBenchConfig, string>(
                "share",
                "seeds (run r: init and data-order seed r) or replays (the ladder's leave-one-out retrains: seed 0 for all, run r > 0 without training row r − 1).",
                Defaults.Share,
                [("seeds", "seeds"), ("replays", "replays")],
                (c, v) => c with { Share = v }
            ),
            Choice<BatchedRunsBenchConfig, string>(
                "data",
                "mnist (real, the library's loader) or synthetic (a labelled stand-in of the same shape).",
                Defaults.Data,
                [("mnist", "mnist"), ("synthetic", "synthetic")],
                (c, v) => c with { Data = v }
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(BatchedRunsBenchConfig c)
    {
        if (c.Runs < 1 || c.Runs > 4096)
            yield return $"{Option("runs")} must be in 1…4096, got {c.Runs}";
        if (c.Steps < 1 || c.Steps > 100_000)
            yield return $"{Option("steps")} must be in 1…100000, got {c.Steps}";
        if (c.BatchSize < 1)
            yield return $"{Option("batch-size")} must be ≥ 1, got {c.BatchSize}";
        if (c.TrainRows < 10 || c.TrainRows > 10_000)
            yield return $"{Option("train-rows")} must be in 10…10000 (the loader holds 10,000 digits), got {c.TrainRows}";
        if (!OptimizerSpec.ShortNames.Contains(c.Optimizer))
            yield return $"{Option("optimizer")} must be one of {string.Join(", ", OptimizerSpec.ShortNames)}, got '{c.Optimizer}'";
        if (!(c.LearningRate > 0) || double.IsInfinity(c.LearningRate))
            yield return $"{Option("lr")} must be a positive finite number, got {c.LearningRate}";
        if (c.GroupSize < 0)
            yield return $"{Option("group-size")} must be ≥ 0, got {c.GroupSize}";
        if (c.Rounds < 1)
            yield return $"{Option("rounds")} must be ≥ 1, got {c.Rounds}";
        if (c.Share is not ("seeds" or "replays"))
            yield return $"{Option("share")} must be seeds or replays, got '{c.Share}'";
        if (c.Share == "replays" && c.Runs > c.TrainRows + 1)
            yield return $"{Option("share")} replays needs {Option("runs")} ≤ {Option("train-rows")} + 1";
        if (c.Data is not ("mnist" or "synthetic"))
            yield return $"{Option("data")} must be mnist or synthetic, got '{c.Data}'";
    }

    /// <inheritdoc />
    protected override string Execute(
        BatchedRunsBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var train =
            c.Data == "mnist"
                ? BatchedRunsBench.Mnist10(c.TrainRows, output.WriteLine)
                : BatchedRunsBench.Synthetic10(c.TrainRows);
        output.WriteLine(
            $"bench batched-runs: {c.Runs} runs × {c.Steps} steps, MLP 784–{string.Join('–', c.Hidden)}–10, float64, batch {c.BatchSize}, {c.Optimizer} lr {c.LearningRate}, {c.Share}, group size {c.GroupSize}, {train.Count} rows of {train.Name}, {threads} threads"
        );
        var sink = new ObservationList();
        BatchedRunsBench.Run(sink, c, train, output.WriteLine);
        var config = new JsonObject
        {
            ["runs"] = c.Runs,
            ["steps"] = c.Steps,
            ["batch_size"] = c.BatchSize,
            ["train_rows"] = c.TrainRows,
            ["optimizer"] = c.Optimizer,
            ["lr"] = c.LearningRate,
            ["group_size"] = c.GroupSize,
            ["rounds"] = c.Rounds,
            ["data"] = c.Data,
            ["share"] = c.Share,
            ["plan"] = BatchedRunsBench.Plan(c).Describe(),
        };
        var path = Write(outDir, threads, config, sink.Items, observer, train.Source);
        output.WriteLine(
            $"goal: throughput_ratio ≥ 4, max_relative_difference ≤ 1e-12\nwrote {path}"
        );
        return path;
    }
}
