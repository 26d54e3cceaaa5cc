using System.CommandLine;
using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Cli.Hosting;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope bench ntk-large</c>: spells <see cref="NtkLargeBench"/> (the logic is <c>Kernels.BlockedNtk</c>).</summary>
public static class NtkLargeBenchCommand
{
    /// <summary>Build the sub-command.</summary>
    public static Command Build()
    {
        var c = new Command(
            "ntk-large",
            "Empirical NTK K(X, X) (traced over 10 outputs) of the MLP 784–256–256–10 for large N (default 10,000), in row blocks streamed to OUT/kernel.npy (numpy.load(..., mmap_mode=\"r\")) in bounded memory; resumable by block; time and peak memory in bench.csv."
        );
        var common = new StudyCommand.Common("bench/ntk-large", "float32");
        common.AddBenchTo(c);
        var n = new Option<int>("--points")
        {
            Description = "Points N.",
            DefaultValueFactory = _ => 10_000,
        };
        var block = new Option<int>("--block")
        {
            Description = "Rows per block B.",
            DefaultValueFactory = _ => 1000,
        };
        var fresh = new Option<bool>("--fresh")
        {
            Description =
                "Start again even when OUT/kernel.npy has finished blocks for the same inputs.",
        };
        var check = new Option<int>("--check-rows")
        {
            Description = "Rows (first and last) checked against the in-memory kernel; 0 = none.",
            DefaultValueFactory = _ => 64,
        };
        foreach (var o in new Option[] { n, block, fresh, check })
            c.Options.Add(o);
        c.SetAction(r =>
        {
            int points = r.GetValue(n),
                b = r.GetValue(block),
                cr = r.GetValue(check);
            if (points < 1 || b < 1 || cr < 0)
                throw new UsageException("--points and --block must be ≥ 1, --check-rows ≥ 0");
            var dtype = common.ParseDType(r);
            int threads = common.Prepare(r);
            var outDir = r.GetValue(common.Out)!;
            Console.WriteLine(
                $"bench ntk-large: N = {points}, block {b}, MLP 784–256–256–10, {dtype}, {threads} threads → {Path.Combine(outDir, "kernel.npy")}"
            );
            var sink = new ObservationList();
            var cancel = StudyCommand.Common.CtrlC();
            ProgressDisplay.Run(
                "ntk-large",
                report =>
                    NtkLargeBench.Run(
                        sink,
                        outDir,
                        points,
                        b,
                        dtype,
                        !r.GetValue(fresh),
                        cr,
                        Console.WriteLine,
                        (d, t) => report("row blocks", d, t),
                        cancel
                    )
            );
            var path = BenchCommand.Write(
                outDir,
                "ntk-large",
                threads,
                new JsonObject
                {
                    ["points"] = points,
                    ["block"] = b,
                    ["dtype"] = dtype.ToString(),
                    ["model"] = "MLP 784-256-256-10",
                    ["kernel"] = "K(X, X) traced over outputs, [N, N], kernel.npy",
                },
                sink.Items
            );
            Console.WriteLine(
                $"goal: peak_resident_mib ≤ 2048\nwrote {path} and {Path.Combine(outDir, "kernel.npy")}"
            );
            return 0;
        });
        return c;
    }
}
