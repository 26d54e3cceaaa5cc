using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Configuration of <c>bench telescoping</c>.</summary>
internal sealed record TelescopingBenchConfig(
    int Points = 1000,
    int Repeats = 21,
    torch.ScalarType DType = torch.ScalarType.Float32,
    string Device = "cpu"
) : TensorBenchConfig(Points, Repeats, DType, Device);

/// <summary><see cref="TelescopingBench"/>: batched JVP vs one forward pass vs a per-example loop.</summary>
internal sealed class TelescopingBenchDefinition()
    : BenchDefinition<TelescopingBenchConfig>(
        "telescoping",
        "Batched telescoped update (forward-mode JVP) vs one forward pass vs a per-example autograd loop, and the generic path (double backward, whole network and per layer) against the forward-mode pass; N points, MLP 784–256–256–10.",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<TelescopingBenchConfig>> Typed =>
        TensorParameters(
            Defaults,
            "Probe points N.",
            "Timed rounds: each runs every pass once, in turn; medians, and ratios as medians of per-round ratios."
        );

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(TelescopingBenchConfig c) => TensorProblems(c);

    /// <inheritdoc />
    protected override string Device(TelescopingBenchConfig c) => c.Device;

    /// <inheritdoc />
    protected override string Execute(
        TelescopingBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var sink = new ObservationList();
        output.WriteLine(
            $"bench telescoping: N = {c.Points}, MLP 784–256–256–10, {c.DType}, {threads} threads"
        );
        TelescopingBench.Run(sink, c.Points, c.DType, c.Device, c.Repeats, log: output.WriteLine);
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["points"] = c.Points,
                ["repeats"] = c.Repeats,
                ["dtype"] = c.DType.ToString(),
                ["model"] = "MLP 784-256-256-10",
            },
            sink.Items,
            observer
        );
        output.WriteLine(
            $"goals: jvp_over_forward ≤ 4, speedup_vs_per_example ≥ 50, generic_*_over_forward_mode ≤ 2\nwrote {path}"
        );
        return path;
    }
}
