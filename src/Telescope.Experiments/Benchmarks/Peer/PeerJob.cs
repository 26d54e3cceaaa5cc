using System.Diagnostics;
using System.Text.Json;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.Approximation;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Telescoping;
using Telescope.Tensors;
using Telescope.Training;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Settings of the main-job part of <see cref="PeerBench"/> (operation <c>job</c>).</summary>
internal sealed record PeerJobOptions
{
    /// <summary>Learning rate of the run (plain SGD, the study's default <c>sgd</c> setting at its middle rate).</summary>
    public double Rate { get; init; } = 0.1;

    /// <summary>Seed of the run (initialisation and batch order).</summary>
    public long Seed { get; init; }

    /// <summary>Steps T (null: the study's default).</summary>
    public int? Steps { get; init; }

    /// <summary>Rounds of interleaved pairs (ours, then the peer) at every thread count; each time is the median over rounds.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>Agreement of the final values (train/test loss, telescoping and linearised errors): <c>max |ours − peer| / |peer|</c>.</summary>
    public double Tolerance { get; init; } = 1e-2;

    /// <summary>The CLI our side runs (a <c>telescope.dll</c>); null: this process's entry assembly when it is the CLI.</summary>
    public string? Cli { get; init; }

    /// <summary>Also time our whole default study (24 runs) as one process on its default plan (the README's command).</summary>
    public bool WholeStudy { get; init; }
}

/// <summary>What the main-job part measured: timings (ms, whole processes), agreements, the breakdown and the flop-limited time.</summary>
internal sealed record PeerJobResult(
    IReadOnlyList<PeerTiming> Timings,
    IReadOnlyList<PeerAgreement> Agreements,
    IReadOnlyList<(string Part, int Threads, double Seconds)> Breakdown,
    JsonObject Versions
);

/// <summary>
/// The whole main job against a PyTorch user's script (issue 28): one run of the approximation study's default
/// setting (MLP 64–200–200–1, float64, T steps, batch 200, f̃ on all probe rows every step, f and f_lin at the logged
/// steps), <c>telescope study approximation --optimizers sgd --rates γ --seeds s</c> as a process on our side, and
/// <c>scripts/bench-peer-job.py</c> (functorch.jvp over all probe rows at once) as a process on the peer's, with the
/// same data split, θ_0, batch order and log grid (written here as <c>.npy</c>). Pairs are interleaved (ours, then
/// the peer, at every thread count, <see cref="PeerJobOptions.Rounds"/> times); times are whole processes (what a
/// user waits for). The final values must agree (<see cref="PeerJobOptions.Tolerance"/>). Beside it: the per-step
/// breakdown of our run (<see cref="TrajectoryTimes"/>, in this process) and the flop-limited time of the same work —
/// Σ over the run's matrix products of their count × the time of that product into an existing output
/// (<c>addmm_</c>) at the thread count, the GEMM probe of <c>scripts/gemm-probe.csx</c> at the job's shapes.
/// </summary>
internal static class PeerJob
{
    /// <summary>The peer script embedded at build time (scripts/bench-peer-job.py).</summary>
    public static string EmbeddedScript()
    {
        using var s = typeof(PeerJob).Assembly.GetManifestResourceStream("bench-peer-job.py")
            ?? throw new InvalidOperationException("bench-peer-job.py is not embedded");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>The final quantities compared between the two sides.</summary>
    public static IReadOnlyList<string> Compared { get; } =
    [
        "train/loss",
        "test/loss",
        "train/telescoping_error",
        "test/telescoping_error",
        "test/linearised_error",
    ];

    /// <summary>Run the job on both sides (see the class summary) into <paramref name="outDir"/>/job.</summary>
    public static PeerJobResult Run(
        PeerJobOptions jo,
        int[] threads,
        string python,
        string outDir,
        Action<string>? log = null
    )
    {
        var dir = Path.Combine(outDir, "job");
        var data = Path.Combine(dir, "inputs");
        Directory.CreateDirectory(data);
        var script = Path.Combine(dir, "bench-peer-job.py");
        File.WriteAllText(script, EmbeddedScript());
        // the job script takes its OpenBLAS set-up (fastest kernels, pool at torch's thread count) from bench-peer.py
        File.WriteAllText(Path.Combine(dir, "bench-peer.py"), PeerBench.EmbeddedScript());
        var (code, _, err) = PeerBench.RunProcess(python, [script, Option("probe")], null, null);
        if (code != 0)
            throw new PeerUnavailableException(
                $"{python} cannot import torch and functorch: {PeerBench.LastLine(err)}. Install the peer with scripts/install-peer.sh"
            );
        var setting = new OptimizerSetting("sgd", new OptimizerSpec(OptimizerKind.Sgd, jo.Rate));
        var baseCfg = new ApproximationConfig();
        var cfg = baseCfg with
        {
            Settings = [setting],
            Seeds = [jo.Seed],
            Steps = jo.Steps ?? baseCfg.Steps,
        };
        var meta = Export(cfg, data);
        var grid = LogGrid.Steps(cfg.Steps, cfg.RecordEvery);
        string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);

        // our side: the CLI as a process (the user's command)
        var cli = jo.Cli
            ?? (
                System.Reflection.Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry
                && Path.GetFileName(entry) == "telescope.dll"
                    ? entry
                    : Path.Combine(AppContext.BaseDirectory, "telescope.dll")
            );
        if (!File.Exists(cli))
            throw new PeerUnavailableException(
                $"the main job runs our CLI as a process, and {cli} does not exist: run it from `telescope bench peer`, or set PeerJobOptions.Cli"
            );
        var dotnet = Environment.ProcessPath ?? "dotnet";
        string[] OursArgs(int t, string o) =>
            [
                cli,
                "study",
                "approximation",
                Option("optimizer"),
                "sgd",
                Option("lr"),
                F(jo.Rate),
                Option("seed"),
                jo.Seed.ToString(CultureInfo.InvariantCulture),
                Option("steps"),
                cfg.Steps.ToString(CultureInfo.InvariantCulture),
                Option("threads"),
                t.ToString(CultureInfo.InvariantCulture),
                Option("out"),
                o,
            ];
        // the peer: its fastest OpenBLAS kernels are its own choice, its wait policy passive (as ours)
        var peerEnv = new Dictionary<string, string?>
        {
            ["OPENBLAS_CORETYPE"] = null,
            ["OPENBLAS_L2_SIZE"] = null,
            ["OMP_WAIT_POLICY"] = "PASSIVE",
        };
        var timings = new List<PeerTiming>();
        JsonNode? peerResult = null;
        string oursTable = "";
        for (int round = 1; round <= jo.Rounds; round++)
            foreach (int t in threads)
            {
                var o = Path.Combine(dir, $"ours_t{t}");
                if (Directory.Exists(o))
                    Directory.Delete(o, true);
                double cpu0 = ChildCpuSeconds();
                var sw = Stopwatch.StartNew();
                var (oc, _, oe) = PeerBench.RunProcess(dotnet, OursArgs(t, o), null, null);
                double ours = sw.Elapsed.TotalSeconds;
                double oursCpu = ChildCpuSeconds() - cpu0;
                if (oc != 0)
                    throw new PeerUnavailableException(
                        $"our study run exited {oc}: {PeerBench.LastLine(oe)} (command: {dotnet} {string.Join(' ', OursArgs(t, o))})"
                    );
                oursTable = Path.Combine(o, "approximation.csv");
                var p = Path.Combine(dir, $"peer_t{t}");
                string[] pargs =
                [
                    script,
                    Option("data"),
                    data,
                    Option("out"),
                    p,
                    Option("threads"),
                    t.ToString(CultureInfo.InvariantCulture),
                ];
                cpu0 = ChildCpuSeconds();
                sw.Restart();
                var (pc, _, pe) = PeerBench.RunProcess(python, pargs, null, peerEnv!);
                double peer = sw.Elapsed.TotalSeconds;
                double peerCpu = ChildCpuSeconds() - cpu0;
                if (pc != 0)
                    throw new PeerUnavailableException(
                        $"the peer job script exited {pc}: {PeerBench.LastLine(pe)} (command: {python} {string.Join(' ', pargs)})"
                    );
                peerResult = JsonNode.Parse(File.ReadAllText(Path.Combine(p, "result.json")));
                double loop = (double)peerResult!["loop_seconds"]!;
                timings.Add(new PeerTiming("job", "ours", "study_run", t, ours * 1e3, 1));
                timings.Add(new PeerTiming("job", "peer", "functorch_script", t, peer * 1e3, 1));
                timings.Add(
                    new PeerTiming("job", "peer", "functorch_script_loop", t, loop * 1e3, 1)
                );
                // CPU seconds (user + system) of each process: on a loaded machine nearer to the idle wall time
                timings.Add(new PeerTiming("job_cpu", "ours", "study_run", t, oursCpu * 1e3, 1));
                timings.Add(
                    new PeerTiming("job_cpu", "peer", "functorch_script", t, peerCpu * 1e3, 1)
                );
                log?.Invoke(
                    $"job round {round} {t} thr: ours {ours:F2} s (cpu {oursCpu:F2}), peer {peer:F2} s (cpu {peerCpu:F2}; its loop {loop:F2} s)  ours/peer {ours / peer:F3}"
                );
            }
        var med = PeerBench.MedianOverRounds(timings).ToList();

        // agreement of the final values
        var oursFinal = FinalValues(oursTable, cfg.Steps);
        var agreements = new List<PeerAgreement>();
        foreach (var q in Compared)
        {
            double a = oursFinal.GetValueOrDefault(q, double.NaN);
            double b = (double?)peerResult!["final"]?[q] ?? double.NaN;
            agreements.Add(
                PeerBench.Agree("job", "study_run:" + q, "functorch_script", [a], [b], jo.Tolerance)
            );
            log?.Invoke($"job final {q}: ours {a:G6}, peer {b:G6}");
        }

        // breakdown (this process) and flop-limited time, at every thread count
        var breakdown = new List<(string, int, double)>();
        int before = torch.get_num_threads();
        try
        {
            foreach (int t in threads)
            {
                torch.set_num_threads(t);
                var times = new TrajectoryTimes();
                var bo = Path.Combine(dir, $"breakdown_t{t}");
                if (Directory.Exists(bo))
                    Directory.Delete(bo, true);
                using (TrajectoryTimes.Collect(times))
                    StudyRunner.Run(
                        new ApproximationStudy(cfg),
                        bo,
                        t,
                        cfg.Seeds,
                        options: new RunOptions(RunOptions.DefaultCheckpointEvery),
                        observer: new QuietObserver()
                    );
                var flops = FlopLimited(meta, cfg, grid.Count - 1, t);
                breakdown.Add(("train_step", t, times.TrainStep));
                breakdown.Add(("tangent", t, times.Tangent));
                breakdown.Add(("logged", t, times.Logged));
                breakdown.Add(("writing", t, times.Writing));
                breakdown.Add(("checkpoints", t, times.Checkpoints));
                breakdown.Add(
                    (
                        "other",
                        t,
                        times.Total
                            - times.TrainStep
                            - times.Tangent
                            - times.Logged
                            - times.Writing
                            - times.Checkpoints
                    )
                );
                breakdown.Add(("run_total", t, times.Total));
                foreach (var (part, s, _) in flops)
                    breakdown.Add(("flop_limited_" + part, t, s));
                double fl = flops.Sum(x => x.seconds);
                breakdown.Add(("flop_limited", t, fl));
                // the same in CPU seconds of the whole process (all threads)
                breakdown.Add(("cpu_train_step", t, times.CpuTrainStep));
                breakdown.Add(("cpu_tangent", t, times.CpuTangent));
                breakdown.Add(("cpu_logged", t, times.CpuLogged));
                breakdown.Add(("cpu_writing", t, times.CpuWriting));
                breakdown.Add(("cpu_checkpoints", t, times.CpuCheckpoints));
                breakdown.Add(("cpu_run_total", t, times.CpuTotal));
                foreach (var (part, _, c) in flops)
                    breakdown.Add(("cpu_flop_limited_" + part, t, c));
                double flc = flops.Sum(x => x.cpuSeconds);
                breakdown.Add(("cpu_flop_limited", t, flc));
                log?.Invoke(
                    $"breakdown {t} thr: run {times.Total:F2} s = train {times.TrainStep:F2} + tangent {times.Tangent:F2} + logged {times.Logged:F2} + writing {times.Writing:F2} + checkpoints {times.Checkpoints:F2} + other; flop-limited {fl:F2} s ({string.Join(", ", flops.Select(x => $"{x.part} {x.seconds:F2}"))}); run/flop-limited {times.Total / fl:F2}; in CPU seconds run {times.CpuTotal:F2} = train {times.CpuTrainStep:F2} + tangent {times.CpuTangent:F2} + logged {times.CpuLogged:F2} + writing {times.CpuWriting:F2} + checkpoints {times.CpuCheckpoints:F2} + other, flop-limited {flc:F2} ({string.Join(", ", flops.Select(x => $"{x.part} {x.cpuSeconds:F2}"))}), run/flop-limited {times.CpuTotal / flc:F2}"
                );
            }
        }
        finally
        {
            torch.set_num_threads(before);
        }

        if (jo.WholeStudy)
        {
            // the study's own plan (the README's command: on two cores two runs at once, one thread each), its best;
            // a --threads of the bench's would force one run at a time
            const int t = 0;
            var o = Path.Combine(dir, "ours_study");
            if (Directory.Exists(o))
                Directory.Delete(o, true);
            string[] args = [cli, "study", "approximation", Option("out"), o];
            var sw = Stopwatch.StartNew();
            var (sc, _, se) = PeerBench.RunProcess(dotnet, args, null, null);
            if (sc != 0)
                throw new PeerUnavailableException(
                    $"our whole study exited {sc}: {PeerBench.LastLine(se)}"
                );
            med.Add(
                new PeerTiming(
                    "job24",
                    "ours",
                    "study_measured",
                    t,
                    sw.Elapsed.TotalMilliseconds,
                    1
                )
            );
            log?.Invoke(
                $"whole default study (24 runs), ours on its default plan: {sw.Elapsed.TotalSeconds:F1} s"
            );
        }
        // 24 runs estimated from the per-run process times: at t threads one after another, or at one thread two at
        // once on two cores (each side's best)
        foreach (var side in new[] { ("ours", "study_run"), ("peer", "functorch_script") })
        {
            var per = med.Where(x =>
                    x.Operation == "job" && x.Side == side.Item1 && x.Method == side.Item2
                )
                .ToList();
            if (per.Count == 0)
                continue;
            double best = per.Min(x =>
                x.Threads == 1 && Environment.ProcessorCount >= 2 ? x.MedianMs / 2 : x.MedianMs
            );
            med.Add(
                new PeerTiming("job24", side.Item1, side.Item2 + "_x24_estimated", 0, 24 * best, 0)
            );
        }
        var versions = new JsonObject
        {
            ["peer"] = peerResult!["versions"]!.DeepClone(),
            ["config"] = JsonSerializer.SerializeToNode(jo),
            ["setting"] =
                $"sgd lr {F(jo.Rate)} seed {jo.Seed}, {cfg.Steps} steps, batch {cfg.BatchSize}, {grid.Count} logged steps",
            ["model"] = (string)meta["model"]!,
        };
        return new PeerJobResult(med, agreements, breakdown, versions);
    }

    private static string Option(string name) => ParameterNames.Option(name);

    /// <summary>User + system CPU seconds of this process's finished (waited-for) children: getrusage(RUSAGE_CHILDREN); NaN off Linux.</summary>
    private static double ChildCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
            return double.NaN;
        var u = new long[18];
        if (GetRusage(-1, u) != 0)
            return double.NaN;
        return u[0] + u[1] * 1e-6 + u[2] + u[3] * 1e-6;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, [System.Runtime.InteropServices.Out] long[] usage);

    /// <summary>Write the run's data split, θ_0, batch order and log grid as <c>.npy</c> and <c>job.json</c>; returns job.json.</summary>
    private static JsonObject Export(ApproximationConfig cfg, string data)
    {
        using var scope = NewDisposeScope();
        var study = new ApproximationStudy(cfg);
        var (train, test) = study.Data;
        var s = cfg.Settings[0];
        long seed = cfg.Seeds[0];
        var dev = Native.TorchRuntime.Device(cfg.Device);
        using var net = (cfg.Model with { OutputSigmoid = s.OutputSigmoid }).Build(
            train.Shape,
            train.Outputs,
            seed,
            cfg.DType,
            dev
        );
        var probe = Probe.Of(train, test, cfg.ProbeTrain, cfg.ProbeTest);
        var dt = cfg.DType;
        void Save(string name, Tensor t)
        {
            var c = t.detach().to_type(ScalarType.Float64).contiguous().cpu();
            Npy.Write(Path.Combine(data, name), c.data<double>().ToArray(), c.shape);
        }
        Save("x_train.npy", net.Prepare(train.Inputs(dt, dev)));
        Save("y_train.npy", train.Targets(dt, dev));
        Save("x_probe.npy", cat([probe.Train.Inputs(dt, dev), probe.Test.Inputs(dt, dev)], 0));
        Save("y_probe.npy", cat([probe.Train.Targets(dt, dev), probe.Test.Targets(dt, dev)], 0));
        var theta = net.Snapshot();
        for (int i = 0; i < theta.Length; i++)
            Save($"theta_{i}.npy", theta[i]);
        var sampler = new BatchSampler(train.Count, cfg.BatchSize, seed);
        var rows = new double[cfg.Steps * Math.Min(cfg.BatchSize, train.Count)];
        int at = 0;
        for (int t = 0; t < cfg.Steps; t++)
            foreach (var r in sampler.Next())
                rows[at++] = r;
        Npy.Write(
            Path.Combine(data, "batches.npy"),
            rows,
            [cfg.Steps, Math.Min(cfg.BatchSize, train.Count)]
        );
        var grid = LogGrid.Steps(cfg.Steps, cfg.RecordEvery).Select(x => (double)x).ToArray();
        Npy.Write(Path.Combine(data, "log_steps.npy"), grid, [grid.Length]);
        var dims = new JsonArray();
        foreach (var l in net.Layers)
            if (l is Dense d)
                dims.Add(new JsonArray(d.Inputs, d.Outputs));
        var job = new JsonObject
        {
            ["parameters"] = theta.Length,
            ["layers"] = PeerBench.LayerSpec(net),
            ["dense"] = dims,
            ["model"] = net.Describe(),
            ["probe_train"] = probe.Train.Count,
            ["probe_rows"] = probe.Train.Count + probe.Test.Count,
            ["batch"] = Math.Min(cfg.BatchSize, train.Count),
            ["steps"] = cfg.Steps,
            ["lr"] = s.Optimizer.LearningRate,
            ["momentum"] = s.Optimizer.Kind == OptimizerKind.Momentum ? s.Optimizer.Momentum : 0.0,
            ["weight_decay"] = s.Optimizer.WeightDecay,
            ["threshold"] = Trajectory.Threshold(LossKind.Squared, net),
            ["data_source"] = train.Source,
        };
        File.WriteAllText(Path.Combine(data, "job.json"), job.ToJsonString());
        return job;
    }

    /// <summary>
    /// The run's matrix products by part, each timed into an existing output (<c>addmm_</c>, β = 0) at
    /// <paramref name="threads"/> threads, times how often the run does it: seconds per part. Per step: the training
    /// step's forward ([b, i]·[i, o] per dense layer) and backward (input gradients from the second layer on, weight
    /// gradients [o, b]·[b, i]); the tangent pass on N probe rows (primal [N, i]·[i, o], a·ΔWᵀ, and ȧ·Wᵀ from the
    /// second layer on); per logged step f_t (one forward) and f_lin (a tangent pass); f_0 once.
    /// </summary>
    public static IReadOnlyList<(string part, double seconds, double cpuSeconds)> FlopLimited(
        JsonObject job,
        ApproximationConfig cfg,
        int loggedSteps,
        int threads
    )
    {
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            var dims = job["dense"]!.AsArray().Select(d => ((int)d![0]!, (int)d[1]!)).ToArray();
            int n = (int)job["probe_rows"]!,
                b = (int)job["batch"]!;
            var cache = new Dictionary<(int, int, int), (double wall, double cpu)>();
            (double wall, double cpu) Gemm(int m, int k, int o)
            {
                if (cache.TryGetValue((m, k, o), out var s))
                    return s;
                using var scope = NewDisposeScope();
                var dev = Native.TorchRuntime.Device(cfg.Device);
                var a = rand(m, k, dtype: cfg.DType, device: dev);
                var w = rand(k, o, dtype: cfg.DType, device: dev);
                var c = empty(m, o, dtype: cfg.DType, device: dev);
                double wall = Timing.Median(
                    () => c.addmm_(a, w, beta: 0, alpha: 1),
                    repeats: 21,
                    warmup: 5
                );
                const int reps = 21;
                double cpu0 = TrajectoryTimes.ProcessCpuSeconds();
                for (int i = 0; i < reps; i++)
                    c.addmm_(a, w, beta: 0, alpha: 1);
                s = (wall, (TrajectoryTimes.ProcessCpuSeconds() - cpu0) / reps);
                cache[(m, k, o)] = s;
                return s;
            }
            // every part as a list of (count, m, k, o) products
            IEnumerable<(double, int, int, int)> Forward(int rows, double times) =>
                dims.Select(d => (times, rows, d.Item1, d.Item2));
            IEnumerable<(double, int, int, int)> Tangent(int rows, double times) =>
                dims.Select((d, l) => (times * (l == 0 ? 2 : 3), rows, d.Item1, d.Item2));
            var train = Forward(b, cfg.Steps)
                .Concat(dims.Skip(1).Select(d => ((double)cfg.Steps, b, d.Item2, d.Item1)))
                .Concat(dims.Select(d => ((double)cfg.Steps, d.Item2, b, d.Item1)));
            var logged = Forward(n, loggedSteps + 1).Concat(Tangent(n, loggedSteps));
            (string, double, double) Sum(
                string part,
                IEnumerable<(double count, int m, int k, int o)> gemms
            )
            {
                var list = gemms.ToList();
                return (
                    part,
                    list.Sum(g => g.count * Gemm(g.m, g.k, g.o).wall),
                    list.Sum(g => g.count * Gemm(g.m, g.k, g.o).cpu)
                );
            }
            return
            [
                Sum("train_step", train),
                Sum("tangent", Tangent(n, cfg.Steps)),
                Sum("logged", logged),
            ];
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    /// <summary>The split's values at the last step of our table (<c>split/quantity</c>).</summary>
    private static Dictionary<string, double> FinalValues(string table, int steps)
    {
        var last = steps.ToString(CultureInfo.InvariantCulture);
        var d = new Dictionary<string, double>();
        foreach (var row in TidyTable.ReadRows(table))
            if (
                row["step"] == last
                && double.TryParse(
                    row["value"],
                    NumberStyles.Float,
                    CultureInfo.InvariantCulture,
                    out var v
                )
            )
                d[$"{row["split"]}/{row["quantity"]}"] = v;
        return d;
    }

    private sealed class QuietObserver : IRunObserver
    {
        public T Progress<T>(string title, Func<Action<string, long, long>, T> work) =>
            work((_, _, _) => { });

        public void Message(string line, bool routine = false) { }

        public IEnumerable<Type> HostTypes => [];
    }
}
