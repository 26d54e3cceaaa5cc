using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Tangents;
using Telescope.Telescoping;
using Telescope.Training;

namespace Telescope.Experiments.Studies.Approximation;

/// <summary>One optimiser setting of the approximation study (paper Fig. 2/7/8; spec §4.1).</summary>
/// <param name="Name">sgd, sgd+momentum, sgd+wd, adamw, sgd+sigmoid, …</param>
/// <param name="Optimizer">The optimiser (its learning rate is the swept γ).</param>
/// <param name="OutputSigmoid">Whether the network ends in σ (the "SGD + σ" setting).</param>
public sealed record OptimizerSetting(
    string Name,
    OptimizerSpec Optimizer,
    bool OutputSigmoid = false
);

/// <summary>
/// Configuration of the approximation-quality study. Defaults are the CPU variant of spec §4.1 on
/// M35: MLP 64–200–200–1, squared loss, batch 200, SGD and AdamW (λ = 0.1, β = (0.9, 0.99)) at their
/// learning-rate grids, plus momentum 0.9, weight decay 0.1 and an output sigmoid; T = 600 (the spec's
/// calibration length; its CPU variant's T = 1000 is <c>--steps 1000</c>), seeds 0 and 1.
/// </summary>
public sealed record ApproximationConfig
{
    /// <summary><c>mnist</c> (real, default) or <c>synthetic</c> (a labelled stand-in); ignored when <see cref="Data"/> is set.</summary>
    public string Dataset { get; init; } = "mnist";

    /// <summary>
    /// The user's data (a CSV or IDX file with its target, and a test file or a seeded held-out fraction); null: the
    /// embedded <see cref="Dataset"/>. When set, <see cref="TrainSize"/> and <see cref="TestSize"/> are the files'.
    /// </summary>
    public UserData? Data { get; init; }

    /// <summary>Architecture.</summary>
    public ModelSpec Model { get; init; } = new();

    /// <summary>The (setting, γ) grid.</summary>
    public IReadOnlyList<OptimizerSetting> Settings { get; init; } = DefaultSettings();

    /// <summary>T.</summary>
    public int Steps { get; init; } = 600;

    /// <summary>Seeds (initialisation and batch order): two by default, so that every summary line has a spread.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1];

    /// <summary>Batch size.</summary>
    public int BatchSize { get; init; } = 200;

    /// <summary>Training rows (M35 has 1,895 images in all).</summary>
    public int TrainSize { get; init; } = 1000;

    /// <summary>Held-out rows.</summary>
    public int TestSize { get; init; } = 895;

    /// <summary>Tracked train points (≤ TrainSize).</summary>
    public int ProbeTrain { get; init; } = 1000;

    /// <summary>Tracked test points (≤ TestSize).</summary>
    public int ProbeTest { get; init; } = 1000;

    /// <summary>float64 (default; exactness) or float32.</summary>
    public torch.ScalarType DType { get; init; } = torch.ScalarType.Float64;

    /// <summary>cpu or cuda[:N].</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Write every k-th step (0 = log grid).</summary>
    public int RecordEvery { get; init; }

    /// <summary>Per-example predictions for this many rows per split.</summary>
    public int RecordExamples { get; init; }

    /// <summary>Batched JVP method.</summary>
    public JvpMethod Method { get; init; } = JvpMethod.Forward;

    /// <summary>Seed of the train/test split (fixed across runs).</summary>
    public long DataSeed { get; init; }

    /// <summary>The spec's §4.1 learning-rate grid of the SGD family: 1e-2, 1e-1, 1.</summary>
    public static IReadOnlyList<double> SgdRates { get; } = [1e-2, 1e-1, 1.0];

    /// <summary>The spec's §4.1 learning-rate grid of Adam and AdamW: 1e-4, 1e-3, 1e-2.</summary>
    public static IReadOnlyList<double> AdamRates { get; } = [1e-4, 1e-3, 1e-2];

    /// <summary>
    /// The settings a user asks for: no <paramref name="optimizers"/> → the spec's grid (<see cref="DefaultSettings"/>),
    /// each family at <paramref name="rates"/> when given; otherwise each named optimiser (AdamW with λ = 0.1 and
    /// β₂ = 0.99, Adam with β₂ = 0.99) at <paramref name="rates"/> or its family's grid, with weight decay
    /// <paramref name="weightDecay"/> when given and an output sigmoid when <paramref name="sigmoid"/>.
    /// An unknown optimiser name is an <see cref="ArgumentException"/>.
    /// </summary>
    public static IReadOnlyList<OptimizerSetting> SettingsFor(
        IReadOnlyList<string> optimizers,
        IReadOnlyList<double> rates,
        double? weightDecay,
        bool sigmoid
    )
    {
        if (optimizers.Count == 0)
        {
            var defaults = DefaultSettings();
            if (rates.Count == 0)
                return defaults;
            // the default families, each at the given rates
            return defaults
                .GroupBy(s => s.Name)
                .SelectMany(g =>
                    rates.Select(x =>
                        g.First() with
                        {
                            Optimizer = g.First().Optimizer with { LearningRate = x },
                        }
                    )
                )
                .ToList();
        }
        var result = new List<OptimizerSetting>();
        foreach (var name in optimizers)
        {
            var kind = OptimizerSpec.ParseKind(name);
            var (grid, baseSpec) = kind switch
            {
                OptimizerKind.AdamW => (
                    AdamRates,
                    new OptimizerSpec(kind, 1, WeightDecay: 0.1, Beta2: 0.99)
                ),
                OptimizerKind.Adam => (AdamRates, new OptimizerSpec(kind, 1, Beta2: 0.99)),
                _ => (SgdRates, new OptimizerSpec(kind, 1)),
            };
            if (weightDecay is { } λ)
                baseSpec = baseSpec with { WeightDecay = λ };
            var label =
                baseSpec.Name
                + (baseSpec.WeightDecay != 0 && kind != OptimizerKind.AdamW ? "+wd" : "")
                + (sigmoid ? "+sigmoid" : "");
            foreach (var x in rates.Count > 0 ? rates : grid)
                result.Add(
                    new OptimizerSetting(label, baseSpec with { LearningRate = x }, sigmoid)
                );
        }
        return result;
    }

    /// <summary>
    /// Spec §4.1 grid: SGD {1e-2, 1e-1, 1}, AdamW {1e-4, 1e-3, 1e-2}; momentum 0.9, weight decay 0.1 and
    /// an output σ at the middle rate 1e-1 (the spec's one run each) and also at 1e-2, so that every
    /// setting has a small-rate run.
    /// </summary>
    public static IReadOnlyList<OptimizerSetting> DefaultSettings() =>
        [
            .. SgdRates.Select(lr => new OptimizerSetting(
                "sgd",
                new OptimizerSpec(OptimizerKind.Sgd, lr)
            )),
            .. AdamRates.Select(lr => new OptimizerSetting(
                "adamw",
                new OptimizerSpec(
                    OptimizerKind.AdamW,
                    lr,
                    WeightDecay: 0.1,
                    Beta1: 0.9,
                    Beta2: 0.99
                )
            )),
            .. new[] { 1e-2, 1e-1 }.Select(lr => new OptimizerSetting(
                "sgd+momentum",
                new OptimizerSpec(OptimizerKind.Momentum, lr, Momentum: 0.9)
            )),
            .. new[] { 1e-2, 1e-1 }.Select(lr => new OptimizerSetting(
                "sgd+wd",
                new OptimizerSpec(OptimizerKind.Sgd, lr, WeightDecay: 0.1)
            )),
            .. new[] { 1e-2, 1e-1 }.Select(lr => new OptimizerSetting(
                "sgd+sigmoid",
                new OptimizerSpec(OptimizerKind.Sgd, lr),
                OutputSigmoid: true
            )),
        ];

    /// <summary>Every problem with this configuration (empty when valid), checked before any work starts.</summary>
    public IEnumerable<string> Problems()
    {
        if (Data is not null)
            foreach (var p in Data.Problems())
                yield return p;
        else if (Dataset is not ("mnist" or "synthetic"))
            yield return $"unknown dataset '{Dataset}': expected mnist or synthetic";
        if (Steps < 1)
            yield return $"{Option("steps")} must be ≥ 1, got {Steps}";
        if (BatchSize < 1)
            yield return $"{Option("batch")} must be ≥ 1, got {BatchSize}";
        // bounds before any work (StudyLimits): beyond them a run exhausts memory or never ends
        foreach (var p in StudyLimits.AtMost(Option("steps"), Steps, StudyLimits.MaxSteps))
            yield return p;
        if (Model.Widths.Length > StudyLimits.MaxLayers)
            yield return $"{Option("width")}: {Model.Widths.Length} hidden layers; at most {StudyLimits.MaxLayers}";
        foreach (
            var p in StudyLimits.AtMost(
                (Option("width"), Model.Widths.DefaultIfEmpty(0).Max(), StudyLimits.MaxWidth),
                // a user's table is bounded by its file size instead (UserData)
                (
                    $"{Option("train")} + {Option("test")}",
                    Data is null ? (long)TrainSize + TestSize : 0,
                    StudyLimits.MaxRows
                )
            )
        )
            yield return p;
        if (Seeds.Count == 0)
            yield return "at least one seed is needed";
        if (TrainSize < 1 || TestSize < 1)
            yield return $"train and test sizes must be ≥ 1, got {TrainSize} and {TestSize}";
        if (Data is null && Dataset == "mnist" && TrainSize + TestSize > 1895)
            yield return $"M35 holds 1,895 images; {Option("train")} {TrainSize} + {Option("test")} {TestSize} is more";
        if (Settings.Count == 0)
            yield return "no optimiser settings to run";
        if (Model.Alpha <= 0 || !double.IsFinite(Model.Alpha))
            yield return $"{Option("alpha")} must be positive, got {Model.Alpha}";
        foreach (var s in Settings)
        foreach (var p in s.Optimizer.Problems())
            yield return $"{s.Name}: {p}";
    }
}

/// <summary>
/// The approximation-quality study (paper Fig. 2, 7, 8; spec §4.1): how closely the telescoping model
/// f̃_t tracks the trained network, against the linearised model f_lin,t. Quantities per step and split:
/// <c>telescoping_error</c> = mean|f_t − f̃_t|, <c>linearised_error</c> = mean|f_t − f_lin,t|, and the
/// loss and accuracy of f, f̃ and f_lin; at each run's last step its <see cref="RunHealth"/> flags
/// (<c>did_not_learn</c>, <c>diverged</c>, <c>telescoped_diverged</c>: 1 = flagged, split empty). On the user's
/// data (<see cref="ApproximationConfig.Data"/>) with real targets, the accuracy rows are left out and the flags come
/// from <see cref="RunHealth.JudgeRegression"/>.
/// </summary>
public sealed class ApproximationStudy : IStudy
{
    private readonly ApproximationConfig _cfg;
    private readonly Lazy<(Dataset train, Dataset test)> _data;

    /// <summary>A study with a validated configuration (throws <see cref="ArgumentException"/> listing every problem).</summary>
    public ApproximationStudy(ApproximationConfig cfg, Action<string>? log = null)
    {
        ConfigProblems.ThrowIfAny(cfg.Problems());
        _cfg = cfg;
        _data = new Lazy<(Dataset, Dataset)>(() =>
            cfg.Data is { } user ? user.Load()
            : cfg.Dataset == "mnist"
                ? BinaryDigits.M35(cfg.TrainSize, cfg.TestSize, cfg.DataSeed, log: log)
            : BinaryDigits.Synthetic(cfg.TrainSize, cfg.TestSize, cfg.DataSeed)
        );
    }

    /// <inheritdoc />
    public string Name => "approximation";

    /// <inheritdoc />
    public string DataSource =>
        _cfg.Data is { } user
            ? user.Describe(_data.Value.train, _data.Value.test)
            : _data.Value.train.Source;

    /// <summary>The training and test rows (loaded, and for the user's files read and checked, on first use).</summary>
    public (Dataset Train, Dataset Test) Data => _data.Value;

    /// <summary>The <c>dataset</c> coordinate: mnist, synthetic, or the user's file name.</summary>
    private string DatasetName =>
        _cfg.Data is { } user ? Path.GetFileName(user.Path) : _cfg.Dataset;

    private int TrainRows => _cfg.Data is null ? _cfg.TrainSize : _data.Value.train.Count;

    private int TestRows => _cfg.Data is null ? _cfg.TestSize : _data.Value.test.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> ParameterNames =>
        ["dataset", "model", "setting", "optimizer", "lr", "weight_decay", "head"];

    /// <inheritdoc />
    public JsonObject Config =>
        new()
        {
            ["dataset"] = _cfg.Data is null ? _cfg.Dataset : "file",
            ["data_source"] = DataSource,
            ["data"] = _cfg.Data?.ToJson(_data.Value.train, _data.Value.test),
            ["model"] = _cfg.Model.Kind.ToString().ToLowerInvariant(),
            ["hidden"] = new JsonArray(_cfg.Model.Widths.Select(w => (JsonNode)w).ToArray()),
            ["activation"] = _cfg.Model.Activation.ToString().ToLowerInvariant(),
            ["alpha"] = _cfg.Model.Alpha,
            ["steps"] = _cfg.Steps,
            ["batch"] = _cfg.BatchSize,
            ["loss"] = "squared (½(y−f)², mean over batch)",
            ["train_size"] = TrainRows,
            ["test_size"] = TestRows,
            ["probe_train"] = Math.Min(_cfg.ProbeTrain, TrainRows),
            ["probe_test"] = Math.Min(_cfg.ProbeTest, TestRows),
            ["dtype"] = _cfg.DType.ToString().ToLowerInvariant(),
            ["device"] = _cfg.Device,
            ["jvp"] = _cfg.Method.ToString(),
            ["record_every"] = _cfg.RecordEvery,
            ["record_examples"] = _cfg.RecordExamples,
            ["data_seed"] = _cfg.DataSeed,
            ["seeds"] = new JsonArray(_cfg.Seeds.Select(s => (JsonNode)s).ToArray()),
            ["settings"] = new JsonArray(
                _cfg.Settings.Select(s =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["setting"] = s.Name,
                                ["optimizer"] = s.Optimizer.Name,
                                ["lr"] = s.Optimizer.LearningRate,
                                ["weight_decay"] = s.Optimizer.WeightDecay,
                                ["momentum"] = s.Optimizer.Momentum,
                                ["beta1"] = s.Optimizer.Beta1,
                                ["beta2"] = s.Optimizer.Beta2,
                                ["epsilon"] = s.Optimizer.Epsilon,
                                ["output_sigmoid"] = s.OutputSigmoid,
                            }
                    )
                    .ToArray()
            ),
        };

    private static string F(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public IReadOnlyList<StudyRun> Runs()
    {
        var runs = new List<StudyRun>();
        foreach (var s in _cfg.Settings)
        foreach (var seed in _cfg.Seeds)
        {
            var o = s.Optimizer;
            var key = new RunKey(
                Name,
                $"{s.Name}_lr{F(o.LearningRate)}_s{seed}",
                seed,
                [
                    new("dataset", DatasetName),
                    new("model", _cfg.Model.Kind.ToString().ToLowerInvariant()),
                    new("setting", s.Name),
                    new("optimizer", o.Name),
                    new("lr", F(o.LearningRate)),
                    new("weight_decay", F(o.WeightDecay)),
                    new("head", s.OutputSigmoid ? "sigmoid" : "linear"),
                ]
            );
            runs.Add(new StudyRun(key, _cfg.Steps, ctx => RunOne(s, seed, ctx)));
        }
        return runs;
    }

    private TrajectoryResult RunOne(OptimizerSetting s, long seed, RunContext ctx)
    {
        var (train, test) = _data.Value;
        var device = Native.TorchRuntime.Device(_cfg.Device);
        var spec = _cfg.Model with { OutputSigmoid = s.OutputSigmoid };
        using var net = spec.Build(train.Shape, train.Outputs, seed, _cfg.DType, device);
        var probe = Probe.Of(train, test, _cfg.ProbeTrain, _cfg.ProbeTest);
        var cfg = new TrajectoryConfig(
            _cfg.Steps,
            _cfg.BatchSize,
            LossKind.Squared,
            s.Optimizer,
            seed,
            _cfg.RecordEvery,
            _cfg.RecordExamples,
            _cfg.Method,
            ctx.CheckpointEvery
        );
        // regression: accuracy means nothing, so its rows are left out of the table (RunHealth judges by loss)
        var sink = train.IsRegression ? WithoutAccuracy.Of(ctx.Sink) : ctx.Sink;
        var result = Trajectory.Run(
            net,
            train,
            probe,
            cfg,
            sink,
            ctx.Progress,
            ctx.Cancel,
            ctx.Checkpoints
        );
        var health = train.IsRegression
            ? RunHealth.JudgeRegression(
                result.Last("test/loss"),
                RunHealth.ConstantLoss(train, probe.Test),
                result.Start("train/loss"),
                result.Last("train/loss"),
                result.Last("test/telescoping_error"),
                RunHealth.TargetRange(train),
                failed: !result.Succeeded
            )
            : RunHealth.Judge(
                result.Last("test/accuracy"),
                RunHealth.ConstantAccuracy(probe.Test),
                result.Start("train/loss"),
                result.Last("train/loss"),
                result.Last("test/telescoping_error"),
                failed: !result.Succeeded
            );
        double end = result.StepsCompleted; // the last finished step (a failed run keeps only those)
        ctx.Sink.Write(
            new Observation(RunHealth.DidNotLearnQuantity, health.DidNotLearn ? 1 : 0, end)
        );
        ctx.Sink.Write(new Observation(RunHealth.DivergedQuantity, health.Diverged ? 1 : 0, end));
        ctx.Sink.Write(
            new Observation(
                RunHealth.TelescopedDivergedQuantity,
                health.TelescopedDiverged ? 1 : 0,
                end
            )
        );
        return result;
    }
}

/// <summary>A sink that passes on every observation but the accuracy quantities (regression runs), committable when its target is.</summary>
internal class WithoutAccuracy(IObservationSink inner) : IObservationSink
{
    /// <summary>The quantities left out.</summary>
    public static readonly string[] Dropped =
    [
        "accuracy",
        "telescoped_accuracy",
        "linearised_accuracy",
    ];

    /// <summary>A filter over <paramref name="inner"/>, committable when it is.</summary>
    public static IObservationSink Of(IObservationSink inner) =>
        inner is ICommittableSink c ? new Committable(c) : new WithoutAccuracy(inner);

    public void Write(in Observation observation)
    {
        if (Array.IndexOf(Dropped, observation.Quantity) < 0)
            inner.Write(observation);
    }

    private sealed class Committable(ICommittableSink inner)
        : WithoutAccuracy(inner),
            ICommittableSink
    {
        public long Commit() => inner.Commit();

        public void Rewind(long position) => inner.Rewind(position);
    }
}
