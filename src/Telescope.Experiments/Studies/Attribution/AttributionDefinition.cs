using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.Attribution;

/// <summary>The attribution ground-truth ladder (issue 27) as a catalog entry, with its two presets. CPU, float64.</summary>
public sealed class AttributionDefinition : StudyDefinition<AttributionConfig>
{
    private static string Text(IEnumerable<int> xs) => string.Join(",", xs);

    private static string ByPreset(Func<AttributionConfig, object> f) =>
        string.Join(
            ", ",
            Enum.GetValues<AttributionPreset>()
                .Select(p => $"{WordOf(p)} {string.Format(CultureInfo.InvariantCulture, "{0}", f(AttributionConfig.For(p)))}")
        );

    /// <inheritdoc />
    public override string Name => "attribution";

    /// <inheritdoc />
    public override string Summary =>
        $"Which training rows made a prediction, and how well can a score tell (issue 27): an MNIST MLP 784–128–64–10 (float64, batch 64, 3 epochs) under SGD, Adam and momentum; exact leave-one-out by replay (same θ_0 and batches, removed rows masked), the exact every-step attribution A, TracInCP (k = 1, 3, 10) and the gradient dot product, and the ladder: Pearson/Spearman vs LOO and LDS with 95% bootstrap intervals. {Option("preset")} default (1,000 rows, 20 test rows × 60 candidates, 40 LDS subsets, 2 seeds: declared smaller than the issue's protocol) or full (5,000 rows, 50 × 200, 100 subsets, 5 seeds). Figures: the ladder and score-vs-LOO scatter; .npy interchange of every table with a JSON index.";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<AttributionConfig>> Typed { get; } =
    [
        EnumChoice<AttributionConfig, AttributionPreset>(
            "preset",
            "",
            [(AttributionPreset.Default, "declared smaller than the issue's protocol"), (AttributionPreset.Full, "issue 27's protocol")],
            " (the other parameters override the preset's values).",
            WordOf(AttributionPreset.Default),
            (c, _) => c, // applied first, by Start
            "preset"
        ),
        OptionalInt<AttributionConfig>("train", "MNIST training rows n.", ByPreset(c => c.Train), (c, v) => c with { Train = v }, min: 2),
        OptionalInt<AttributionConfig>("test", "Test rows m (every one scored).", ByPreset(c => c.Test), (c, v) => c with { Test = v }, min: 1),
        OptionalInt<AttributionConfig>("candidates", "Candidate training rows c (rows 0..c−1): the LOO replays and the tables' columns.", ByPreset(c => c.Candidates), (c, v) => c with { Candidates = v }, min: 3),
        OptionalInt<AttributionConfig>("subsets", "LDS subsets (random halves of the candidates; one replay each).", ByPreset(c => c.Subsets), (c, v) => c with { Subsets = v }, min: 3),
        Words<AttributionConfig>("optimizer", "Optimisers: sgd, adam, momentum.", string.Join(",", new AttributionConfig().Optimizers), (c, v) => c with { Optimizers = v }),
        PositiveInts<AttributionConfig>("hidden", "Hidden widths.", Text(new AttributionConfig().Hidden), (c, v) => c with { Hidden = v }, "widths", grid: false),
        Int<AttributionConfig>("epochs", "Epochs.", c => c.Epochs, (c, v) => c with { Epochs = v }, new AttributionConfig(), min: 1),
        Int<AttributionConfig>("batch", "Batch size.", c => c.Batch, (c, v) => c with { Batch = v }, new AttributionConfig(), min: 1),
        Double<AttributionConfig>("sgd-lr", "Plain SGD's γ.", c => c.SgdRate, (c, v) => c with { SgdRate = v }, new AttributionConfig()),
        Double<AttributionConfig>("momentum-lr", "Heavy-ball γ (μ = 0.9).", c => c.MomentumRate, (c, v) => c with { MomentumRate = v }, new AttributionConfig()),
        Double<AttributionConfig>("adam-lr", "Adam's γ.", c => c.AdamRate, (c, v) => c with { AdamRate = v }, new AttributionConfig()),
        PositiveInts<AttributionConfig>("tracin", "TracInCP checkpoint counts k.", Text(new AttributionConfig().TracInCheckpoints), (c, v) => c with { TracInCheckpoints = v }, "checkpoint counts"),
        OptionalInt<AttributionConfig>("replay-checkpoint", "In-memory checkpoint interval of the recorded run (replays start from the last checkpoint before a removed row is first used).", ByPreset(c => c.CheckpointEvery), (c, v) => c with { CheckpointEvery = v }, min: 1),
        Int<AttributionConfig>("parallel-replays", "Replays at once (threads; results identical).", c => c.ParallelReplays, (c, v) => c with { ParallelReplays = v }, new AttributionConfig(), min: 1),
        Seeds<AttributionConfig>("seed", c => c.Seeds, (c, v) => c with { Seeds = v }, new AttributionConfig(), ByPreset(c => string.Join(",", c.Seeds))),
        Only<AttributionConfig>("device", "cpu only.", "cpu", ["cuda"], "attribution runs on the CPU only"),
    ];

    /// <inheritdoc />
    protected override AttributionConfig Start(IReadOnlyDictionary<string, string> values) =>
        AttributionConfig.For(
            values.TryGetValue("preset", out var p) && p.Trim().ToLowerInvariant() == WordOf(AttributionPreset.Full)
                ? AttributionPreset.Full
                : AttributionPreset.Default
        );

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(AttributionConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(AttributionConfig c, Action<string>? log) =>
        new(new AttributionStudy(c, log), c.Seeds, "cpu");

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        AttributionReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) => AttributionReport.PrintSummary(table, w);
}
