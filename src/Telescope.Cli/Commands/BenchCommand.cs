using System.CommandLine;
using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Hosting;
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
        var cmd = new Command(
            "bench",
            "Benchmarks: ratios against a baseline measured in the same run (never timed tests)."
        );
        cmd.Subcommands.Add(Telescoping());
        cmd.Subcommands.Add(Soak());
        cmd.Subcommands.Add(NtkBenchCommand.Build());
        cmd.Subcommands.Add(PeerBenchCommand.Build());
        cmd.Subcommands.Add(NtkLargeBenchCommand.Build());
        return cmd;
    }

    /// <summary>Write a benchmark's observations to <c>DIR/bench.csv</c> and run.json; returns the table path.</summary>
    public static string Write(
        string outDir,
        string name,
        int threads,
        JsonObject config,
        IReadOnlyList<Observation> obs,
        string source = "synthetic inputs (uniform [0,1]); timing only"
    )
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
            Versions = StudyRunner.Versions([typeof(System.CommandLine.RootCommand)]),
            Status = "completed",
            Finished = DateTime.UtcNow.ToString("o"),
        };
        m.Outputs.Add("bench.csv");
        m.Save(outDir);
        return path;
    }

    private static Command Soak()
    {
        var c = new Command(
            "soak",
            "Record a long trajectory (default 100,000 steps) of a small model, streaming to disk, and show that resident memory stays flat."
        );
        var common = new StudyCommand.Common("bench/soak");
        common.AddBenchTo(c);
        var steps = new Option<int>("--steps")
        {
            Description = "Steps.",
            DefaultValueFactory = _ => 100_000,
        };
        var every = new Option<int>("--record-every")
        {
            Description = "Write every k-th step of the trajectory.",
            DefaultValueFactory = _ => 10,
        };
        c.Options.Add(steps);
        c.Options.Add(every);
        c.SetAction(r =>
        {
            int n = r.GetValue(steps),
                k = r.GetValue(every);
            if (n < 1000)
                throw new UsageException($"--steps must be ≥ 1000 for a soak, got {n}");
            if (k < 1)
                throw new UsageException($"--record-every must be ≥ 1, got {k}");
            int threads = common.Prepare(r);
            var outDir = r.GetValue(common.Out)!;
            Directory.CreateDirectory(outDir);
            var sink = new ObservationList();
            var key = new RunKey("bench", "soak", 0, [new("bench", "soak")]);
            using var trajectory = new TidyCsvWriter(
                Path.Combine(outDir, "trajectory.csv"),
                new TidySchema(["bench"]),
                key
            );
            var result = ProgressDisplay.Run(
                "soak",
                report =>
                    SoakBench.Run(sink, trajectory, n, k, progress: t => report("steps", t, n))
            );
            trajectory.Complete();
            foreach (var (q, v) in result)
                Console.WriteLine($"{q, -28} {v, 12:G6}");
            var path = Write(
                outDir,
                "soak",
                threads,
                new JsonObject
                {
                    ["steps"] = n,
                    ["record_every"] = k,
                    ["model"] =
                        "MLP 16-32-32-1, momentum 0.9, lr 0.01, batch 50, synthetic 200 rows",
                },
                sink.Items
            );
            Console.WriteLine(
                $"goal: rss_growth_ratio ≤ 1.1 (memory flat)\nwrote {path} and {Path.Combine(outDir, "trajectory.csv")} ({trajectory.Rows} rows)"
            );
            return 0;
        });
        return c;
    }

    private static Command Telescoping()
    {
        var c = new Command(
            "telescoping",
            "Batched telescoped update (forward-mode JVP) vs one forward pass vs a per-example autograd loop; N points, MLP 784–256–256–10."
        );
        var common = new StudyCommand.Common("bench/telescoping", "float32");
        common.AddBenchTo(c);
        var n = new Option<int>("--points")
        {
            Description = "Probe points N.",
            DefaultValueFactory = _ => 1000,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "Timed repeats (median).",
            DefaultValueFactory = _ => 5,
        };
        c.Options.Add(n);
        c.Options.Add(repeats);
        c.SetAction(r =>
        {
            int points = r.GetValue(n),
                reps = r.GetValue(repeats);
            if (points < 1)
                throw new UsageException($"--points must be ≥ 1, got {points}");
            if (reps < 1)
                throw new UsageException($"--repeats must be ≥ 1, got {reps}");
            var dtype = common.ParseDType(r);
            int threads = common.Prepare(r);
            var sink = new ObservationList();
            Console.WriteLine(
                $"bench telescoping: N = {points}, MLP 784–256–256–10, {dtype}, {threads} threads"
            );
            TelescopingBench.Run(
                sink,
                points,
                dtype,
                r.GetValue(common.Device) ?? "cpu",
                reps,
                log: Console.WriteLine
            );
            var path = Write(
                r.GetValue(common.Out)!,
                "telescoping",
                threads,
                new JsonObject
                {
                    ["points"] = points,
                    ["repeats"] = reps,
                    ["dtype"] = dtype.ToString(),
                    ["model"] = "MLP 784-256-256-10",
                },
                sink.Items
            );
            Console.WriteLine(
                $"goals: jvp_over_forward ≤ 4, speedup_vs_per_example ≥ 50\nwrote {path}"
            );
            return 0;
        });
        return c;
    }
}
