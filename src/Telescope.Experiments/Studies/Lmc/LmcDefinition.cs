using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>Linear mode connectivity and gradient stabilisation (paper Fig. 6; spec §4.5) as a catalog entry. CPU and float32 only.</summary>
internal sealed class LmcDefinition : StudyDefinition<LmcConfig>
{
    private static readonly LmcConfig D = new();

    /// <inheritdoc />
    public override string Name => "lmc";

    /// <inheritdoc />
    public override string Summary =>
        "Linear mode connectivity and gradient stabilisation of a small CNN with and without batch norm on Fashion-MNIST (paper Fig. 6; spec §4.5 CPU variant, scaled down).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<LmcConfig>> Typed { get; } =
    [
        Int<LmcConfig>(
            "steps",
            "Trunk steps T; γ ÷10 at T/2 and 3T/4 (the spec's 2000, scaled down).",
            c => c.Steps,
            (c, v) => c with { Steps = v },
            D
        ),
        Int<LmcConfig>("batch", "Batch size.", c => c.Batch, (c, v) => c with { Batch = v }, D),
        Double<LmcConfig>(
            "lr",
            "Initial learning rate γ.",
            c => c.LearningRate,
            (c, v) => c with { LearningRate = v },
            D
        ),
        Ints<LmcConfig>("spawns", "Spawn steps t′.", Text(D.Spawns), (c, v) =>
            c with
            {
                Spawns = v,
            }
        ),
        Int<LmcConfig>(
            "children",
            "Children per spawn (pairs compared).",
            c => c.Children,
            (c, v) => c with { Children = v },
            D
        ),
        Int<LmcConfig>(
            "alphas",
            "Equally spaced α in [0, 1].",
            c => c.Alphas,
            (c, v) => c with { Alphas = v },
            D
        ),
        Int<LmcConfig>(
            "eval-images",
            "Test images for the barrier.",
            c => c.EvalImages,
            (c, v) => c with { EvalImages = v },
            D
        ),
        Int<LmcConfig>(
            "gradient-images",
            "Test images for the gradient change.",
            c => c.GradientImages,
            (c, v) => c with { GradientImages = v },
            D
        ),
        Int<LmcConfig>(
            "gradient-lag",
            "k in ∇f_{t′+k} − ∇f_{t′}.",
            c => c.GradientLag,
            (c, v) => c with { GradientLag = v },
            D
        ),
        Ints<LmcConfig>(
            "gradient-steps",
            "Steps t′ for the gradient change.",
            Text(D.GradientSteps),
            (c, v) => c with { GradientSteps = v }
        ),
        Ints<LmcConfig>(
            "channels",
            "Conv channels c1,c2.",
            Text(D.Channels),
            (c, v) => c with { Channels = v },
            grid: false // a shape: c1,c2 may be equal
        ),
        Words<LmcConfig>("models", "cnn and/or cnn+bn.", string.Join(",", D.Models), (c, v) =>
            c with
            {
                Models = v,
            }
        ),
        Flag<LmcConfig>("no-augment", "Turn off random shifts and flips.", (c, v) =>
            c with
            {
                Augment = !v,
            }
        ),
        Parameter.Path<LmcConfig>(
            "data",
            "Directory of the Fashion-MNIST IDX files.",
            Telescope.Data.FashionMnist.DefaultText,
            (c, v) => c with { DataDirectory = v }
        ),
        Seeds<LmcConfig>("seed", c => c.Seeds, (c, v) => c with { Seeds = v }, D),
        Only<LmcConfig>(
            "device",
            "cpu only.",
            "cpu",
            ["cuda"],
            "the lmc study runs on the CPU only"
        ),
        Only<LmcConfig>(
            "dtype",
            "float32 only (the CNN runs in float32).",
            "float32",
            ["float64"],
            "the lmc study runs in float32"
        ),
    ];

    /// <inheritdoc />
    protected override LmcConfig Start(IReadOnlyDictionary<string, string> values) => D;

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(LmcConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(LmcConfig c, Action<string>? log) =>
        new(new LmcStudy(c, log), c.Seeds, "cpu");

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        LmcReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) => LmcReport.PrintSummary(table, w);
}
