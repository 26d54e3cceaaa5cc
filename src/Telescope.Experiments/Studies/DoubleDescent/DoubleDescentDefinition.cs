using Telescope.Models;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.DoubleDescent;

/// <summary>The double-descent study (paper Fig. 3/9; spec §4.2 CPU variant) as a catalog entry, with its presets. float64 only.</summary>
internal sealed class DoubleDescentDefinition : StudyDefinition<DoubleDescentConfig>
{
    /// <summary>What each preset was measured to show (the one hand-written part of its description; see <see cref="DoubleDescentPreset"/>).</summary>
    private static readonly (DoubleDescentPreset preset, string finding)[] Findings =
    [
        (DoubleDescentPreset.Quick, "shows the shapes but fails the gate"),
        (DoubleDescentPreset.Full, "passes the gate but does not interpolate"),
        (DoubleDescentPreset.Valid, "interpolates and passes the gate"),
    ];

    private static readonly (string word, DoubleDescentPreset value)[] Presets =
    [
        .. Findings.Select(f => (WordOf(f.preset), f.preset)),
    ];

    /// <summary>
    /// A preset in words, generated from its configuration (<see cref="DoubleDescentConfig.For"/>) and its measured
    /// finding: <c>valid (tanh, n = 100, γ = 0.025, ≤ 96k steps, widths 1–256, 2 seeds: …)</c>.
    /// </summary>
    public static string PresetText(DoubleDescentPreset preset)
    {
        var c = DoubleDescentConfig.For(preset);
        var steps =
            c.MaxSteps % 1000 == 0
                ? $"{c.MaxSteps / 1000}k"
                : c.MaxSteps.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return $"{WordOf(preset)} ({WordOf(c.Activation)}, n = {c.TrainSize}, γ = {Text(c.LearningRate)}, ≤ {steps} steps, widths {c.Widths.Min()}–{c.Widths.Max()}, {c.Seeds.Count} seed{(c.Seeds.Count == 1 ? "" : "s")}: {Findings.Single(f => f.preset == preset).finding})";
    }

    private static string ByPresetWord<TEnum>(Func<DoubleDescentConfig, TEnum> f)
        where TEnum : struct, Enum =>
        string.Join(
            ", ",
            Presets.Select(p => $"{p.word} {WordOf(f(DoubleDescentConfig.For(p.value)))}")
        );

    private static readonly DoubleDescentConfig D = new();

    private static string ByPreset<T>(Func<DoubleDescentConfig, T> f)
        where T : IFormattable =>
        string.Join(
            ", ",
            Presets.Select(p =>
                $"{p.word} {f(DoubleDescentConfig.For(p.value)).ToString(null, System.Globalization.CultureInfo.InvariantCulture)}"
            )
        );

    private static string ByPresetList(Func<DoubleDescentConfig, IEnumerable<int>> f) =>
        string.Join(
            "; ",
            Presets.Select(p => $"{p.word} {Text(f(DoubleDescentConfig.For(p.value)))}")
        );

    /// <inheritdoc />
    public override string Name => "double-descent";

    /// <inheritdoc />
    public override string Summary =>
        $"Double descent and effective parameters (paper Fig. 3/9; spec §4.2 CPU variant): M35 with 20% training label noise, one hidden layer of width h, plain SGD (A3 smoother); final train/test loss and p_train, p_test against h, with the validity gate and a verdict. {Option("preset")} "
        + ListText(Findings.Select(f => PresetText(f.preset)).ToList())
        + " (see DoubleDescentPreset for measured times).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<DoubleDescentConfig>> Typed { get; } =
    [
        EnumChoice<DoubleDescentConfig, DoubleDescentPreset>(
            "preset",
            "",
            Findings.Select(f => (f.preset, "")).ToList(),
            " (the other parameters override the preset's values).",
            WordOf(DoubleDescentPreset.Quick),
            (c, _) => c, // applied first, by Start
            "preset"
        ),
        PositiveInts<DoubleDescentConfig>(
            "width",
            "Widths h.",
            ByPresetList(c => c.Widths),
            (c, v) => c with { Widths = v },
            "widths"
        ),
        OptionalInt<DoubleDescentConfig>(
            "steps",
            "Maximum steps (a run stops earlier at 100% train accuracy or when the loss stalls).",
            ByPreset(c => c.MaxSteps),
            (c, v) => c with { MaxSteps = v },
            min: 1
        ),
        OptionalDouble<DoubleDescentConfig>(
            "lr",
            "γ (full: the spec's CPU-variant rate).",
            ByPreset(c => c.LearningRate),
            (c, v) => c with { LearningRate = v }
        ),
        Double<DoubleDescentConfig>(
            "label-noise",
            "Training label flip probability.",
            c => c.LabelNoise,
            (c, v) => c with { LabelNoise = v },
            D
        ),
        OptionalInt<DoubleDescentConfig>(
            "train",
            "Training rows, all tracked.",
            ByPreset(c => c.TrainSize),
            (c, v) => c with { TrainSize = v }
        ),
        Int<DoubleDescentConfig>(
            "side",
            $"Input resolution: each 28×28 MNIST image average-pooled to side×side (d = side², P = (d + 2)·h + 1), {DoubleDescentConfig.MinSide}–{DoubleDescentConfig.MaxSide}.",
            c => c.Side,
            (c, v) => c with { Side = v },
            D,
            min: DoubleDescentConfig.MinSide
        ),
        EnumChoice<DoubleDescentConfig, DoubleDescentInputs>(
            "inputs",
            "Inputs: ",
            [
                (DoubleDescentInputs.Pixels, "in [0, 1], spec §4"),
                (DoubleDescentInputs.Standardized, "each input standardised by the training rows"),
            ],
            ".",
            ByPresetWord(c => c.Inputs),
            (c, v) => c with { Inputs = v },
            "input scaling"
        ),
        Double<DoubleDescentConfig>(
            "alpha",
            $"Initialisation scale α (every initial parameter × α), in (0, {Text(DoubleDescentConfig.MaxAlpha)}].",
            c => c.Alpha,
            (c, v) => c with { Alpha = v },
            D
        ),
        Int<DoubleDescentConfig>(
            "batch",
            "Batch size (≥ the training rows: full-batch gradient descent).",
            c => c.BatchSize,
            (c, v) => c with { BatchSize = v },
            D,
            min: 1
        ),
        EnumChoice<DoubleDescentConfig, DoubleDescentStop>(
            "stop",
            "Early stop: ",
            [
                (DoubleDescentStop.Interpolation, "at 100% train accuracy or when the loss stalls"),
                (DoubleDescentStop.Stall, "only when the loss stalls"),
            ],
            ".",
            string.Join(
                ", ",
                Presets.Select(p =>
                    $"{p.word} {WordOf(DoubleDescentConfig.For(p.value).StopAtInterpolation ? DoubleDescentStop.Interpolation : DoubleDescentStop.Stall)}"
                )
            ),
            (c, v) => c with { StopAtInterpolation = v == DoubleDescentStop.Interpolation },
            "stop rule"
        ),
        OptionalInt<DoubleDescentConfig>(
            "patience",
            "Epochs without a 1e-4 improvement of the full-train loss before a run stops.",
            ByPreset(c => c.PatienceEpochs),
            (c, v) => c with { PatienceEpochs = v },
            min: 1
        ),
        Int<DoubleDescentConfig>(
            "probe-test",
            "Test rows tracked by the smoother (p_test); at most the test rows are tracked.",
            c => c.ProbeTest,
            (c, v) => c with { ProbeTest = v },
            D,
            min: 1
        ),
        Int<DoubleDescentConfig>(
            "test",
            "Test rows for loss/accuracy.",
            c => c.TestSize,
            (c, v) => c with { TestSize = v },
            D
        ),
        EnumChoice<DoubleDescentConfig, ActivationKind>(
            "activation",
            "Hidden nonlinearity: ",
            [
                (ActivationKind.Relu, "spec §4.2"),
                (
                    ActivationKind.Tanh,
                    "smooth, so telescoping errors are O(γ) and the gate can pass"
                ),
            ],
            ".",
            ByPresetWord(c => c.Activation),
            (c, v) => c with { Activation = v },
            ""
        ),
        Seeds<DoubleDescentConfig>(
            "seed",
            c => c.Seeds,
            (c, v) => c with { Seeds = v },
            D,
            "quick and full 0, valid 0,1"
        ),
        Word<DoubleDescentConfig>(
            "device",
            "cpu, cuda or cuda:N.",
            c => c.Device,
            (c, v) => c with { Device = v },
            D
        ),
        SmootherDType.Parameter<DoubleDescentConfig>(),
    ];

    /// <inheritdoc />
    protected override DoubleDescentConfig Start(IReadOnlyDictionary<string, string> values) =>
        DoubleDescentConfig.For(
            values.TryGetValue("preset", out var p)
                ? Presets.FirstOrDefault(x => x.word == p.Trim().ToLowerInvariant()).value
                : DoubleDescentPreset.Quick
        );

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(DoubleDescentConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(DoubleDescentConfig c, Action<string>? log) =>
        new(new DoubleDescentStudy(c, log), c.Seeds, c.Device);

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        DoubleDescentReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        DoubleDescentReport.PrintSummary(table, w);
}
