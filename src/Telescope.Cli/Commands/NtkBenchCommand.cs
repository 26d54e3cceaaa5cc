using System.CommandLine;
using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Cli.Hosting;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope bench ntk</c>: structured tangent kernel vs Jacobian contraction vs per-example loop vs a plain GEMM.</summary>
public static class NtkBenchCommand
{
    /// <summary>Build the sub-command.</summary>
    public static Command Build()
    {
        var c = new Command(
            "ntk",
            "Empirical tangent kernel K(X, X) (traced over 10 outputs) of an MLP 784–256–256–10 on N points: structured (per-layer) vs Jacobian contraction vs per-example loop, against a plain GEMM as the machine's ceiling."
        );
        var common = new StudyCommand.Common("bench/ntk", "float32");
        common.AddBenchTo(c);
        var n = new Option<int>("--points")
        {
            Description = "Points N.",
            DefaultValueFactory = _ => 1000,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed repeats (median) for the structured method and the GEMMs.",
            DefaultValueFactory = _ => 3,
        };
        var jac = new Option<int>("--jacobian-points")
        {
            Description =
                "Rows at which the Jacobian method is timed (its full-N J does not fit in memory); extrapolated: build × N/m + GEMM × (N/m)².",
            DefaultValueFactory = _ => 100,
        };
        var per = new Option<int>("--per-example-rows")
        {
            Description =
                "Rows of A for which the per-example loop is timed against all N rows (scaled by N/rows).",
            DefaultValueFactory = _ => 4,
        };
        foreach (var o in new Option[] { n, repeats, jac, per })
            c.Options.Add(o);
        c.SetAction(r =>
        {
            int points = r.GetValue(n),
                reps = r.GetValue(repeats),
                jp = r.GetValue(jac),
                pr = r.GetValue(per);
            if (points < 1 || reps < 1 || jp < 1 || pr < 1)
                throw new UsageException(
                    "--points, --repeats, --jacobian-points and --per-example-rows must be ≥ 1"
                );
            var dtype = common.ParseDType(r);
            int threads = common.Prepare(r);
            var sink = new ObservationList();
            Console.WriteLine(
                $"bench ntk: N = {points}, MLP 784–256–256–10, K traced over outputs [N, N], {dtype}, {threads} threads"
            );
            NtkBench.Run(
                sink,
                points,
                dtype,
                r.GetValue(common.Device) ?? "cpu",
                reps,
                jp,
                pr,
                log: Console.WriteLine
            );
            var path = BenchCommand.Write(
                r.GetValue(common.Out)!,
                "ntk",
                threads,
                new JsonObject
                {
                    ["points"] = points,
                    ["repeats"] = reps,
                    ["jacobian_points"] = jp,
                    ["per_example_rows"] = pr,
                    ["dtype"] = dtype.ToString(),
                    ["model"] = "MLP 784-256-256-10",
                    ["kernel"] = "K(X, X) traced over outputs, [N, N]",
                },
                sink.Items
            );
            Console.WriteLine(
                $"goals: structured_speedup_vs_jacobian ≥ 10, structured_fraction_of_gemm_peak ≥ 0.5\nwrote {path}"
            );
            return 0;
        });
        return c;
    }
}
