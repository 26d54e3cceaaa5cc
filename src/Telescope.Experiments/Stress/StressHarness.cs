using System.Diagnostics;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;
using Telescope.Frames;

namespace Telescope.Experiments.Stress;

/// <summary>One tiny configuration of a catalog study that the stress harness runs again and again.</summary>
/// <param name="Label">A name for the case (a study can have several).</param>
/// <param name="Study">The catalog study.</param>
/// <param name="Values">Its parameters (names as the catalog declares them, no <c>--</c>).</param>
/// <param name="Parallel">Runs at once.</param>
public sealed record StressCase(
    string Label,
    string Study,
    IReadOnlyList<KeyValuePair<string, string>> Values,
    int Parallel = 2
);

/// <summary>How hard to push: which cases, how often, on how many threads, and whether the GC is driven.</summary>
/// <param name="Cases">Labels of <see cref="StressHarness.Cases"/> to run (empty: all).</param>
/// <param name="Rounds">Times each worker runs each case.</param>
/// <param name="Workers">Threads in this process, each running every case in turn into its own folders.</param>
/// <param name="Threads">Intra-op threads of every run (above 1 exercises the row workers). One count for the whole
/// process: libtorch's and MKL's thread counts are process-wide, so runs at two counts at once would change each
/// other's reductions (and bytes) mid-run.</param>
/// <param name="GcStress">A thread that forces a garbage collection and runs the finalizers in a loop, so that a tensor
/// left unreachable during a native call is freed under it (with <see cref="StressHarness.ChildEnvironment"/>'s fully
/// optimised JIT, which ends a local's life at its last use).</param>
public sealed record StressConfig(
    IReadOnlyList<string> Cases,
    int Rounds = 2,
    int Workers = 2,
    bool GcStress = true,
    int Threads = 1
)
{
    /// <summary>Bounds checked before any work: rounds 1–1000, workers 1–8, threads 1–4.</summary>
    public IEnumerable<string> Problems()
    {
        if (Rounds is < 1 or > 1000)
            yield return $"rounds must be 1–1000, got {Rounds}";
        if (Workers is < 1 or > 8)
            yield return $"workers must be 1–8, got {Workers}";
        if (Threads is < 1 or > 4)
            yield return $"threads must be 1–4, got {Threads}";
        foreach (var c in Cases)
            if (!StressHarness.Cases.Any(k => k.Label == c))
                yield return $"unknown case '{c}' (one of {string.Join(", ", StressHarness.Cases.Select(k => k.Label))})";
    }
}

/// <summary>What a stress run saw: runs done, runs that failed, tables that differed from the case's first table.</summary>
public sealed record StressResult(int Runs, int FailedRuns, IReadOnlyList<string> Mismatches)
{
    /// <summary>Nothing failed and every repeat of a case wrote the same bytes.</summary>
    public bool Clean => FailedRuns == 0 && Mismatches.Count == 0;
}

/// <summary>
/// The stress harness: every catalog study's tiny configuration run many times in one process, on several threads at
/// once, through the same host path as <c>telescope study</c> (<see cref="StudyHost.Run"/>: checkpoints, tables,
/// run.json, figures), with the GC driven hard. Every repeat of a case must write the same table bytes as its first
/// run (same seed and threads ⇒ same bytes, also while other runs share the process). A lifetime fault — a tensor
/// freed while libtorch reads it (<see cref="Tensors.Lifetimes"/>) — ends the process with SIGSEGV, which the
/// several-process driver (<c>telescope stress --processes P</c>) counts.
/// </summary>
public static class StressHarness
{
    /// <summary>Steps between checkpoints in every case (so that checkpoint writes are stressed too).</summary>
    public const int CheckpointEvery = 10;

    private static KeyValuePair<string, string>[] V(params string[] nameValue) =>
        [
            .. Enumerable
                .Range(0, nameValue.Length / 2)
                .Select(i => new KeyValuePair<string, string>(
                    nameValue[2 * i],
                    nameValue[2 * i + 1]
                )),
        ];

    /// <summary>The cases: each catalog study at a size that finishes in seconds, and the approximation study's
    /// linear model (the configuration that crashed) and MLP (with 500 probe rows: row workers at two threads).</summary>
    public static IReadOnlyList<StressCase> Cases { get; } =
    [
        new(
            "approximation-linear",
            "approximation",
            V(
                "model",
                "linear",
                "optimizer",
                "adam,momentum",
                "lr",
                "0.003,0.05",
                "steps",
                "30",
                "batch",
                "64",
                "train",
                "300",
                "test",
                "200",
                "seed",
                "8"
            )
        ),
        new(
            "approximation-mlp",
            "approximation",
            V(
                "optimizer",
                "sgd",
                "lr",
                "0.05",
                "steps",
                "20",
                "batch",
                "64",
                "train",
                "300",
                "test",
                "200",
                "width",
                "32,32",
                "seed",
                "0"
            ),
            Parallel: 1
        ),
        new(
            "grokking",
            "grokking",
            V(
                "steps",
                "40",
                "dim",
                "10",
                "units",
                "20",
                "train",
                "40",
                "test",
                "30",
                "probe-test",
                "20",
                "lr",
                "50"
            ),
            Parallel: 1
        ),
        new(
            "double-descent",
            "double-descent",
            V("width", "2,4", "steps", "40", "train", "20", "test", "20")
        ),
        new(
            "gbt-vs-nn",
            "gbt-vs-nn",
            V(
                "rows",
                "400",
                "train",
                "200",
                "validation",
                "50",
                "test-size",
                "50",
                "shares",
                "0,0.2",
                "epochs",
                "1",
                "lr",
                "0.1",
                "depth",
                "2",
                "eta",
                "0.3",
                "trees",
                "5",
                "seed",
                "0"
            )
        ),
        new(
            "lmc",
            "lmc",
            V(
                "steps",
                "8",
                "spawns",
                "0,4",
                "children",
                "2",
                "alphas",
                "3",
                "eval-images",
                "128",
                "gradient-images",
                "32",
                "gradient-lag",
                "2",
                "gradient-steps",
                "0,2",
                "models",
                "cnn",
                "batch",
                "32"
            )
        ),
    ];

    /// <summary>
    /// Environment of a child process of the several-process driver: a fully optimised JIT from the first call
    /// (<c>DOTNET_TieredCompilation=0</c>; tier-0 code keeps locals alive to the end of a method and hides
    /// lifetime faults) and no dynamic PGO.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ChildEnvironment { get; } =
        new Dictionary<string, string>
        {
            ["DOTNET_TieredCompilation"] = "0",
            ["DOTNET_TieredPGO"] = "0",
        };

    /// <summary>
    /// Run <paramref name="config"/> in this process into <paramref name="root"/> (one folder per worker, round and
    /// case). Bad configuration is a <see cref="ParameterException"/> before any work.
    /// </summary>
    public static StressResult Run(
        StressConfig config,
        string root,
        Action<string> log,
        CancellationToken cancel = default
    )
    {
        if (config.Problems().ToList() is { Count: > 0 } problems)
            throw new ParameterException(string.Join("; ", problems));
        // a folder of its own under root: a stress run never writes into an earlier one's outputs
        root = Path.Combine(root, $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        var cases =
            config.Cases.Count == 0
                ? Cases
                : Cases.Where(c => config.Cases.Contains(c.Label)).ToList();
        // each case's plan is made (and its data loaded) once, before the workers start
        foreach (var c in cases)
        {
            var plan = StudyCatalog.Find(c.Study).Plan(c.Values);
            _ = plan.Study.DataSource;
        }
        using var stop = new CancellationTokenSource();
        Thread? hammer = config.GcStress ? StartGcHammer(stop.Token) : null;
        var firstTable = new Dictionary<string, byte[]>();
        var mismatches = new List<string>();
        int runs = 0,
            failed = 0;
        var gate = new object();
        var sw = Stopwatch.StartNew();
        var workers = Enumerable
            .Range(0, config.Workers)
            .Select(w => new Thread(
                () =>
                {
                    for (int r = 0; r < config.Rounds && !cancel.IsCancellationRequested; r++)
                        foreach (var c in cases)
                        {
                            var dir = Path.Combine(root, $"w{w}-r{r}-{c.Label}");
                            var d = StudyCatalog.Find(c.Study);
                            var outcome = StudyHost.Run(
                                d,
                                d.Plan(c.Values),
                                dir,
                                config.Threads,
                                new RunOptions(CheckpointEvery: CheckpointEvery),
                                cancel,
                                Quiet.Instance,
                                c.Parallel
                            );
                            var bytes = File.ReadAllBytes(outcome.Table);
                            lock (gate)
                            {
                                runs += outcome.Runs.Count;
                                failed += outcome.Runs.Count(s => s.Status != "completed");
                                if (!firstTable.TryGetValue(c.Label, out var first))
                                    firstTable[c.Label] = bytes;
                                else if (!first.AsSpan().SequenceEqual(bytes))
                                    mismatches.Add(
                                        $"{c.Label}: {dir} differs from the case's first table"
                                    );
                                log(
                                    $"stress: worker {w} round {r + 1}/{config.Rounds} {c.Label}: {outcome.Runs.Count} runs{(outcome.Failed ? ", FAILED" : "")} ({sw.Elapsed.TotalSeconds:F0} s)"
                                );
                            }
                        }
                },
                maxStackSize: 16 << 20
            ))
            .ToList();
        foreach (var t in workers)
            t.Start();
        foreach (var t in workers)
            t.Join();
        stop.Cancel();
        hammer?.Join();
        return new StressResult(runs, failed, mismatches);
    }

    /// <summary>
    /// The several-process driver: <paramref name="processes"/> children at once, child k the command line
    /// <paramref name="child"/>(<c>root/pK</c>) (the face's own stress command with the same configuration), in
    /// <see cref="ChildEnvironment"/>; returns each child's exit code (a signal shows as 128 + its number: 139 is
    /// SIGSEGV, 134 SIGABRT). Children print to <paramref name="log"/>, prefixed.
    /// </summary>
    public static int[] RunProcesses(
        int processes,
        StressConfig config,
        string root,
        Func<string, IReadOnlyList<string>> child,
        Action<string> log
    )
    {
        if (processes is < 1 or > 16)
            throw new ParameterException($"processes must be 1–16, got {processes}");
        if (config.Problems().ToList() is { Count: > 0 } problems)
            throw new ParameterException(string.Join("; ", problems));
        var children = Enumerable
            .Range(0, processes)
            .Select(k =>
            {
                var command = child(Path.Combine(root, $"p{k}"));
                var psi = new ProcessStartInfo(command[0])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                foreach (var a in command.Skip(1))
                    psi.ArgumentList.Add(a);
                foreach (var (name, value) in ChildEnvironment)
                    psi.Environment[name] = value;
                var p = Process.Start(psi)!;
                p.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is { } line)
                        lock (log)
                            log($"[p{k}] {line}");
                };
                p.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is { } line)
                        lock (log)
                            log($"[p{k}] {line}");
                };
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                return p;
            })
            .ToList();
        var codes = new int[processes];
        for (int k = 0; k < processes; k++)
        {
            children[k].WaitForExit();
            codes[k] = children[k].ExitCode;
            children[k].Dispose();
        }
        return codes;
    }

    private static Thread StartGcHammer(CancellationToken stop)
    {
        var t = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
            }
        })
        {
            IsBackground = true,
            Name = "gc-stress",
        };
        t.Start();
        return t;
    }

    private sealed class Quiet : IRunObserver
    {
        public static readonly Quiet Instance = new();

        public T Progress<T>(string title, Func<Action<string, long, long>, T> work) =>
            work((_, _, _) => { });

        public void Message(string line, bool routine = false) { }

        public IEnumerable<Type> HostTypes => [];
    }
}
