using System.CommandLine;
using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Cli.Hosting;
using Telescope.Frames;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope bench &lt;name&gt;</c>: speed and memory goals as ratios measured in one run against a
/// baseline in the same run; tidy <c>bench.csv</c> + run.json.
/// </summary>
public static class BenchCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var cmd = new Command("bench", "Benchmarks: ratios against a baseline measured in the same run (never timed tests).");
        cmd.Subcommands.Add(Telescoping());
        cmd.Subcommands.Add(NtkBenchCommand.Build());
        return cmd;
    }

    /// <summary>Write a benchmark's observations to <c>DIR/bench.csv</c> and run.json; returns the table path.</summary>
    public static string Write(string outDir, string name, int threads, JsonObject config, IReadOnlyList<Observation> obs, string source = "synthetic inputs (uniform [0,1]); timing only")
    {
        Directory.CreateDirectory(outDir);
        var key = new RunKey("bench", name, 0, [new("bench", name)]);
        var path = Path.Combine(outDir, "bench.csv");
        using (var w = new TidyCsvWriter(path, new TidySchema(["bench"]), key))
        {
            foreach (var o in obs)
                w.Write(o);
            w.Complete();
        }
        var m = new RunManifest
        {
            Study = "bench " + name,
            Config = config,
            DataSource = source,
            Seeds = [0],
            Threads = threads,
            Versions = StudyRunner.Versions(),
            Status = "completed",
            Finished = DateTime.UtcNow.ToString("o"),
        };
        m.Outputs.Add("bench.csv");
        m.Save(outDir);
        return path;
    }

    private static Command Telescoping()
    {
        var c = new Command("telescoping", "Batched telescoped update (forward-mode JVP) vs one forward pass vs a per-example autograd loop; N points, MLP 784–256–256–10.");
        var common = new StudyCommand.Common("bench/telescoping", "float32");
        common.AddTo(c);
        var n = new Option<int>("--points") { Description = "Probe points N.", DefaultValueFactory = _ => 1000 };
        var repeats = new Option<int>("--repeats") { Description = "Timed repeats (median).", DefaultValueFactory = _ => 5 };
        c.Options.Add(n);
        c.Options.Add(repeats);
        c.SetAction(r =>
        {
            int points = r.GetValue(n), reps = r.GetValue(repeats);
            if (points < 1)
                throw new UsageException($"--points must be ≥ 1, got {points}");
            if (reps < 1)
                throw new UsageException($"--repeats must be ≥ 1, got {reps}");
            var dtype = common.ParseDType(r);
            int threads = common.Prepare(r);
            var sink = new ObservationList();
            Console.WriteLine($"bench telescoping: N = {points}, MLP 784–256–256–10, {dtype}, {threads} threads");
            TelescopingBench.Run(sink, points, dtype, r.GetValue(common.Device) ?? "cpu", reps, log: Console.WriteLine);
            var path = Write(
                r.GetValue(common.Out)!,
                "telescoping",
                threads,
                new JsonObject { ["points"] = points, ["repeats"] = reps, ["dtype"] = dtype.ToString(), ["model"] = "MLP 784-256-256-10" },
                sink.Items
            );
            Console.WriteLine($"goals: jvp_over_forward ≤ 4, speedup_vs_per_example ≥ 50\nwrote {path}");
            return 0;
        });
        return c;
    }
}
