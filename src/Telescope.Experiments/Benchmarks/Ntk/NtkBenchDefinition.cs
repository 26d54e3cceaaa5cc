using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Configuration of <c>bench ntk</c>.</summary>
internal sealed record NtkBenchConfig(
    int Points = 1000,
    int Repeats = 3,
    int JacobianPoints = 100,
    int PerExampleRows = 4,
    torch.ScalarType DType = torch.ScalarType.Float32,
    string Device = "cpu"
) : TensorBenchConfig(Points, Repeats, DType, Device);

/// <summary><see cref="NtkBench"/>: structured tangent kernel vs Jacobian contraction vs per-example loop vs a GEMM.</summary>
internal sealed class NtkBenchDefinition()
    : BenchDefinition<NtkBenchConfig>(
        "ntk",
        "Empirical tangent kernel K(X, X) (traced over 10 outputs) of an MLP 784–256–256–10 on N points: structured (per-layer) vs Jacobian contraction vs per-example loop, against a plain GEMM as the machine's ceiling.",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<NtkBenchConfig>> Typed =>
        [
            .. TensorParameters(
                Defaults,
                "Points N.",
                "Timed repeats (median) for the structured method and the GEMMs."
            ),
            Int<NtkBenchConfig>(
                "jacobian-points",
                "Rows at which the Jacobian method is timed (its full-N J does not fit in memory); extrapolated: build × N/m + GEMM × (N/m)².",
                c => c.JacobianPoints,
                (c, v) => c with { JacobianPoints = v },
                Defaults
            ),
            Int<NtkBenchConfig>(
                "per-example-rows",
                "Rows of A for which the per-example loop is timed against all N rows (scaled by N/rows).",
                c => c.PerExampleRows,
                (c, v) => c with { PerExampleRows = v },
                Defaults
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(NtkBenchConfig c)
    {
        if (c.Points < 1 || c.Repeats < 1 || c.JacobianPoints < 1 || c.PerExampleRows < 1)
            yield return $"{Option("points")}, {Option("repeats")}, {Option("jacobian-points")} and {Option("per-example-rows")} must be ≥ 1";
        else
        {
            foreach (var p in TensorProblems(c, MaxPoints))
                yield return p;
            foreach (
                var p in StudyLimits.AtMost(
                    Option("jacobian-points"),
                    c.JacobianPoints,
                    MaxJacobianPoints
                )
            )
                yield return p;
        }
    }

    /// <summary>The most points N: K(X, X) alone is N² numbers (20,000² float32 = 1.6 GB).</summary>
    public new const int MaxPoints = 20_000;

    /// <summary>The most rows of the timed Jacobian: m·k·P numbers (200 × 10 × 269,322 float32 = 2.2 GB).</summary>
    public const int MaxJacobianPoints = 200;

    /// <inheritdoc />
    protected override string Device(NtkBenchConfig c) => c.Device;

    /// <inheritdoc />
    protected override string Execute(
        NtkBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var sink = new ObservationList();
        output.WriteLine(
            $"bench ntk: N = {c.Points}, MLP 784–256–256–10, K traced over outputs [N, N], {c.DType}, {threads} threads"
        );
        NtkBench.Run(
            sink,
            c.Points,
            c.DType,
            c.Device,
            c.Repeats,
            c.JacobianPoints,
            c.PerExampleRows,
            log: output.WriteLine
        );
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["points"] = c.Points,
                ["repeats"] = c.Repeats,
                ["jacobian_points"] = c.JacobianPoints,
                ["per_example_rows"] = c.PerExampleRows,
                ["dtype"] = c.DType.ToString(),
                ["model"] = "MLP 784-256-256-10",
                ["kernel"] = "K(X, X) traced over outputs, [N, N]",
            },
            sink.Items,
            observer
        );
        output.WriteLine(
            $"goals: structured_speedup_vs_jacobian ≥ 10, structured_fraction_of_gemm_peak ≥ 0.5\nwrote {path}"
        );
        return path;
    }
}
