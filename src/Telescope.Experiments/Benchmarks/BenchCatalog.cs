using System.Text.Json.Nodes;
using Telescope.Benchmarks;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Parameters;
using Telescope.Frames;
using TorchSharp;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// A benchmark as a catalog entry: name, summary, typed parameters (the only place their defaults live) and how
/// it runs. A bench measures ratios against a baseline in the same run and writes <c>bench.csv</c> + run.json; it
/// has no seeds, nothing to resume and no checkpoints, so faces offer only its parameters, an output folder and
/// a thread count (unless it <see cref="OwnsThreads"/>).
/// </summary>
public interface IBenchDefinition
{
    /// <summary>Its name (<c>telescope bench NAME</c>).</summary>
    string Name { get; }

    /// <summary>What it measures.</summary>
    string Summary { get; }

    /// <summary>Its parameters, in the order faces list them.</summary>
    IReadOnlyList<IParameter> Parameters { get; }

    /// <summary>
    /// Whether a parameter of its own, named <c>threads</c>, says how many threads it uses (<c>bench peer</c> times
    /// each side at a list of counts): faces then offer no thread count of their own and pass 0.
    /// </summary>
    bool OwnsThreads { get; }

    /// <summary>
    /// Whether it stops cleanly when the token given to <see cref="Run"/> is cancelled, keeping its finished work
    /// (<c>bench ntk-large</c>: between row blocks). Faces hand over Ctrl-C only then, so it ends the others at once.
    /// </summary>
    bool Interruptible { get; }

    /// <summary>
    /// Validate <paramref name="values"/> (a <see cref="ParameterException"/> names every problem), fix device and
    /// threads, run, print what it measured to <paramref name="output"/> and write its table into
    /// <paramref name="outDir"/>; returns the table's path. <paramref name="cancel"/> stops an
    /// <see cref="Interruptible"/> bench (<see cref="OperationCanceledException"/>).
    /// </summary>
    string Run(
        IEnumerable<KeyValuePair<string, string>> values,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel = default
    );
}

/// <summary>A bench over configuration <typeparamref name="TConfig"/>.</summary>
public abstract class BenchDefinition<TConfig> : IBenchDefinition
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Summary { get; }

    /// <summary>The defaults.</summary>
    protected abstract TConfig Defaults { get; }

    /// <summary>The typed parameters.</summary>
    protected abstract IReadOnlyList<Parameter<TConfig>> Typed { get; }

    /// <inheritdoc />
    public IReadOnlyList<IParameter> Parameters => Typed;

    /// <inheritdoc />
    public bool OwnsThreads => Typed.Any(p => p.Name == "threads");

    /// <inheritdoc />
    public virtual bool Interruptible => false;

    /// <summary>Every problem of a configuration (empty when valid).</summary>
    protected abstract IEnumerable<string> Problems(TConfig c);

    /// <summary>The device it runs on.</summary>
    protected virtual string Device(TConfig c) => "cpu";

    /// <summary>Run a valid configuration with <paramref name="threads"/> in effect; returns the table's path.</summary>
    protected abstract string Execute(
        TConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    );

    /// <inheritdoc />
    public string Run(
        IEnumerable<KeyValuePair<string, string>> values,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel = default
    )
    {
        var c = ParameterSet.Configure($"bench {Name}", Typed, values, _ => Defaults, Problems);
        return Execute(c, outDir, StudyHost.Prepare(Device(c), threads), output, observer, cancel);
    }

    /// <summary>The device and dtype parameters of a bench on tensors (float32 by default: speed).</summary>
    protected static Parameter<T>[] DeviceAndDType<T>(
        Func<T, string> device,
        Func<T, string, T> setDevice,
        Func<T, torch.ScalarType, T> setDType,
        T defaults
    ) =>
        [
            Word(
                "device",
                "cpu, cuda or cuda:N (tensors are created on the model's device).",
                device,
                setDevice,
                defaults
            ),
            Choice<T, torch.ScalarType>(
                "dtype",
                "float32 or float64.",
                "float32",
                [("float64", torch.ScalarType.Float64), ("float32", torch.ScalarType.Float32)],
                setDType
            ),
        ];

    /// <summary>Write a bench's observations to <c>DIR/bench.csv</c> and run.json; returns the table path.</summary>
    protected string Write(
        string outDir,
        int threads,
        JsonObject config,
        IReadOnlyList<Observation> obs,
        IRunObserver observer,
        string source = "synthetic inputs (uniform [0,1]); timing only"
    )
    {
        Directory.CreateDirectory(outDir);
        var path = System.IO.Path.Combine(outDir, "bench.csv");
        using (var w = new TidyCsvWriter(path, new TidySchema(["bench"]), Key))
        {
            foreach (var o in obs)
                w.Write(o);
            w.Complete();
        }
        WriteManifest(outDir, threads, config, observer, source);
        return path;
    }

    /// <summary>Write run.json of a completed bench whose <c>DIR/bench.csv</c> is written.</summary>
    protected void WriteManifest(
        string outDir,
        int threads,
        JsonObject config,
        IRunObserver observer,
        string source
    )
    {
        var m = new RunManifest
        {
            Study = "bench " + Name,
            Config = config,
            DataSource = source,
            Seeds = [0],
            Threads = threads,
            Versions = StudyRunner.Versions(observer.HostTypes),
            Status = "completed",
            Finished = DateTime.UtcNow.ToString("o"),
        };
        m.Outputs.Add("bench.csv");
        m.Save(outDir);
    }

    /// <summary>The run key of the bench's rows.</summary>
    protected RunKey Key => new("bench", Name, 0, [new("bench", Name)]);
}

/// <summary>Every bench, in listing order: adding one is its definition plus one line here.</summary>
public static class BenchCatalog
{
    /// <summary>The entries.</summary>
    public static IReadOnlyList<IBenchDefinition> All { get; } =
    [
        new TelescopingBenchDefinition(),
        new SoakBenchDefinition(),
        new NtkBenchDefinition(),
        new NtkLargeBenchDefinition(),
        new PeerBenchDefinition(),
    ];
}

/// <summary>Configuration of <c>bench telescoping</c>.</summary>
public sealed record TelescopingBenchConfig(
    int Points = 1000,
    int Repeats = 21,
    torch.ScalarType DType = torch.ScalarType.Float32,
    string Device = "cpu"
);

/// <summary><see cref="TelescopingBench"/>: batched JVP vs one forward pass vs a per-example loop.</summary>
public sealed class TelescopingBenchDefinition : BenchDefinition<TelescopingBenchConfig>
{
    /// <inheritdoc />
    public override string Name => "telescoping";

    /// <inheritdoc />
    public override string Summary =>
        "Batched telescoped update (forward-mode JVP) vs one forward pass vs a per-example autograd loop, and the generic path (double backward, whole network and per layer) against the forward-mode pass; N points, MLP 784–256–256–10.";

    /// <inheritdoc />
    protected override TelescopingBenchConfig Defaults { get; } = new();

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<TelescopingBenchConfig>> Typed =>
        [
            .. DeviceAndDType<TelescopingBenchConfig>(
                c => c.Device,
                (c, v) => c with { Device = v },
                (c, v) => c with { DType = v },
                Defaults
            ),
            Int<TelescopingBenchConfig>(
                "points",
                "Probe points N.",
                c => c.Points,
                (c, v) => c with { Points = v },
                Defaults
            ),
            Int<TelescopingBenchConfig>(
                "repeats",
                "Timed rounds: each runs every pass once, in turn; medians, and ratios as medians of per-round ratios.",
                c => c.Repeats,
                (c, v) => c with { Repeats = v },
                Defaults
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(TelescopingBenchConfig c)
    {
        if (c.Points < 1)
            yield return $"--points must be ≥ 1, got {c.Points}";
        if (c.Repeats < 1)
            yield return $"--repeats must be ≥ 1, got {c.Repeats}";
    }

    /// <inheritdoc />
    protected override string Device(TelescopingBenchConfig c) => c.Device;

    /// <inheritdoc />
    protected override string Execute(
        TelescopingBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        var sink = new ObservationList();
        output.WriteLine(
            $"bench telescoping: N = {c.Points}, MLP 784–256–256–10, {c.DType}, {threads} threads"
        );
        TelescopingBench.Run(sink, c.Points, c.DType, c.Device, c.Repeats, log: output.WriteLine);
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["points"] = c.Points,
                ["repeats"] = c.Repeats,
                ["dtype"] = c.DType.ToString(),
                ["model"] = "MLP 784-256-256-10",
            },
            sink.Items,
            observer
        );
        output.WriteLine(
            $"goals: jvp_over_forward ≤ 4, speedup_vs_per_example ≥ 50, generic_*_over_forward_mode ≤ 2\nwrote {path}"
        );
        return path;
    }
}

/// <summary>Configuration of <c>bench ntk</c>.</summary>
public sealed record NtkBenchConfig(
    int Points = 1000,
    int Repeats = 3,
    int JacobianPoints = 100,
    int PerExampleRows = 4,
    torch.ScalarType DType = torch.ScalarType.Float32,
    string Device = "cpu"
);

/// <summary><see cref="NtkBench"/>: structured tangent kernel vs Jacobian contraction vs per-example loop vs a GEMM.</summary>
public sealed class NtkBenchDefinition : BenchDefinition<NtkBenchConfig>
{
    /// <inheritdoc />
    public override string Name => "ntk";

    /// <inheritdoc />
    public override string Summary =>
        "Empirical tangent kernel K(X, X) (traced over 10 outputs) of an MLP 784–256–256–10 on N points: structured (per-layer) vs Jacobian contraction vs per-example loop, against a plain GEMM as the machine's ceiling.";

    /// <inheritdoc />
    protected override NtkBenchConfig Defaults { get; } = new();

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<NtkBenchConfig>> Typed =>
        [
            .. DeviceAndDType<NtkBenchConfig>(
                c => c.Device,
                (c, v) => c with { Device = v },
                (c, v) => c with { DType = v },
                Defaults
            ),
            Int<NtkBenchConfig>(
                "points",
                "Points N.",
                c => c.Points,
                (c, v) => c with { Points = v },
                Defaults
            ),
            Int<NtkBenchConfig>(
                "repeats",
                "Timed repeats (median) for the structured method and the GEMMs.",
                c => c.Repeats,
                (c, v) => c with { Repeats = v },
                Defaults
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
            yield return "--points, --repeats, --jacobian-points and --per-example-rows must be ≥ 1";
    }

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

/// <summary>Configuration of <c>bench soak</c>.</summary>
public sealed record SoakBenchConfig(int Steps = 100_000, int RecordEvery = 10);

/// <summary><see cref="SoakBench"/>: a long streamed trajectory on the CPU, resident memory flat.</summary>
public sealed class SoakBenchDefinition : BenchDefinition<SoakBenchConfig>
{
    /// <inheritdoc />
    public override string Name => "soak";

    /// <inheritdoc />
    public override string Summary =>
        "Record a long trajectory (default 100,000 steps) of a small model, streaming to disk, and show that resident memory stays flat.";

    /// <inheritdoc />
    protected override SoakBenchConfig Defaults { get; } = new();

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<SoakBenchConfig>> Typed =>
        [
            Int<SoakBenchConfig>(
                "steps",
                "Steps.",
                c => c.Steps,
                (c, v) => c with { Steps = v },
                Defaults
            ),
            Int<SoakBenchConfig>(
                "record-every",
                "Write every k-th step of the trajectory.",
                c => c.RecordEvery,
                (c, v) => c with { RecordEvery = v },
                Defaults
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(SoakBenchConfig c)
    {
        if (c.Steps < 1000)
            yield return $"--steps must be ≥ 1000 for a soak, got {c.Steps}";
        if (c.RecordEvery < 1)
            yield return $"--record-every must be ≥ 1, got {c.RecordEvery}";
    }

    /// <inheritdoc />
    protected override string Execute(
        SoakBenchConfig c,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        Directory.CreateDirectory(outDir);
        var sink = new ObservationList();
        var trajectoryPath = System.IO.Path.Combine(outDir, "trajectory.csv");
        using var trajectory = new TidyCsvWriter(trajectoryPath, new TidySchema(["bench"]), Key);
        var result = observer.Progress(
            "soak",
            report =>
                SoakBench.Run(
                    sink,
                    trajectory,
                    c.Steps,
                    c.RecordEvery,
                    progress: t => report("steps", t, c.Steps)
                )
        );
        trajectory.Complete();
        foreach (var (q, v) in result)
            output.WriteLine($"{q, -28} {v, 12:G6}");
        var path = Write(
            outDir,
            threads,
            new JsonObject
            {
                ["steps"] = c.Steps,
                ["record_every"] = c.RecordEvery,
                ["model"] = "MLP 16-32-32-1, momentum 0.9, lr 0.01, batch 50, synthetic 200 rows",
            },
            sink.Items,
            observer
        );
        output.WriteLine(
            $"goal: rss_growth_ratio ≤ 1.1 (memory flat)\nwrote {path} and {trajectoryPath} ({trajectory.Rows} rows)"
        );
        return path;
    }
}
