using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <see cref="NtkLargeBench"/>: the empirical NTK of <c>bench ntk</c>'s MLP for large N, in row blocks streamed to
/// <c>OUT/kernel.npy</c> (<c>Kernels.BlockedNtk</c>); resumable by block, so Ctrl-C keeps the finished blocks.
/// </summary>
internal sealed class NtkLargeBenchDefinition()
    : BenchDefinition<NtkLargeBenchOptions>(
        "ntk-large",
        "Empirical NTK K(X, X) (traced over 10 outputs) of the MLP 784–256–256–10 for large N (default 10,000), in row blocks streamed to OUT/kernel.npy (numpy.load(..., mmap_mode=\"r\")) in bounded memory; resumable by block; time and peak memory in bench.csv.",
        new()
    )
{
    /// <inheritdoc />
    public override bool Interruptible => true;

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<NtkLargeBenchOptions>> Typed =>
        [
            Only<NtkLargeBenchOptions>(
                "device",
                "cpu only (the blocks are contracted and streamed in host memory).",
                "cpu",
                ["cuda"],
                "bench ntk-large runs on the CPU only"
            ),
            Choice<NtkLargeBenchOptions, torch.ScalarType>(
                "dtype",
                "float32 or float64 (of the model, the points and kernel.npy).",
                Defaults.DType == torch.ScalarType.Float64 ? "float64" : "float32",
                [("float64", torch.ScalarType.Float64), ("float32", torch.ScalarType.Float32)],
                (c, v) => c with { DType = v }
            ),
            Int<NtkLargeBenchOptions>(
                "points",
                "Points N.",
                c => c.Points,
                (c, v) => c with { Points = v },
                Defaults,
                min: 1
            ),
            Int<NtkLargeBenchOptions>(
                "block",
                "Rows per block B.",
                c => c.Block,
                (c, v) => c with { Block = v },
                Defaults,
                min: 1
            ),
            Flag<NtkLargeBenchOptions>(
                "fresh",
                "Start again even when OUT/kernel.npy has finished blocks for the same inputs.",
                (c, on) => c with { Resume = !on }
            ),
            Int<NtkLargeBenchOptions>(
                "check-rows",
                "Rows (first and last) checked against the in-memory kernel; 0 = none.",
                c => c.CheckRows,
                (c, v) => c with { CheckRows = v },
                Defaults,
                min: 0
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(NtkLargeBenchOptions c) => [];

    /// <inheritdoc />
    protected override string Execute(
        NtkLargeBenchOptions c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var kernel = System.IO.Path.Combine(outDir, "kernel.npy");
        output.WriteLine(
            $"bench ntk-large: N = {c.Points}, block {c.Block}, MLP 784–256–256–10, {c.DType}, {threads} threads → {kernel}"
        );
        var sink = new ObservationList();
        try
        {
            observer.Progress("ntk-large", report =>
                NtkLargeBench.Run(
                    sink,
                    outDir,
                    c,
                    output.WriteLine,
                    (done, total) => report("row blocks", done, total),
                    cancel
                )
            );
        }
        catch (OperationCanceledException)
        {
            observer.Message(
                $"bench ntk-large: the finished row blocks stay in {kernel}; the same command continues from them ({Option("fresh")} starts again)"
            );
            throw;
        }
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["points"] = c.Points,
                ["block"] = c.Block,
                ["check_rows"] = c.CheckRows,
                ["fresh"] = !c.Resume,
                ["dtype"] = c.DType.ToString(),
                ["model"] = "MLP 784-256-256-10",
                ["kernel"] = "K(X, X) traced over outputs, [N, N], kernel.npy",
            },
            sink.Items,
            observer
        );
        output.WriteLine($"goal: peak_resident_mib ≤ 2048\nwrote {path} and {kernel}");
        return path;
    }
}
