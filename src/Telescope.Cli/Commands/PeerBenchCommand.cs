using System.CommandLine;
using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Experiments.Hosting;
using Telescope.Frames;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope bench peer</c>: spells <see cref="PeerBench"/> (all logic is in the library).</summary>
public static class PeerBenchCommand
{
    /// <summary>Build the sub-command.</summary>
    public static Command Build()
    {
        var c = new Command(
            "peer",
            "Ours vs PyTorch (Debian's python3-torch: functorch jvp, forward_ad, autograd.functional.jvp, vmap(jacrev) NTK, NTK-vector products, vmap(grad)) on the same MLP 784–256–256–10, weights and points, at each thread count; checks both compute the same numbers; bench.csv with ours/peer ratios. Install the peer with scripts/install-peer.sh (or run scripts/bench-peer.sh)."
        );
        var d = new PeerBenchOptions();
        var outDir = new Option<string>("--out")
        {
            Description = "Output folder.",
            DefaultValueFactory = _ => "out/bench/peer",
        };
        var points = new Option<int>("--points")
        {
            Description = "N for forward and JVP.",
            DefaultValueFactory = _ => d.Points,
        };
        var ntk = new Option<int>("--ntk-points")
        {
            Description = "M of the NTK K(X_M, X_M).",
            DefaultValueFactory = _ => d.NtkPoints,
        };
        var grad = new Option<int>("--grad-points")
        {
            Description = "G of the per-example gradients.",
            DefaultValueFactory = _ => d.GradPoints,
        };
        var threads = new Option<string>("--threads")
        {
            Description = "Thread counts, both sides.",
            DefaultValueFactory = _ => "1,2",
        };
        var ops = new Option<string>("--ops")
        {
            Description = "Any of forward,jvp,ntk,grad.",
            DefaultValueFactory = _ => string.Join(',', d.Operations),
        };
        var budget = new Option<double>("--budget")
        {
            Description =
                "Seconds of timed runs per method and thread count (repeats = budget / time, within [min, max]).",
            DefaultValueFactory = _ => d.Budget,
        };
        var minRep = new Option<int>("--min-repeats")
        {
            DefaultValueFactory = _ => d.MinRepeats,
            Description = "Least timed repeats (3 above 0.5 s).",
        };
        var maxRep = new Option<int>("--max-repeats")
        {
            DefaultValueFactory = _ => d.MaxRepeats,
            Description = "Most timed repeats.",
        };
        var noGeneric = new Option<bool>("--no-generic")
        {
            Description =
                "Skip our slow generic methods (autograd Jacobian NTK, per-example loops).",
        };
        var python = new Option<string>("--python")
        {
            Description = "The peer's Python.",
            DefaultValueFactory = _ => d.Python,
        };
        foreach (
            var o in new Option[]
            {
                outDir,
                points,
                ntk,
                grad,
                threads,
                ops,
                budget,
                minRep,
                maxRep,
                noGeneric,
                python,
            }
        )
            c.Options.Add(o);
        c.SetAction(r =>
        {
            int[] ts;
            try
            {
                ts = r.GetValue(threads)!
                    .Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(int.Parse)
                    .ToArray();
            }
            catch (FormatException)
            {
                throw new UsageException(
                    $"--threads: not a list of integers: {r.GetValue(threads)}"
                );
            }
            var o = new PeerBenchOptions
            {
                Points = r.GetValue(points),
                NtkPoints = r.GetValue(ntk),
                GradPoints = r.GetValue(grad),
                Threads = ts,
                Operations = r.GetValue(ops)!
                    .Split(
                        ',',
                        StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
                    ),
                Budget = r.GetValue(budget),
                MinRepeats = r.GetValue(minRep),
                MaxRepeats = r.GetValue(maxRep),
                Generic = !r.GetValue(noGeneric),
                Python = r.GetValue(python)!,
            };
            var dir = r.GetValue(outDir)!;
            Console.WriteLine(
                $"bench peer: MLP 784–256–256–10, float32; N = {o.Points}, NTK M = {o.NtkPoints}, grads G = {o.GradPoints}; threads {string.Join(',', ts)} (ours first, then the peer)"
            );
            PeerBenchResult res;
            try
            {
                res = PeerBench.Run(o, dir, Console.WriteLine);
            }
            catch (Exception e) when (e is PeerMismatchException or PeerUnavailableException)
            {
                Console.Error.WriteLine($"telescope: {e.Message}");
                return TelescopeCli.RunFailed;
            }
            Console.WriteLine("\nratios ours/peer, best thread count each (< 1: ours faster):");
            foreach (var x in res.Ratios)
                Console.WriteLine(
                    $"  {x.Operation, -8} {x.OursMethod + " (" + x.OursThreads + ")", -26} / {x.PeerMethod + " (" + x.PeerThreads + ")", -30} {x.Ratio, 10:G4}"
                );
            Console.WriteLine(
                $"agreement: {res.Agreements.Count} comparisons, worst max rel diff {res.Agreements.Max(a => a.MaxRelDiff):G3} (tolerance {o.Tolerance:G3})"
            );
            foreach (var g in PeerBench.Goals(res))
                Console.WriteLine("goal " + g);
            var m = new RunManifest
            {
                Study = "bench peer",
                Config = JsonNode.Parse(res.Versions.ToJsonString())!.AsObject(),
                DataSource = "synthetic inputs (uniform [0,1]) and targets (N(0,1)); timing only",
                Seeds = [0],
                Threads = ts.Max(),
                Versions = StudyRunner.Versions([typeof(RootCommand)]),
                Status = "completed",
                Finished = DateTime.UtcNow.ToString("o"),
            };
            m.Outputs.Add("bench.csv");
            m.Save(dir);
            Console.WriteLine($"wrote {Path.Combine(dir, "bench.csv")}, versions.json, run.json");
            return 0;
        });
        return c;
    }
}
