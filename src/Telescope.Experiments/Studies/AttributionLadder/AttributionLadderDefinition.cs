using Telescope.Counterfactual;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.AttributionLadder;

/// <summary>The attribution ground-truth ladder (issue 27) as a catalog entry, with its two presets. CPU, float64.</summary>
internal sealed class AttributionLadderDefinition : StudyDefinition<AttributionLadderConfig>
{
    private static string Text(IEnumerable<int> xs) => string.Join(",", xs);

    // the default preset's value first (a face's default text starts with the value it uses), then the other presets'
    private static string ByPreset(Func<AttributionLadderConfig, object> f) =>
        string.Format(
            CultureInfo.InvariantCulture,
            "{0}",
            f(AttributionLadderConfig.For(AttributionLadderPreset.Default))
        )
        + string.Concat(
            Enum.GetValues<AttributionLadderPreset>()
                .Where(p => p != AttributionLadderPreset.Default)
                .Select(p =>
                    string.Format(
                        CultureInfo.InvariantCulture,
                        ", or {0} with {1} {2}",
                        f(AttributionLadderConfig.For(p)),
                        Option("preset"),
                        WordOf(p)
                    )
                )
        );

    // the curvatures of the influence function, as data (the words are the library's: ScoreProviders.InfluenceWord)
    private static readonly (InfluenceCurvature value, string note)[] InfluenceChoices =
    [
        (InfluenceCurvature.EKFac, "EK-FAC, closed form"),
        (InfluenceCurvature.GaussNewton, "the exact Gauss–Newton matrix, CG per test row"),
        (InfluenceCurvature.Hessian, "the exact Hessian, CG per test row; indefinite at θ_T"),
    ];

    /// <inheritdoc />
    public override string Name => "attribution-ladder";

    /// <summary>A preset in words, generated from its configuration.</summary>
    public static string PresetText(AttributionLadderPreset p)
    {
        var c = AttributionLadderConfig.For(p);
        long steps = (long)c.Epochs * ((c.Train + c.Batch - 1) / c.Batch);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{WordOf(p)} (MLP 784–{string.Join('–', c.Hidden)}–10 float64, n = {c.Train}, {c.Epochs} epochs of batch {c.Batch} = {steps} steps, {string.Join("/", c.Optimizers)}; exact LOO of {c.Candidates} candidates × {c.Test} test rows, {c.Subsets} LDS half-subsets, seeds {string.Join(",", c.Seeds)}{(p == AttributionLadderPreset.Default ? ": declared smaller than the issue's protocol" : ": issue 27's protocol")})"
        );
    }

    /// <inheritdoc />
    public override string Summary =>
        $"Which training rows made a prediction, and how well can a score tell (issue 27): an MNIST MLP 784–128–64–10 (float64, batch 64, 3 epochs) under SGD, Adam and momentum; exact leave-one-out by replay (same θ_0 and batches, removed rows masked), the exact every-step attribution A, TracInCP (k = 1, 3, 10), the gradient dot product, the linear response by exact Hessian–vector products (SGD, momentum) and the damped influence function (curvature {Option("influence")}: by default EK-FAC, Kronfluence's approximation of the Gauss–Newton matrix), and the ladder: Pearson/Spearman vs LOO and LDS with 95% bootstrap intervals. {Option("preset")} "
        + ListText(Enum.GetValues<AttributionLadderPreset>().Select(PresetText).ToList())
        + ". Figures: the ladder and score-vs-LOO scatter; .npy interchange of every table with a JSON index.";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<AttributionLadderConfig>> Typed { get; } =
    [
        EnumChoice<AttributionLadderConfig, AttributionLadderPreset>(
            "preset",
            "",
            [
                (AttributionLadderPreset.Default, "declared smaller than the issue's protocol"),
                (AttributionLadderPreset.Issue, "issue 27's protocol"),
            ],
            " (the other parameters override the preset's values).",
            WordOf(AttributionLadderPreset.Default),
            (c, _) => c, // applied first, by Start
            "preset"
        ),
        OptionalInt<AttributionLadderConfig>(
            "train",
            "MNIST training rows n.",
            ByPreset(c => c.Train),
            (c, v) => c with { Train = v },
            min: 2
        ),
        OptionalInt<AttributionLadderConfig>(
            "test",
            "Test rows m (every one scored).",
            ByPreset(c => c.Test),
            (c, v) => c with { Test = v },
            min: 1
        ),
        OptionalInt<AttributionLadderConfig>(
            "candidates",
            "Candidate training rows c (rows 0..c−1): the LOO replays and the tables' columns.",
            ByPreset(c => c.Candidates),
            (c, v) => c with { Candidates = v },
            min: 3
        ),
        OptionalInt<AttributionLadderConfig>(
            "subsets",
            "LDS subsets (random halves of the candidates; one replay each).",
            ByPreset(c => c.Subsets),
            (c, v) => c with { Subsets = v },
            min: 3
        ),
        Words<AttributionLadderConfig>(
            "optimizer",
            "Optimisers: sgd, adam, momentum.",
            string.Join(",", new AttributionLadderConfig().Optimizers),
            (c, v) => c with { Optimizers = v }
        ),
        PositiveInts<AttributionLadderConfig>(
            "hidden",
            "Hidden widths.",
            Text(new AttributionLadderConfig().Hidden),
            (c, v) => c with { Hidden = v },
            "widths",
            grid: false
        ),
        Int<AttributionLadderConfig>(
            "epochs",
            "Epochs.",
            c => c.Epochs,
            (c, v) => c with { Epochs = v },
            new AttributionLadderConfig(),
            min: 1
        ),
        Int<AttributionLadderConfig>(
            "batch",
            "Batch size.",
            c => c.Batch,
            (c, v) => c with { Batch = v },
            new AttributionLadderConfig(),
            min: 1
        ),
        Double<AttributionLadderConfig>(
            "sgd-lr",
            "Plain SGD's γ.",
            c => c.SgdRate,
            (c, v) => c with { SgdRate = v },
            new AttributionLadderConfig()
        ),
        Double<AttributionLadderConfig>(
            "momentum-lr",
            "Heavy-ball γ (μ = 0.9).",
            c => c.MomentumRate,
            (c, v) => c with { MomentumRate = v },
            new AttributionLadderConfig()
        ),
        Double<AttributionLadderConfig>(
            "adam-lr",
            "Adam's γ.",
            c => c.AdamRate,
            (c, v) => c with { AdamRate = v },
            new AttributionLadderConfig()
        ),
        PositiveInts<AttributionLadderConfig>(
            "tracin",
            "TracInCP checkpoint counts k.",
            Text(new AttributionLadderConfig().TracInCheckpoints),
            (c, v) => c with { TracInCheckpoints = v },
            "checkpoint counts"
        ),
        OptionalInt<AttributionLadderConfig>(
            "replay-checkpoint",
            "In-memory checkpoint interval of the recorded run (replays start from the last checkpoint before a removed row is first used).",
            ByPreset(c => c.CheckpointEvery),
            (c, v) => c with { CheckpointEvery = v },
            min: 1
        ),
        EnumChoice<AttributionLadderConfig, ReplayEngineChoice>(
            "replay-engine",
            "The engine of the LOO and LDS retrains: ",
            [
                (ReplayEngineChoice.Auto, "batched tensor programs for an MLP, else sequential"),
                (ReplayEngineChoice.Batched, ""),
                (
                    ReplayEngineChoice.Sequential,
                    "from checkpoints, " + Option("parallel-replays") + " at once"
                ),
            ],
            " (the same f_T to round-off; recorded in run.json).",
            WordOf(new AttributionLadderConfig().Engine),
            (c, v) => c with { Engine = v },
            "engine"
        ),
        Int<AttributionLadderConfig>(
            "parallel-replays",
            "Replays at once under the sequential engine (threads; results identical).",
            c => c.ParallelReplays,
            (c, v) => c with { ParallelReplays = v },
            new AttributionLadderConfig(),
            min: 1
        ),
        Choice<AttributionLadderConfig, InfluenceCurvature>(
            "influence",
            "The influence function's curvature C: "
                + ListText(
                    InfluenceChoices
                        .Select(x => $"{ScoreProviders.InfluenceWord(x.value)} ({x.note})")
                        .ToList()
                )
                + " (recorded in run.json).",
            ScoreProviders.InfluenceWord(new AttributionLadderConfig().Influence),
            InfluenceChoices.Select(x => (ScoreProviders.InfluenceWord(x.value), x.value)).ToList(),
            (c, v) => c with { Influence = v },
            "curvature"
        ),
        Seeds<AttributionLadderConfig>(
            "seed",
            c => c.Seeds,
            (c, v) => c with { Seeds = v },
            new AttributionLadderConfig(),
            ByPreset(c => string.Join(",", c.Seeds))
        ),
        Only<AttributionLadderConfig>(
            "device",
            "cpu only.",
            "cpu",
            ["cuda"],
            "attribution runs on the CPU only"
        ),
    ];

    /// <inheritdoc />
    protected override AttributionLadderConfig Start(IReadOnlyDictionary<string, string> values) =>
        AttributionLadderConfig.For(
            values.TryGetValue("preset", out var p)
            && p.Trim().ToLowerInvariant() == WordOf(AttributionLadderPreset.Issue)
                ? AttributionLadderPreset.Issue
                : AttributionLadderPreset.Default
        );

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(AttributionLadderConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(AttributionLadderConfig c, Action<string>? log) =>
        new(new AttributionLadderStudy(c, log), c.Seeds, "cpu");

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        AttributionLadderReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        AttributionLadderReport.PrintSummary(table, w);
}
