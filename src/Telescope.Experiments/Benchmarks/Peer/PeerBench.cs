using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Telescope.Kernels;
using Telescope.Models;
using Telescope.Tangents;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Settings of <see cref="PeerBench"/>; the defaults are the shapes of <c>bench telescoping</c> and <c>bench ntk</c>.</summary>
internal sealed record PeerBenchOptions
{
    /// <summary>Points N for forward and JVP (MLP 784–256–256–10, float32).</summary>
    public int Points { get; init; } = 1000;

    /// <summary>Points M of the empirical NTK <c>K(X_M, X_M)</c>, traced over outputs (the peer's Jacobian is M·k·P numbers).</summary>
    public int NtkPoints { get; init; } = 128;

    /// <summary>Points G of the per-example loss gradients (G·P numbers per result).</summary>
    public int GradPoints { get; init; } = 1000;

    /// <summary>Intra-op thread counts, each side timed at every one.</summary>
    public int[] Threads { get; init; } = [1, 2];

    /// <summary>Operations: any of <c>forward, jvp, ntk, grad</c>.</summary>
    public string[] Operations { get; init; } = [.. PeerBench.AllOperations];

    /// <summary>Seconds of timed runs per (method, threads): repeats = clamp(budget / t, min, max).</summary>
    public double Budget { get; init; } = 2.0;

    /// <summary>
    /// Rounds of "ours, then the peer": every timing is the median of its per-round medians, so a slow spell of a shared
    /// machine (a virtual machine's neighbours) falls on both sides instead of on whichever ran during it.
    /// </summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Least timed repeats (3 for runs over 0.5 s).</summary>
    public int MinRepeats { get; init; } = 5;

    /// <summary>Most timed repeats.</summary>
    public int MaxRepeats { get; init; } = 50;

    /// <summary>Rows of X₁ per vjp in the peer's NTK-vector products.</summary>
    public int NtkChunk { get; init; } = 16;

    /// <summary>Agreement tolerance: <c>max|ours − peer| / max|peer|</c> must not exceed it (float32 round-off with different BLAS libraries is ~1e-6).</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>The Python interpreter of the peer (Debian's, where python3-torch lives).</summary>
    public string Python { get; init; } = "/usr/bin/python3";

    /// <summary>The peer script; null = the copy embedded in this assembly (scripts/bench-peer.py at build time).</summary>
    public string? Script { get; init; }

    /// <summary>The main job (operation <c>job</c>): rate, seed, rounds, agreement tolerance, whole study.</summary>
    public PeerJobOptions Job { get; init; } = new();

    /// <summary>Our slow generic methods too (the autograd Jacobian NTK, the per-example NTK loop, the per-example gradient loop).</summary>
    public bool Generic { get; init; } = true;
}

/// <summary>One timing: the median of <see cref="Repeats"/> runs of one method of one operation on one side at one thread count.</summary>
internal sealed record PeerTiming(
    string Operation,
    string Side,
    string Method,
    int Threads,
    double MedianMs,
    int Repeats
);

/// <summary><c>ours / peer</c> for one pair of methods, each at its best thread count.</summary>
internal sealed record PeerRatio(
    string Operation,
    string OursMethod,
    int OursThreads,
    string PeerMethod,
    int PeerThreads,
    double Ratio
);

/// <summary>Agreement of one of our results with one of the peer's: <c>max|ours − peer| / max|peer|</c>.</summary>
internal sealed record PeerAgreement(
    string Operation,
    string OursMethod,
    string PeerMethod,
    double MaxRelDiff,
    double Tolerance
)
{
    /// <summary>Whether the two agree to the tolerance (NaN never does).</summary>
    public bool Passed => MaxRelDiff <= Tolerance;
}

/// <summary>Our result and the peer's differ beyond the tolerance: the benchmark fails loudly.</summary>
internal sealed class PeerMismatchException(string message) : Exception(message);

/// <summary>The peer could not run (Python or torch missing, the script failed).</summary>
internal sealed class PeerUnavailableException(string message) : Exception(message);

/// <summary>Everything a peer run measured.</summary>
internal sealed record PeerBenchResult(
    IReadOnlyList<PeerTiming> Timings,
    IReadOnlyList<PeerRatio> Ratios,
    IReadOnlyList<PeerAgreement> Agreements,
    JsonObject Versions
)
{
    /// <summary>The main job's per-part seconds of our run and their flop-limited times (part, threads, seconds); empty without <c>job</c>.</summary>
    public IReadOnlyList<(string Part, int Threads, double Seconds)> Breakdown { get; init; } = [];
}

/// <summary>
/// <c>telescope bench peer</c>: our methods against what PyTorch's tutorials show, on the same MLP
/// 784–256–256–10 (float32; the weights, inputs, tangent and targets are written by this side as
/// <c>.npy</c> and loaded by the peer script), each side at every thread count, in one run:
/// <list type="bullet">
/// <item><c>forward</c> <c>f_θ(X)</c> [N, k]: ours <c>forward</c>; peer <c>plain</c> (<c>torch.no_grad</c>).</item>
/// <item><c>jvp</c> <c>J_θ(X)v</c> [N, k]: ours <c>tangent_pass</c> (the telescoping pass, <see cref="Network.Tangent"/>)
/// and <c>double_backward</c>; peer <c>func_jvp</c>, <c>forward_ad</c>, <c>autograd_functional_jvp</c>.</item>
/// <item><c>ntk</c> <c>K = Σ_o J_o J_oᵀ</c> [M, M]: ours <c>structured</c>, <c>jacobian</c> (generic), <c>per_example</c>
/// (NTK-vector products); peer <c>jacobian_contraction</c> (vmap(jacrev) + einsum), <c>ntk_vps</c>.</item>
/// <item><c>grad</c> per-example gradients of ½‖f(x_i) − y_i‖², <c>g_i = J_iᵀ(f(x_i) − y_i)</c>: ours
/// <c>structured</c> (<see cref="PerExampleGradients.Of"/>), <c>autograd_loop</c>; peer <c>vmap_grad</c>. Compared
/// through <c>(g_i·v, ‖g_i‖)</c> [G, 2], computed once outside the timed runs on both sides.</item>
/// </list>
/// Every result of ours is compared with every result of the peer's for the same operation
/// (<see cref="Agree"/>; a mismatch throws <see cref="PeerMismatchException"/>). Ratios are
/// <c>min_threads ours / min_threads peer</c> for every pair of methods. Timing on both sides: one warm-up
/// (two when fast), then <c>clamp(budget / t, min, max)</c> repeats, median (<see cref="Timing.Adaptive"/>);
/// ours-then-peer is repeated <see cref="PeerBenchOptions.Rounds"/> times and each timing is the median of its
/// rounds (<see cref="MedianOverRounds"/>). Results are computed once, before the timed rounds.
/// Writes <c>bench.csv</c> (<see cref="WriteCsv"/>), <c>versions.json</c> and the exchanged arrays under
/// <c>exchange/</c> in the output folder.
/// </summary>
internal static class PeerBench
{
    /// <summary>Every operation the benchmark knows, in the order it runs them.</summary>
    public static IReadOnlyList<string> AllOperations { get; } =
    ["forward", "jvp", "ntk", "grad", "job"];

    /// <summary>The operations on the MLP 784–256–256–10 (all but <c>job</c>, the whole main job of <see cref="PeerJob"/>).</summary>
    public static IReadOnlyList<string> KernelOperations { get; } =
    ["forward", "jvp", "ntk", "grad"];

    /// <summary>The peer script embedded at build time (scripts/bench-peer.py).</summary>
    public static string EmbeddedScript()
    {
        using var s = typeof(PeerBench).Assembly.GetManifestResourceStream("bench-peer.py")
            ?? throw new InvalidOperationException(
                "bench-peer.py is not embedded in Telescope.Experiments"
            );
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>Whether the peer can run: <c>python script --probe</c> exits 0 (the real script: torch and numpy import); <paramref name="why"/> says why not.</summary>
    public static bool PeerAvailable(string python, string script, out string why)
    {
        try
        {
            var (code, _, err) = RunProcess(python, [script, Option("probe")], null, null);
            why = code == 0 ? "" : $"{python} cannot import torch: {LastLine(err)}";
            return code == 0;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            why = $"{python}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// Run both sides, compare, and write <c>bench.csv</c>, <c>versions.json</c> and <c>exchange/</c> to
    /// <paramref name="outDir"/>: the kernel operations, then the main job (<see cref="PeerJob"/>) when asked for; the
    /// job's timings, agreements and breakdown join the same table.
    /// </summary>
    public static PeerBenchResult Run(PeerBenchOptions o, string outDir, Action<string>? log = null)
    {
        Validate(o);
        var kernelOps = o.Operations.Where(op => op != "job").ToArray();
        PeerBenchResult? kernels =
            kernelOps.Length > 0
                ? RunKernels(o with { Operations = kernelOps }, outDir, log)
                : null;
        if (!o.Operations.Contains("job"))
            return kernels!;
        var job = PeerJob.Run(o.Job, o.Threads, o.Python, outDir, log);
        var timings = (kernels?.Timings ?? []).Concat(job.Timings).ToList();
        var versions = kernels?.Versions.DeepClone().AsObject() ?? new JsonObject();
        versions["job"] = job.Versions;
        var result = new PeerBenchResult(
            timings,
            (kernels?.Ratios ?? []).Concat(Ratios(job.Timings)).ToList(),
            (kernels?.Agreements ?? []).Concat(job.Agreements).ToList(),
            versions
        )
        {
            Breakdown = job.Breakdown,
        };
        Directory.CreateDirectory(outDir);
        File.WriteAllText(
            Path.Combine(outDir, "versions.json"),
            versions.ToJsonString(new JsonSerializerOptions { WriteIndented = true })
        );
        WriteCsv(result, Path.Combine(outDir, "bench.csv"));
        var failed = job.Agreements.Where(a => !a.Passed).ToList();
        if (failed.Count > 0)
            throw new PeerMismatchException(
                "the main job's final values disagree: "
                    + string.Join(
                        "; ",
                        failed.Select(a =>
                            $"{a.OursMethod} vs {a.PeerMethod}: rel diff {a.MaxRelDiff:G3} > {a.Tolerance:G3}"
                        )
                    )
                    + $" (tables in {Path.Combine(outDir, "job")})"
            );
        return result;
    }

    private static PeerBenchResult RunKernels(
        PeerBenchOptions o,
        string outDir,
        Action<string>? log
    )
    {
        var dev = Native.TorchRuntime.Device("cpu");
        const ScalarType dtype = ScalarType.Float32;
        int before = torch.get_num_threads();
        var exchange = Path.Combine(outDir, "exchange");
        var dataDir = Path.Combine(exchange, "inputs");
        var peerDir = Path.Combine(exchange, "peer");
        var oursDir = Path.Combine(exchange, "ours");
        foreach (var d in new[] { dataDir, peerDir, oursDir })
            Directory.CreateDirectory(d);
        var script = o.Script ?? Path.Combine(exchange, "bench-peer.py");
        if (o.Script is null)
            File.WriteAllText(script, EmbeddedScript());
        if (!PeerAvailable(o.Python, script, out var why))
            throw new PeerUnavailableException(
                $"{why}. Install the peer with scripts/install-peer.sh (apt: python3-torch, libopenblas0-pthread) or run scripts/bench-peer.sh"
            );

        const int k = 10;
        using var net = BenchInputs.Mlp(k, dtype, dev);
        int n = o.Points,
            m = o.NtkPoints,
            g = o.GradPoints;
        int rows = Math.Max(n, Math.Max(m, g));
        var rng = new Rng(1, 0);
        var xs = new double[rows * 784];
        for (int i = 0; i < xs.Length; i++)
            xs[i] = rng.NextDouble();
        var ys = new double[g * k];
        for (int i = 0; i < ys.Length; i++)
            ys[i] = rng.NextGaussian();
        var xAll = HostArrays.ToTensor(xs, [rows, 784], dtype: dtype, device: dev);
        var x = xAll.narrow(0, 0, n);
        var xm = xAll.narrow(0, 0, m);
        var xg = xAll.narrow(0, 0, g);
        var y = HostArrays.ToTensor(ys, [g, k], dtype: dtype, device: dev);
        var theta = net.Snapshot();
        var v = BenchInputs.Direction(net, dtype, dev);

        // inputs for the peer
        for (int i = 0; i < theta.Length; i++)
        {
            WriteNpy(Path.Combine(dataDir, $"theta_{i}.npy"), theta[i]);
            WriteNpy(Path.Combine(dataDir, $"tangent_{i}.npy"), v[i]);
        }
        WriteNpy(Path.Combine(dataDir, "x.npy"), xAll);
        WriteNpy(Path.Combine(dataDir, "y.npy"), y);
        var meta = new JsonObject
        {
            ["parameters"] = theta.Length,
            ["outputs"] = k,
            ["points"] = n,
            ["ntk_points"] = m,
            ["grad_points"] = g,
            ["layers"] = LayerSpec(net),
            ["model"] = net.Describe(),
        };
        File.WriteAllText(Path.Combine(dataDir, "meta.json"), meta.ToJsonString());

        // our methods: (operation, method, work, result)
        var methods =
            new List<(
                string op,
                string name,
                Func<Tensor[]> work,
                Func<Tensor[], Tensor> reduce
            )>();
        Tensor Id(Tensor[] t) => t[0];
        Tensor GradStats(Tensor[] gs)
        {
            Tensor? proj = null,
                sq = null;
            for (int i = 0; i < gs.Length; i++)
            {
                var gi = gs[i].reshape(gs[i].shape[0], -1);
                var p = gi.matmul(v[i].reshape(-1));
                var s = gi.Squared().sum(1);
                proj = proj is null ? p : proj.Plus(p);
                sq = sq is null ? s : sq.Plus(s);
            }
            return torch.stack([proj!, sq!.sqrt()], 1);
        }
        Tensor residual;
        using (torch.no_grad())
            residual = net.Forward(xg, theta).Minus(y).DetachFromDisposeScope();
        bool Want(string op) => o.Operations.Contains(op);
        if (Want("forward"))
            methods.Add(
                (
                    "forward",
                    "forward",
                    () =>
                    {
                        using var _ = torch.no_grad();
                        return [net.Forward(x, theta)];
                    },
                    Id
                )
            );
        if (Want("jvp"))
        {
            methods.Add(("jvp", "tangent_pass", () => [net.Tangent(x, theta, v).jvp], Id));
            methods.Add(
                (
                    "jvp",
                    "double_backward",
                    () => [Jvp.DoubleBackward(net, x, theta, v, chunk: n)],
                    Id
                )
            );
        }
        if (Want("ntk"))
        {
            methods.Add(("ntk", "structured", () => [Ntk.Compute(net, xm, xm, theta)], Id));
            if (o.Generic)
            {
                methods.Add(
                    (
                        "ntk",
                        "jacobian",
                        () => [Ntk.Compute(net, xm, xm, theta, NtkMethod.Jacobian)],
                        Id
                    )
                );
                methods.Add(
                    (
                        "ntk",
                        "per_example",
                        () => [Ntk.Compute(net, xm, xm, theta, NtkMethod.PerExample)],
                        Id
                    )
                );
            }
        }
        if (Want("grad"))
        {
            methods.Add(
                (
                    "grad",
                    "structured",
                    () => PerExampleGradients.Of(net, xg, residual, theta),
                    GradStats
                )
            );
            if (o.Generic)
                methods.Add(
                    (
                        "grad",
                        "autograd_loop",
                        () => PerExampleGradients.Autograd(net, xg, residual, theta),
                        GradStats
                    )
                );
        }

        var rounds = new List<PeerTiming>();
        var ours = new Dictionary<(string op, string name), double[]>();
        try
        {
            foreach (var (op, name, work, reduce) in methods)
            {
                torch.set_num_threads(o.Threads.Max());
                using var s = torch.NewDisposeScope();
                var res = reduce(work()).to_type(ScalarType.Float64).contiguous();
                ours[(op, name)] = res.data<double>().ToArray();
                WriteNpy(Path.Combine(oursDir, $"{op}_{name}.npy"), res);
            }
        }
        finally
        {
            torch.set_num_threads(before);
        }
        JsonNode peerJson = null!;
        for (int round = 1; round <= o.Rounds; round++)
        {
            if (o.Rounds > 1)
                log?.Invoke($"round {round} of {o.Rounds}");
            TimeOurs(rounds);
            peerJson = RunPeer(rounds, results: round == 1);
        }
        var timings = MedianOverRounds(rounds);

        void TimeOurs(List<PeerTiming> into)
        {
            try
            {
                foreach (var (op, name, work, _) in methods)
                foreach (int t in o.Threads)
                {
                    torch.set_num_threads(t);
                    var (med, reps) = Timing.Adaptive(
                        () =>
                        {
                            using var s = torch.NewDisposeScope();
                            work();
                        },
                        o.Budget,
                        o.MinRepeats,
                        o.MaxRepeats
                    );
                    into.Add(new PeerTiming(op, "ours", name, t, med * 1e3, reps));
                    log?.Invoke(
                        $"ours {op, -8} {name, -26} {t} thr  {med * 1e3, 12:F3} ms  ({reps} repeats)"
                    );
                }
            }
            finally
            {
                torch.set_num_threads(before);
            }
        }

        // the peer, after ours (never at the same time); its results are computed in the first round only
        JsonNode RunPeer(List<PeerTiming> into, bool results)
        {
            string[] args =
            [
                script,
                Option("data"),
                dataDir,
                Option("out"),
                peerDir,
                Option("threads"),
                string.Join(',', o.Threads),
                Option("ops"),
                string.Join(',', o.Operations),
                Option("budget"),
                o.Budget.ToString("R", CultureInfo.InvariantCulture),
                Option("min-repeats"),
                o.MinRepeats.ToString(CultureInfo.InvariantCulture),
                Option("max-repeats"),
                o.MaxRepeats.ToString(CultureInfo.InvariantCulture),
                Option("ntk-chunk"),
                o.NtkChunk.ToString(CultureInfo.InvariantCulture),
                .. (results ? Array.Empty<string>() : [Option("no-results")]),
            ];
            // the same OpenMP wait policy as ours (libgomp reads it at load; ours is set natively)
            var policy = Native.NativeLibraries.NativeEnvironment("OMP_WAIT_POLICY");
            var env = policy is null
                ? null
                : new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = policy };
            var (code, _, err) = RunProcess(o.Python, args, log, env);
            if (code != 0)
                throw new PeerUnavailableException(
                    $"the peer script exited {code}: {LastLine(err)} (command: {o.Python} {string.Join(' ', args)})"
                );
            var peerJson = JsonNode.Parse(File.ReadAllText(Path.Combine(peerDir, "timings.json")))!;
            foreach (var row in peerJson["rows"]!.AsArray())
                into.Add(
                    new PeerTiming(
                        (string)row!["operation"]!,
                        "peer",
                        (string)row["method"]!,
                        (int)row["threads"]!,
                        (double)row["median_ms"]!,
                        (int)row["repeats"]!
                    )
                );
            return peerJson;
        }

        // agreement: every result of ours against every result of the peer's
        var agreements = new List<PeerAgreement>();
        foreach (var op in o.Operations)
        foreach (
            var peerName in timings
                .Where(t => t.Side == "peer" && t.Operation == op)
                .Select(t => t.Method)
                .Distinct()
        )
        {
            var peer = Npy.Read(Path.Combine(peerDir, $"{op}_{peerName}.npy")).Values;
            foreach (var ((oop, oursName), vals) in ours)
                if (oop == op)
                    agreements.Add(Agree(op, oursName, peerName, vals, peer, o.Tolerance));
        }
        var failed = agreements.Where(a => !a.Passed).ToList();
        var ratios = Ratios(timings);
        var versions = new JsonObject
        {
            ["ours"] = new JsonObject(
                Native
                    .TorchRuntime.Versions()
                    .Select(kv =>
                        KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value))
                    )
            ),
            ["peer"] = peerJson["versions"]!.DeepClone(),
            ["model"] = net.Describe(),
            ["config"] = JsonSerializer.SerializeToNode(o)!,
        };
        var result = new PeerBenchResult(timings, ratios, agreements, versions);
        Directory.CreateDirectory(outDir);
        File.WriteAllText(
            Path.Combine(outDir, "versions.json"),
            versions.ToJsonString(new JsonSerializerOptions { WriteIndented = true })
        );
        WriteCsv(result, Path.Combine(outDir, "bench.csv"));
        if (failed.Count > 0)
            throw new PeerMismatchException(
                "ours and the peer disagree: "
                    + string.Join(
                        "; ",
                        failed.Select(a =>
                            $"{a.Operation} {a.OursMethod} vs {a.PeerMethod}: max rel diff {a.MaxRelDiff:G3} > {a.Tolerance:G3}"
                        )
                    )
                    + $" (tables in {outDir})"
            );
        return result;
    }

    /// <summary>
    /// <c>max_i |ours_i − peer_i| / max_i |peer_i|</c> (NaN when the shapes differ or any value is not
    /// finite); <see cref="PeerAgreement.Passed"/> when it is at most <paramref name="tolerance"/>.
    /// </summary>
    public static PeerAgreement Agree(
        string operation,
        string oursMethod,
        string peerMethod,
        IReadOnlyList<double> ours,
        IReadOnlyList<double> peer,
        double tolerance
    )
    {
        double diff = double.NaN;
        if (ours.Count == peer.Count && ours.Count > 0)
        {
            double num = 0,
                scale = 0;
            bool finite = true;
            for (int i = 0; i < ours.Count; i++)
            {
                if (!double.IsFinite(ours[i]) || !double.IsFinite(peer[i]))
                    finite = false;
                num = Math.Max(num, Math.Abs(ours[i] - peer[i]));
                scale = Math.Max(scale, Math.Abs(peer[i]));
            }
            diff =
                !finite ? double.NaN
                : scale > 0 ? num / scale
                : num;
        }
        return new PeerAgreement(operation, oursMethod, peerMethod, diff, tolerance);
    }

    /// <summary>
    /// One timing per (operation, side, method, threads): the median of its per-round medians (upper median,
    /// <see cref="Timing.MedianOf"/>), with the repeats of all rounds added up. Order: first appearance.
    /// </summary>
    public static IReadOnlyList<PeerTiming> MedianOverRounds(IReadOnlyList<PeerTiming> rounds) =>
        rounds
            .GroupBy(t => (t.Operation, t.Side, t.Method, t.Threads))
            .Select(g =>
                g.First() with
                {
                    MedianMs = Timing.MedianOf(g.Select(t => t.MedianMs).ToList()),
                    Repeats = g.Sum(t => t.Repeats),
                }
            )
            .ToList();

    /// <summary>For every operation and pair (our method, peer method): best-of-threads ours / best-of-threads peer.</summary>
    public static IReadOnlyList<PeerRatio> Ratios(IReadOnlyList<PeerTiming> timings)
    {
        var best = timings
            .GroupBy(t => (t.Operation, t.Side, t.Method))
            .ToDictionary(gr => gr.Key, gr => gr.MinBy(t => t.MedianMs)!);
        var ratios = new List<PeerRatio>();
        foreach (var ((op, side, method), b) in best)
        {
            if (side != "ours")
                continue;
            foreach (var ((pop, pside, pmethod), p) in best)
                if (pop == op && pside == "peer")
                    ratios.Add(
                        new PeerRatio(
                            op,
                            method,
                            b.Threads,
                            pmethod,
                            p.Threads,
                            b.MedianMs / p.MedianMs
                        )
                    );
        }
        return ratios;
    }

    /// <summary>
    /// The tidy table: columns <c>bench, operation, side, method, threads, quantity, value</c>. Timing rows
    /// (side ours|peer, quantity <c>median_ms</c> and <c>repeats</c>); ratio rows (side <c>ours/peer</c>, method
    /// <c>ours_method/peer_method</c>, threads <c>ours_threads/peer_threads</c>, quantity <c>ours_over_peer</c>);
    /// agreement rows (side <c>check</c>, method <c>ours_method/peer_method</c>, quantity <c>max_rel_diff</c> and
    /// <c>tolerance</c>).
    /// </summary>
    public static void WriteCsv(PeerBenchResult r, string path)
    {
        var sb = new StringBuilder("bench,operation,side,method,threads,quantity,value\n");
        void Row(string op, string side, string method, string threads, string q, double v) =>
            sb.Append(Csv.Line(["peer", op, side, method, threads, q, Csv.Number(v)])).Append('\n');
        foreach (var t in r.Timings)
        {
            var th = t.Threads.ToString(CultureInfo.InvariantCulture);
            Row(t.Operation, t.Side, t.Method, th, "median_ms", t.MedianMs);
            Row(t.Operation, t.Side, t.Method, th, "repeats", t.Repeats);
        }
        foreach (var x in r.Ratios)
            Row(
                x.Operation,
                "ours/peer",
                $"{x.OursMethod}/{x.PeerMethod}",
                $"{x.OursThreads}/{x.PeerThreads}",
                "ours_over_peer",
                x.Ratio
            );
        foreach (var a in r.Agreements)
        {
            Row(
                a.Operation,
                "check",
                $"{a.OursMethod}/{a.PeerMethod}",
                "",
                "max_rel_diff",
                a.MaxRelDiff
            );
            Row(
                a.Operation,
                "check",
                $"{a.OursMethod}/{a.PeerMethod}",
                "",
                "tolerance",
                a.Tolerance
            );
        }
        foreach (var (part, threads, seconds) in r.Breakdown)
            Row(
                "job",
                "breakdown",
                part,
                threads.ToString(CultureInfo.InvariantCulture),
                "seconds",
                seconds
            );
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>The issue's goals, as lines (met or not), from a result.</summary>
    public static IEnumerable<string> Goals(PeerBenchResult r)
    {
        double? Best(string op, string side, params string[] names)
        {
            var ts = r
                .Timings.Where(t => t.Operation == op && t.Side == side && names.Contains(t.Method))
                .ToList();
            return ts.Count == 0 ? null : ts.Min(t => t.MedianMs);
        }
        string Line(string what, double? ratio, double goal, bool atMost) =>
            ratio is not { } x
                ? $"{what}: not measured"
                : $"{what}: {x:G4} (goal {(atMost ? "≤" : "≥")} {goal:G3}) {((atMost ? x <= goal : x >= goal) ? "met" : "NOT met")}";
        var jvp =
            Best("jvp", "ours", "tangent_pass") / Best("jvp", "peer", "func_jvp", "forward_ad");
        yield return Line("jvp: tangent_pass / fastest peer forward-mode JVP", jvp, 0.7, true);
        var ntk = Best("ntk", "peer", "jacobian_contraction") / Best("ntk", "ours", "structured");
        yield return Line("ntk: functorch jacobian_contraction / our structured", ntk, 100, false);
        var gen = Best("ntk", "ours", "jacobian") / Best("ntk", "peer", "jacobian_contraction");
        yield return Line(
            "ntk: our generic jacobian / functorch jacobian_contraction",
            gen,
            1,
            true
        );
        var job = Best("job", "ours", "study_run") / Best("job", "peer", "functorch_script");
        yield return Line(
            "job: one study run / the functorch script (whole processes)",
            job,
            0.6,
            true
        );
        var jobCpu =
            Best("job_cpu", "ours", "study_run") / Best("job_cpu", "peer", "functorch_script");
        yield return Line("job: the same in CPU seconds", jobCpu, 0.6, true);
        var job24 =
            Best("job24", "ours", "study_measured", "study_run_x24_estimated")
            / Best("job24", "peer", "functorch_script_x24_estimated");
        yield return Line("job: 24 runs, ours / 24 script runs", job24, 0.4, true);
        foreach (var g in r.Breakdown.Where(b => b.Part is "run_total" or "cpu_run_total"))
        {
            bool cpu = g.Part.StartsWith("cpu_", StringComparison.Ordinal);
            var fl = r.Breakdown.FirstOrDefault(b =>
                b.Part == (cpu ? "cpu_flop_limited" : "flop_limited") && b.Threads == g.Threads
            );
            yield return Line(
                $"job: our run / its flop-limited time at {g.Threads} thr{(cpu ? " (CPU seconds)" : "")}",
                fl.Seconds > 0 ? g.Seconds / fl.Seconds : null,
                1.3,
                true
            );
        }
    }

    private static void Validate(PeerBenchOptions o)
    {
        if (o.Points < 1 || o.NtkPoints < 1 || o.GradPoints < 1)
            throw new ArgumentException("points, ntk points and grad points must be ≥ 1");
        if (o.Threads.Length == 0 || o.Threads.Any(t => t < 1))
            throw new ArgumentException("threads must be a non-empty list of counts ≥ 1");
        var bad = o.Operations.Except(AllOperations).ToList();
        if (o.Operations.Length == 0 || bad.Count > 0)
            throw new ArgumentException(
                $"unknown operation(s) {string.Join(',', bad)}: expected {string.Join(", ", AllOperations)}"
            );
        if (!(o.Budget > 0) || o.MinRepeats < 1 || o.MaxRepeats < o.MinRepeats || o.NtkChunk < 1)
            throw new ArgumentException(
                "budget must be > 0, min repeats ≥ 1, max repeats ≥ min repeats, ntk chunk ≥ 1"
            );
        if (o.Rounds < 1)
            throw new ArgumentException("rounds must be ≥ 1");
        if (!(o.Tolerance > 0))
            throw new ArgumentException("tolerance must be > 0");
    }

    internal static JsonArray LayerSpec(Network net)
    {
        var spec = new JsonArray();
        int off = 0;
        foreach (var l in net.Layers)
        {
            switch (l)
            {
                case Dense d:
                    spec.Add(new JsonArray("dense", off, d.Bias ? off + 1 : -1));
                    break;
                case Activation a when a.Kind != ActivationKind.Identity:
                    spec.Add(new JsonArray(a.Kind.ToString().ToLowerInvariant()));
                    break;
                case Activation:
                    break;
                default:
                    throw new NotSupportedException(
                        $"the peer script has no rule for {l.Describe()}"
                    );
            }
            off += l.ParameterShapes.Count;
        }
        return spec;
    }

    private static void WriteNpy(string path, Tensor t)
    {
        var c = t.detach().contiguous().cpu();
        long[] shape = c.shape;
        if (c.dtype == ScalarType.Float64)
            Npy.Write(path, c.data<double>().ToArray(), shape);
        else
            Npy.Write(path, c.to_type(ScalarType.Float32).data<float>().ToArray(), shape);
    }

    internal static string LastLine(string s) =>
        s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .LastOrDefault()
        ?? "(no message)";

    internal static (int code, string stdout, string stderr) RunProcess(
        string file,
        IEnumerable<string> args,
        Action<string>? log,
        IDictionary<string, string?>? env
    )
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        if (env is not null)
            foreach (var (key, value) in env)
                if (value is null)
                    psi.Environment.Remove(key);
                else
                    psi.Environment[key] = value;
        using var p = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            stdout.AppendLine(e.Data);
            log?.Invoke(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                stderr.AppendLine(e.Data);
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        return (p.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
