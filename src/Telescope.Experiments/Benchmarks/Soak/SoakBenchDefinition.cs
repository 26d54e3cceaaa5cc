using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Configuration of <c>bench soak</c>.</summary>
internal sealed record SoakBenchConfig(int Steps = 100_000, int RecordEvery = 10);

/// <summary><see cref="SoakBench"/>: a long streamed trajectory on the CPU, resident memory flat.</summary>
internal sealed class SoakBenchDefinition()
    : BenchDefinition<SoakBenchConfig>(
        "soak",
        "Record a long trajectory (default 100,000 steps) of a small model, streaming to disk, and show that resident memory stays flat.",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<SoakBenchConfig>> Typed =>
        [
            Int<SoakBenchConfig>(
                "steps",
                "Steps.",
                c => c.Steps,
                (c, v) => c with { Steps = v },
                Defaults
            ),
            Int<SoakBenchConfig>(
                "record-every",
                "Write every k-th step of the trajectory.",
                c => c.RecordEvery,
                (c, v) => c with { RecordEvery = v },
                Defaults
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(SoakBenchConfig c)
    {
        if (c.Steps < 1000)
            yield return $"{Option("steps")} must be ≥ 1000 for a soak, got {c.Steps}";
        if (c.RecordEvery < 1)
            yield return $"{Option("record-every")} must be ≥ 1, got {c.RecordEvery}";
    }

    /// <inheritdoc />
    protected override string Execute(
        SoakBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        Directory.CreateDirectory(outDir);
        var sink = new ObservationList();
        var trajectoryPath = System.IO.Path.Combine(outDir, "trajectory.csv");
        using var trajectory = new TidyCsvWriter(trajectoryPath, new TidySchema(["bench"]), Key);
        var result = observer.Progress("soak", report =>
            SoakBench.Run(sink, trajectory, c.Steps, c.RecordEvery, progress: t =>
                report("steps", t, c.Steps)
            )
        );
        trajectory.Complete();
        foreach (var (q, v) in result)
            output.WriteLine($"{q, -28} {v, 12:G6}");
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["steps"] = c.Steps,
                ["record_every"] = c.RecordEvery,
                ["model"] = "MLP 16-32-32-1, momentum 0.9, lr 0.01, batch 50, synthetic 200 rows",
            },
            sink.Items,
            observer
        );
        output.WriteLine(
            $"goal: rss_growth_ratio ≤ 1.1 (memory flat)\nwrote {path} and {trajectoryPath} ({trajectory.Rows} rows)"
        );
        return path;
    }
}
