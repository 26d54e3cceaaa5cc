using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.GbtVsNn;

/// <summary>Gradient-boosted trees vs a neural network through their kernels (paper Fig. 5; spec §4.4) as a catalog entry. CPU only.</summary>
internal sealed class GbtVsNnDefinition : StudyDefinition<GbtVsNnConfig>
{
    private static readonly GbtVsNnConfig D = new();

    /// <inheritdoc />
    public override string Name => "gbt-vs-nn";

    /// <inheritdoc />
    public override string Summary =>
        "Gradient-boosted trees vs a neural network on irregular test inputs, through their kernels (paper Fig. 5; spec §4.4 CPU variant on a synthetic houses-like table, a labelled substitute).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<GbtVsNnConfig>> Typed { get; } =
    [
        Int<GbtVsNnConfig>(
            "rows",
            "Rows of the synthetic table.",
            c => c.Rows,
            (c, v) => c with { Rows = v },
            D
        ),
        Int<GbtVsNnConfig>(
            "train",
            "Training rows (regular; validation included).",
            c => c.Train,
            (c, v) => c with { Train = v },
            D
        ),
        Int<GbtVsNnConfig>(
            "validation",
            "Validation rows taken from train for model selection.",
            c => c.Validation,
            (c, v) => c with { Validation = v },
            D
        ),
        Int<GbtVsNnConfig>(
            "test-size",
            "Rows per test set.",
            c => c.TestSize,
            (c, v) => c with { TestSize = v },
            D
        ),
        Doubles<GbtVsNnConfig>(
            "shares",
            "Irregular shares p of the test sets (first must be 0).",
            Text(D.Shares),
            (c, v) => c with { Shares = v }
        ),
        Int<GbtVsNnConfig>(
            "epochs",
            "NN epochs (plain SGD).",
            c => c.Epochs,
            (c, v) => c with { Epochs = v },
            D
        ),
        Int<GbtVsNnConfig>(
            "batch",
            "NN batch size.",
            c => c.Batch,
            (c, v) => c with { Batch = v },
            D
        ),
        Doubles<GbtVsNnConfig>("lr", "NN learning-rate grid.", Text(D.LearningRates), (c, v) =>
            c with
            {
                LearningRates = v,
            }
        ),
        Int<GbtVsNnConfig>(
            "kernel-every",
            "Compute NN kernel norms every k-th step (a uniform subsample of steps; 1 = every step, as the spec asks).",
            c => c.KernelEvery,
            (c, v) => c with { KernelEvery = v },
            D
        ),
        Ints<GbtVsNnConfig>("depth", "GBT depth grid.", Text(D.Depths), (c, v) =>
            c with
            {
                Depths = v,
            }
        ),
        Doubles<GbtVsNnConfig>("eta", "GBT learning-rate grid.", Text(D.Etas), (c, v) =>
            c with
            {
                Etas = v,
            }
        ),
        Ints<GbtVsNnConfig>("trees", "GBT number-of-trees grid.", Text(D.TreeCounts), (c, v) =>
            c with
            {
                TreeCounts = v,
            }
        ),
        Seeds<GbtVsNnConfig>("seed", c => c.Seeds, (c, v) => c with { Seeds = v }, D),
        Only<GbtVsNnConfig>(
            "device",
            "cpu only (the trees and the kernel norms run on the CPU).",
            "cpu",
            ["cuda"],
            "gbt-vs-nn runs on the CPU only"
        ),
        Choice<GbtVsNnConfig, torch.ScalarType>(
            "dtype",
            "float64 (exactness) or float32.",
            "float64",
            [("float64", torch.ScalarType.Float64), ("float32", torch.ScalarType.Float32)],
            (c, v) => c with { DType = v }
        ),
    ];

    /// <inheritdoc />
    protected override GbtVsNnConfig Start(IReadOnlyDictionary<string, string> values) => D;

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(GbtVsNnConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(GbtVsNnConfig c, Action<string>? log) =>
        new(new GbtVsNnStudy(c), c.Seeds, "cpu");

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        GbtVsNnReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        GbtVsNnReport.PrintSummary(table, w);
}
