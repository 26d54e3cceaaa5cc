using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.Grokking;

/// <summary>The grokking study (paper Fig. 4, 11, 12; spec §4.3) as a catalog entry. float64 only.</summary>
internal sealed class GrokkingDefinition : StudyDefinition<GrokkingConfig>
{
    private static readonly GrokkingConfig D = new();
    private static readonly GrokkingConfig Poly = new() { Task = GrokkingTask.Polynomial };
    private static readonly GrokkingConfig Mnist = new() { Task = GrokkingTask.Mnist };

    private static string ByTask<T>(Func<GrokkingConfig, T> f, string extra = "")
        where T : IFormattable => $"{Text([f(Poly)])} polynomial{extra}, {Text([f(Mnist)])} mnist";

    /// <inheritdoc />
    public override string Name => "grokking";

    /// <inheritdoc />
    public override string Summary =>
        $"Grokking and effective parameters (paper Fig. 4; spec §4.3): train/test loss and p_train, p_test of the smoother over log-spaced steps. {Option("task")} polynomial (Kumar et al.'s exact model, full-batch GD γ = 500, A3 smoother) or mnist (M35-tiny with large initialisation α, AdamW, A2 smoother).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<GrokkingConfig>> Typed { get; } =
    [
        EnumChoice<GrokkingConfig, GrokkingTask>(
            "task",
            "",
            [(GrokkingTask.Polynomial, ""), (GrokkingTask.Mnist, "")],
            ".",
            WordOf(D.Task),
            (c, v) => c with { Task = v },
            "task"
        ),
        Doubles<GrokkingConfig>(
            "epsilon",
            "ε of φ(h) = h + (ε/2)h² (polynomial), e.g. 0.05,0.2,0.5 (Fig. 11).",
            Text(D.Epsilons),
            (c, v) => c with { Epsilons = v }
        ),
        Doubles<GrokkingConfig>(
            "alpha",
            "Initialisation scale α (mnist), e.g. 5,6,7 (Fig. 12); 1 = standard (panel 3).",
            Text(D.Alphas),
            (c, v) => c with { Alphas = v }
        ),
        OptionalInt<GrokkingConfig>(
            "steps",
            "Steps T.",
            ByTask(c => c.T, " (the spec's CPU variant is 4000)"),
            (c, v) => c with { Steps = v },
            min: 1
        ),
        OptionalDouble<GrokkingConfig>("lr", "γ.", ByTask(c => c.Lr), (c, v) =>
            c with
            {
                LearningRate = v,
            }
        ),
        Double<GrokkingConfig>(
            "weight-decay",
            "AdamW λ (mnist; 3× the paper's, as in the spec's CPU variant).",
            c => c.WeightDecay,
            (c, v) => c with { WeightDecay = v },
            D
        ),
        Int<GrokkingConfig>(
            "dim",
            "Input dimension d (polynomial; the spec warns against shrinking it).",
            c => c.Dim,
            (c, v) => c with { Dim = v },
            D
        ),
        Int<GrokkingConfig>(
            "units",
            "Units n_h (polynomial).",
            c => c.Units,
            (c, v) => c with { Units = v },
            D
        ),
        OptionalInt<GrokkingConfig>(
            "train",
            "Training rows, all tracked.",
            ByTask(c => c.N),
            (c, v) => c with { TrainSize = v }
        ),
        OptionalInt<GrokkingConfig>(
            "test",
            "Test rows for loss/accuracy.",
            ByTask(c => c.M),
            (c, v) => c with { TestSize = v }
        ),
        OptionalInt<GrokkingConfig>(
            "probe-test",
            "Test rows tracked by the smoother.",
            $"{Text([Poly.MProbe])} polynomial, all mnist",
            (c, v) => c with { ProbeTest = v }
        ),
        Int<GrokkingConfig>(
            "record-every",
            "Write every k-th step (0: log grid).",
            c => c.RecordEvery,
            (c, v) => c with { RecordEvery = v },
            D
        ),
        Seeds<GrokkingConfig>("seed", c => c.Seeds, (c, v) => c with { Seeds = v }, D),
        Word<GrokkingConfig>(
            "device",
            "cpu, cuda or cuda:N.",
            c => c.Device,
            (c, v) => c with { Device = v },
            D
        ),
        SmootherDType.Parameter<GrokkingConfig>(),
    ];

    /// <inheritdoc />
    protected override GrokkingConfig Start(IReadOnlyDictionary<string, string> values) => D;

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(GrokkingConfig c) => c.Problems();

    /// <inheritdoc />
    protected override StudyPlan Build(GrokkingConfig c, Action<string>? log) =>
        new(new GrokkingStudy(c, log), c.Seeds, c.Device);

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        GrokkingReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        GrokkingReport.PrintSummary(table, w);
}
