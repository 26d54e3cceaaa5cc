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

/// <summary>What the benches timing an MLP on N points share: N, timed repeats, dtype and device.</summary>
internal abstract record TensorBenchConfig(
    int Points,
    int Repeats,
    torch.ScalarType DType,
    string Device
);

/// <summary>
/// A bench over configuration <typeparamref name="TConfig"/>: its <paramref name="name"/>, <paramref name="summary"/>
/// and <paramref name="defaults"/> given once, by its constructor.
/// </summary>
public abstract class BenchDefinition<TConfig>(string name, string summary, TConfig defaults)
    : IBenchDefinition
{
    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public string Summary { get; } = summary;

    /// <summary>The defaults.</summary>
    protected TConfig Defaults { get; } = defaults;

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

    /// <summary>
    /// The parameters of a bench timing an MLP on N points (<see cref="TensorBenchConfig"/>): device, dtype, points and
    /// repeats, in that order.
    /// </summary>
    private protected static Parameter<T>[] TensorParameters<T>(
        T defaults,
        string pointsHelp,
        string repeatsHelp
    )
        where T : TensorBenchConfig =>
        [
            .. DeviceAndDType<T>(
                c => c.Device,
                (c, v) => (T)(c with { Device = v }),
                (c, v) => (T)(c with { DType = v }),
                defaults
            ),
            Parameter.Int<T>(
                "points",
                pointsHelp,
                c => c.Points,
                (c, v) => (T)(c with { Points = v }),
                defaults
            ),
            Parameter.Int<T>(
                "repeats",
                repeatsHelp,
                c => c.Repeats,
                (c, v) => (T)(c with { Repeats = v }),
                defaults
            ),
        ];

    /// <summary>
    /// The most probe points of a tensor bench: 100,000 rows of an MLP 784–256–256–10 are 0.3 GB of inputs in
    /// float32 and its activations and tangents several times that.
    /// </summary>
    public const int MaxPoints = 100_000;

    /// <summary>
    /// The problems of <see cref="TensorParameters{T}"/>: points in [1, <paramref name="maxPoints"/>] and repeats in
    /// [1, <see cref="StudyLimits.MaxCount"/>], checked before any work (2,000,000,000 repeats ended in an
    /// OutOfMemoryException, 2,000,000,000 points ran until the machine's memory was gone).
    /// </summary>
    private protected static IEnumerable<string> TensorProblems(
        TensorBenchConfig c,
        int maxPoints = MaxPoints
    )
    {
        if (c.Points < 1)
            yield return $"{Option("points")} must be ≥ 1, got {c.Points}";
        if (c.Repeats < 1)
            yield return $"{Option("repeats")} must be ≥ 1, got {c.Repeats}";
        foreach (
            var p in StudyLimits.AtMost(
                (Option("points"), c.Points, maxPoints),
                (Option("repeats"), c.Repeats, StudyLimits.MaxCount)
            )
        )
            yield return p;
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
