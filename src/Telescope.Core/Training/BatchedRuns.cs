using System.Text.Json.Nodes;
using Telescope.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Training;

/// <summary>
/// One run of a <see cref="BatchedPlan"/>: its initialisation seed (the network's, <see cref="ModelSpec.Build"/>), its
/// data-order seed (the <see cref="BatchSampler"/>'s), its optimiser and schedule, and the training rows it leaves out.
/// </summary>
/// <param name="InitSeed">Seed of θ₀ (the same θ₀ as <c>ModelSpec.Build(…, InitSeed, …)</c>).</param>
/// <param name="DataSeed">Seed of the mini-batch order (the same batches as <c>new BatchSampler(n, b, DataSeed)</c>).</param>
/// <param name="Optimizer">Optimiser and its hyper-parameters.</param>
public sealed record BatchedRun(long InitSeed, long DataSeed, OptimizerSpec Optimizer)
{
    /// <summary>The learning-rate schedule over the optimiser's rate (null: constant).</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>
    /// Training rows masked out (null: none). The batches are still drawn over all n rows; a removed row in a batch
    /// is dropped, so the step's loss is the mean over the batch's kept rows (a counterfactual replay: same θ₀, same
    /// sampled batches). A batch whose rows are all removed gives a zero gradient; the optimiser still steps.
    /// </summary>
    public int[]? Removed { get; init; }
}

/// <summary>
/// Many small runs of one MLP architecture on one training set, trained together: runs are grouped by optimiser
/// kind (a group shares its update's formula), each group cut into chunks of at most <see cref="GroupSize"/> runs,
/// and each chunk trained as one batched tensor program (<see cref="StackedMlp"/>, <see cref="StackedOptimizer"/>).
/// Every run is the same run trained alone (<see cref="BatchedRuns.TrainAlone"/>) to round-off.
/// </summary>
/// <param name="Model">The architecture (an MLP without batch norm), built per run from its <see cref="BatchedRun.InitSeed"/>.</param>
/// <param name="Steps">T, optimiser steps per run.</param>
/// <param name="BatchSize">b (≥ n: full batch), shared by all runs.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="Runs">The runs.</param>
/// <param name="GroupSize">Most runs per tensor program (0: no limit). Smaller groups keep the optimiser's state in cache; larger ones amortise per-operation overhead.</param>
/// <param name="DType">float64 or float32.</param>
public sealed record BatchedPlan(
    ModelSpec Model,
    int Steps,
    int BatchSize,
    LossKind Loss,
    IReadOnlyList<BatchedRun> Runs,
    int GroupSize = BatchedPlan.DefaultGroupSize,
    ScalarType DType = ScalarType.Float64
)
{
    /// <summary>The default <see cref="GroupSize"/>.</summary>
    public const int DefaultGroupSize = 16;

    /// <summary>The most runs one plan may hold.</summary>
    public const int MaxRuns = 100_000;

    /// <summary>Every problem of the plan for <paramref name="train"/> (empty when valid).</summary>
    public IEnumerable<string> Problems(Dataset train)
    {
        if (Model.Kind != ModelKind.Mlp || Model.BatchNorm is not null)
            yield return "batched runs need an MLP without batch norm";
        if (Steps < 0)
            yield return $"steps must be ≥ 0, got {Steps}";
        if (BatchSize < 1)
            yield return $"batch size must be ≥ 1, got {BatchSize}";
        if (Runs.Count < 1 || Runs.Count > MaxRuns)
            yield return $"a plan needs 1 to {MaxRuns} runs, got {Runs.Count}";
        if (GroupSize < 0)
            yield return $"group size must be ≥ 0, got {GroupSize}";
        if (DType is not (ScalarType.Float64 or ScalarType.Float32))
            yield return $"dtype must be float64 or float32, got {DType}";
        for (int r = 0; r < Runs.Count; r++)
        {
            foreach (var p in Runs[r].Optimizer.Problems())
                yield return $"run {r}: {p}";
            if (Runs[r].Removed is { } rm && rm.Any(i => i < 0 || i >= train.Count))
                yield return $"run {r}: a removed row is outside 0..{train.Count - 1}";
        }
    }

    /// <summary>
    /// The tensor programs: run indices grouped by optimiser kind (in order of first appearance, runs in plan order
    /// within a kind), each group cut into chunks of at most <see cref="GroupSize"/>.
    /// </summary>
    public IReadOnlyList<int[]> Groups()
    {
        var chunks = new List<int[]>();
        foreach (var kind in Runs.Select(r => r.Optimizer.Kind).Distinct())
        {
            var members = Enumerable.Range(0, Runs.Count).Where(r => Runs[r].Optimizer.Kind == kind).ToArray();
            int size = GroupSize == 0 ? members.Length : GroupSize;
            chunks.AddRange(members.Chunk(size));
        }
        return chunks;
    }

    /// <summary>The plan as recorded in run.json: everything that decides its numbers and its grouping.</summary>
    public JsonObject Describe() =>
        new()
        {
            ["model"] = Model.Kind.ToString(),
            ["hidden"] = new JsonArray(Model.Widths.Select(w => (JsonNode)w).ToArray()),
            ["activation"] = Model.Activation.ToString(),
            ["bias"] = Model.Bias,
            ["alpha"] = Model.Alpha,
            ["output_sigmoid"] = Model.OutputSigmoid,
            ["steps"] = Steps,
            ["batch_size"] = BatchSize,
            ["loss"] = Loss.ToString(),
            ["dtype"] = DType.ToString(),
            ["runs"] = Runs.Count,
            ["group_size"] = GroupSize,
            ["groups"] = new JsonArray(
                Groups().Select(g => (JsonNode)new JsonArray(g.Select(i => (JsonNode)i).ToArray())).ToArray()
            ),
            ["run_list"] = new JsonArray(
                Runs.Select(r =>
                        (JsonNode)
                            new JsonObject
                            {
                                ["init_seed"] = r.InitSeed,
                                ["data_seed"] = r.DataSeed,
                                ["optimizer"] = r.Optimizer.ToString(),
                                ["schedule"] = r.Schedule?.Name ?? "constant",
                                ["removed"] = r.Removed is null
                                    ? null
                                    : new JsonArray(r.Removed.Select(i => (JsonNode)i).ToArray()),
                            }
                    )
                    .ToArray()
            ),
        };

    /// <summary>
    /// Null when a run recorded with plan <paramref name="recorded"/> (from <see cref="Describe"/>) may resume under this
    /// plan; else the one-line reason it may not.
    /// </summary>
    public string? ResumeConflict(JsonNode? recorded)
    {
        if (recorded is null)
            return "the recorded run has no batched plan";
        var mine = Describe();
        foreach (var (key, value) in mine)
            if (!JsonNode.DeepEquals(value, recorded[key]))
                return $"the batched plan differs from the recorded one in '{key}'";
        return null;
    }
}

/// <summary>A finished run: its final parameters (in its network's order and shapes; null when it failed) and its batch losses.</summary>
/// <param name="Run">Index in the plan.</param>
/// <param name="Parameters">θ_T shaped like <see cref="Network.Parameters"/> (the caller disposes them), or null after a failure.</param>
/// <param name="Losses">The batch loss of step t at index t − 1 (before the update), NaN after a failure or for a batch with no kept row.</param>
/// <param name="Failure">Null, or why the run stopped (a non-finite batch loss).</param>
/// <param name="FailedAt">The step of the failure.</param>
public sealed record BatchedRunResult(
    int Run,
    Tensor[]? Parameters,
    double[] Losses,
    string? Failure,
    long? FailedAt
) : IDisposable
{
    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in Parameters ?? [])
            p.Dispose();
    }
}

/// <summary>
/// What a step hook sees: the step t, the runs of the group (plan indices, in stack order), the group's model at θ_t,
/// each run's batch loss and, when asked for, the stacked θ_{t−1} (<see cref="Previous"/>). The telescoped increment
/// of every run on probe rows X is then <c>Model.Tangent(X, Previous, θ_t − θ_{t−1})</c> and f_t is
/// <c>Model.Forward(X)</c> (both <c>[R, N, k]</c>); tensors made in the hook live until the end of the step.
/// </summary>
public readonly record struct BatchedStep(
    long Step,
    IReadOnlyList<int> Runs,
    StackedMlp Model,
    double[] Losses,
    IReadOnlyList<Tensor>? Previous
);

/// <summary>
/// Train the runs of a <see cref="BatchedPlan"/> together (<see cref="Train"/>) or one at a time by the library's
/// single-run path (<see cref="TrainAlone"/>: <see cref="TrainingLoop"/>, <see cref="Optimizer"/>, autograd). Per
/// step t of a group of R runs: each run's rows <c>B_t^r</c> from its own <see cref="BatchSampler"/>; the stacked
/// inputs <c>[R, b, d]</c>; the forward pass; each run's batch loss <c>L_r = Σ_{i∈B_t^r} w_{ri} ℓ_i / Σ_i w_{ri}</c>
/// (w = 1, or 0 for a removed row) and <c>∂L_r/∂f</c>; the gradients by <see cref="StackedMlp"/>'s backward pass;
/// the optimiser's step. A non-finite loss stops its run (its result carries the failure) and no other.
/// </summary>
public static class BatchedRuns
{
    /// <summary>Check a plan against its data; throws <see cref="ArgumentException"/> naming every problem.</summary>
    public static void Validate(BatchedPlan plan, Dataset train)
    {
        var problems = plan.Problems(train).ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
    }

    /// <summary>
    /// Train every run of <paramref name="plan"/> on <paramref name="train"/> in batched groups; results in plan order.
    /// <paramref name="afterStep"/> sees each group after each step (θ_t); a hook that reads outputs uses
    /// <see cref="StackedMlp.Forward"/>, and with <paramref name="keepPrevious"/> it also gets θ_{t−1} for the
    /// telescoped increment (<see cref="StackedMlp.Tangent"/>).
    /// </summary>
    public static BatchedRunResult[] Train(
        BatchedPlan plan,
        Dataset train,
        Action<BatchedStep>? afterStep = null,
        bool keepPrevious = false,
        CancellationToken cancel = default
    )
    {
        Validate(plan, train);
        var results = new BatchedRunResult[plan.Runs.Count];
        using var lifetimes = torch.NewDisposeScope();
        var data = TrainingData.Of(train, plan.DType);
        foreach (var group in plan.Groups())
            foreach (var r in TrainGroup(plan, group, data, afterStep, keepPrevious, cancel))
                results[r.Run] = r;
        return results;
    }

    private sealed record TrainingData(Tensor X, Tensor Y, Tensor L, int N, int D, int K)
    {
        public static TrainingData Of(Dataset train, ScalarType dt)
        {
            int n = train.Count,
                d = train.Features;
            var x = train.Inputs(dt, CPU).reshape(n, d);
            var y = train.Targets(dt, CPU);
            return new(x, y, train.LabelTensor(CPU), n, d, (int)y.shape[1]);
        }
    }

    private static BatchedRunResult[] TrainGroup(
        BatchedPlan plan,
        int[] group,
        TrainingData data,
        Action<BatchedStep>? afterStep,
        bool keepPrevious,
        CancellationToken cancel
    )
    {
        using var scope = torch.NewDisposeScope();
        int g = group.Length;
        var runs = group.Select(i => plan.Runs[i]).ToArray();
        StackedMlp model;
        {
            var nets = runs.Select(r =>
                    plan.Model.Build([data.D], data.K, r.InitSeed, plan.DType, CPU)
                )
                .ToArray();
            try
            {
                model = new StackedMlp(nets);
            }
            finally
            {
                foreach (var n in nets)
                    n.Dispose();
            }
        }
        using var _model = model;
        using var opt = new StackedOptimizer(
            runs.Select(r => r.Optimizer).ToArray(),
            runs.Select(r => r.Schedule).ToArray(),
            model.Parameters.Count,
            3
        );
        var samplers = runs.Select(r => new BatchSampler(data.N, plan.BatchSize, r.DataSeed)).ToArray();
        var keep = runs.Select(r => r.Removed is null ? null : Keep(data.N, r.Removed)).ToArray();
        bool masked = keep.Any(k => k is not null);
        bool shared = g > 1 && runs.All(r => r.DataSeed == runs[0].DataSeed);
        var losses = runs.Select(_ => Enumerable.Repeat(double.NaN, plan.Steps).ToArray()).ToArray();
        var failure = new string?[g];
        var failedAt = new long?[g];
        var kindLoss = plan.Loss;
        for (long t = 1; t <= plan.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var step = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var rows = samplers.Select(s => s.Next()).ToArray();
            int b = rows[0].Length;
            Tensor xb,
                yb,
                lb;
            if (shared)
            {
                // one data order: the rows are the same for every run, the first layer one wide GEMM
                var index = HostArrays.Indices(rows[0], CPU);
                xb = data.X.index_select(0, index);
                yb = data.Y.index_select(0, index).unsqueeze(0).expand(g, -1, -1);
                lb = data.L.index_select(0, index).unsqueeze(0).expand(g, -1);
            }
            else
            {
                var idx = new long[g * b];
                for (int r = 0; r < g; r++)
                for (int i = 0; i < b; i++)
                    idx[r * b + i] = rows[r][i];
                var index = HostArrays.ToTensor(idx, CPU);
                xb = data.X.index_select(0, index).view(g, b, data.D);
                yb = data.Y.index_select(0, index).view(g, b, data.K);
                lb = data.L.index_select(0, index).view(g, b);
            }
            Tensor? wb = null;
            if (masked)
            {
                var w = new double[g * b];
                for (int r = 0; r < g; r++)
                for (int i = 0; i < b; i++)
                    w[r * b + i] = keep[r] is { } k && !k[rows[r][i]] ? 0 : 1;
                wb = HostArrays.ToTensor(w, [g, b], plan.DType);
            }
            var (f, inputs) = model.Run(xb, keep: true);
            var (loss, rho) = LossAndGradient(kindLoss, f, yb, lb, wb);
            var values = ReadDoubles(loss);
            for (int r = 0; r < g; r++)
            {
                if (failure[r] is not null)
                    continue;
                bool empty = keep[r] is { } kr && !rows[r].Any(i => kr[i]);
                if (!empty && !double.IsFinite(values[r]))
                {
                    failure[r] = $"training loss is {values[r]} at step {t}";
                    failedAt[r] = t;
                    continue;
                }
                losses[r][t - 1] = empty ? double.NaN : values[r];
            }
            var grads = model.Gradients(inputs, rho);
            var previous = afterStep is not null && keepPrevious ? model.Snapshot() : null;
            opt.Apply(model.Parameters, grads);
            afterStep?.Invoke(new BatchedStep(t, group, model, values, previous));
        }
        var results = new BatchedRunResult[g];
        for (int r = 0; r < g; r++)
            results[r] = new BatchedRunResult(
                group[r],
                failure[r] is null ? model.Unstack(r) : null,
                losses[r],
                failure[r],
                failedAt[r]
            );
        return results;
    }

    private static bool[] Keep(int n, int[] removed)
    {
        var k = Enumerable.Repeat(true, n).ToArray();
        foreach (var i in removed)
            k[i] = false;
        return k;
    }

    private static double[] ReadDoubles(Tensor t) =>
        t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    /// <summary>
    /// Each run's batch loss <c>[R]</c> and <c>∂L_r/∂f_r</c> <c>[R, b, k]</c> for outputs <paramref name="f"/> <c>[R, b, k]</c>:
    /// the per-row loss and output gradient of <see cref="Loss.Compute"/> and <see cref="Loss.OutputGradient"/>, averaged
    /// over the batch (<c>1/b</c>) or over its kept rows (weights <paramref name="w"/> <c>[R, b]</c>).
    /// </summary>
    internal static (Tensor loss, Tensor rho) LossAndGradient(
        LossKind kind,
        Tensor f,
        Tensor y,
        Tensor labels,
        Tensor? w
    )
    {
        Tensor perRow,
            rho;
        long b = f.shape[1];
        switch (kind)
        {
            case LossKind.Squared:
            {
                var diff = f.Minus(y);
                perRow = diff.Squared().sum(2);
                rho = diff;
                break;
            }
            case LossKind.CrossEntropy when f.shape[2] == 1:
                perRow = nn.functional.binary_cross_entropy_with_logits(
                    f.squeeze(2),
                    y.squeeze(2),
                    reduction: nn.Reduction.None
                );
                rho = f.sigmoid().Minus(y);
                break;
            default:
            {
                var logp = f.log_softmax(2);
                perRow = logp.gather(2, labels.unsqueeze(2)).squeeze(2).neg();
                rho = logp.exp().Minus(nn.functional.one_hot(labels, f.shape[2]).to(f.dtype));
                break;
            }
        }
        Tensor loss;
        if (w is null)
        {
            loss = perRow.mean([1]);
            rho = rho.DivideInPlace(b);
        }
        else
        {
            var count = w.sum(1).clamp_min(OneScalar);
            loss = perRow.mul(w).sum(1).div(count);
            rho = rho.mul_(w.div(count.unsqueeze(1)).unsqueeze(2));
        }
        if (kind == LossKind.Squared)
            loss = loss.Times(0.5);
        return (loss, rho);
    }

    private static readonly Scalar OneScalar = 1.0.ToScalar();

    /// <summary>
    /// Run <paramref name="run"/> of <paramref name="plan"/> trained alone by the library's single-run path: its network
    /// built by <see cref="ModelSpec.Build"/> from its init seed, its <see cref="BatchSampler"/>, the engine's
    /// <see cref="TrainingLoop"/> with <see cref="Optimizer"/> and <see cref="Training.Loss.Compute"/> on the batch's kept
    /// rows (as <see cref="Telescoping.Trajectory"/> trains). The reference <see cref="Train"/> is equal to.
    /// </summary>
    public static BatchedRunResult TrainAlone(BatchedPlan plan, int run, Dataset train)
    {
        Validate(plan, train);
        using var scope = torch.NewDisposeScope();
        var spec = plan.Runs[run];
        var dt = plan.DType;
        using var net = plan.Model.Build([train.Features], train.Outputs, spec.InitSeed, dt, CPU);
        var x = train.Inputs(dt, CPU).reshape(train.Count, train.Features);
        var y = train.Targets(dt, CPU);
        var l = train.LabelTensor(CPU);
        var keep = spec.Removed is null ? null : Keep(train.Count, spec.Removed);
        using var opt = new Optimizer(spec.Optimizer, net.Parameters.Count, spec.Schedule);
        var sampler = new BatchSampler(train.Count, plan.BatchSize, spec.DataSeed);
        var losses = Enumerable.Repeat(double.NaN, plan.Steps).ToArray();
        var loop = new TrainingLoop(
            new TrainableNetwork(net),
            opt,
            sampler,
            rows =>
            {
                var kept = keep is null ? rows : rows.Where(i => keep[i]).ToArray();
                var idx = HostArrays.Indices(kept, CPU);
                return new TrainingBatch(
                    x.index_select(0, idx),
                    fb => Loss.Compute(plan.Loss, fb, y.index_select(0, idx), l.index_select(0, idx))
                );
            }
        )
        {
            AfterStep = s =>
            {
                losses[s.Step - 1] = s.Loss;
                return null;
            },
        };
        var outcome = loop.Run(1, plan.Steps);
        Tensor[]? theta = null;
        if (outcome.Succeeded)
        {
            theta = net.Snapshot();
            foreach (var p in theta)
                p.DetachFromDisposeScope();
        }
        return new BatchedRunResult(run, theta, losses, outcome.Failure, outcome.FailedAt);
    }
}
