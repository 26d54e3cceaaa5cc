using Telescope.Experiments.Parameters;
using Telescope.Models;
using Telescope.Studies;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies;

/// <summary>The double-descent study (paper Fig. 3/9; spec §4.2 CPU variant) as a catalog entry, with its presets. float64 only.</summary>
public sealed class DoubleDescentDefinition : StudyDefinition<DoubleDescentConfig>
{
    private static readonly (string word, DoubleDescentPreset value)[] Presets =
    [
        ("quick", DoubleDescentPreset.Quick),
        ("full", DoubleDescentPreset.Full),
        ("valid", DoubleDescentPreset.Valid),
    ];

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
        "Double descent and effective parameters (paper Fig. 3/9; spec §4.2 CPU variant): M35 with 20% training label noise, one hidden layer of width h, plain SGD (A3 smoother); final train/test loss and p_train, p_test against h, with the validity gate and a verdict. --preset quick (ReLU, n = 200, γ = 0.05, ≤ 12k steps: shows the shapes but fails the gate), full (tanh, n = 200, γ = 0.0125, ≤ 48k steps: passes the gate but does not interpolate) or valid (tanh, n = 100, γ = 0.025, ≤ 48k steps, widths 2–256, 2 seeds: interpolates and passes the gate; see DoubleDescentPreset for measured times).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<DoubleDescentConfig>> Typed { get; } =
    [
        Choice<DoubleDescentConfig, DoubleDescentPreset>(
            "preset",
            "quick, full or valid (the other parameters override the preset's values).",
            "quick",
            Presets,
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
            "test",
            "Test rows for loss/accuracy.",
            c => c.TestSize,
            (c, v) => c with { TestSize = v },
            D
        ),
        Choice<DoubleDescentConfig, ActivationKind>(
            "activation",
            "Hidden nonlinearity: relu (spec §4.2) or tanh (smooth, so telescoping errors are O(γ) and the gate can pass).",
            "quick relu, full and valid tanh",
            [("relu", ActivationKind.Relu), ("tanh", ActivationKind.Tanh)],
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
        KernelReports.Figures(Name, table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        KernelReports.PrintDoubleDescent(table, w);
}
