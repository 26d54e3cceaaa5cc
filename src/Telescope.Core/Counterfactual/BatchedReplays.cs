using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// Replays trained together as batched tensor programs (<see cref="BatchedRuns.Train"/>): every replay of a recorded
/// run is one <see cref="BatchedRun"/> with the run's seed as both initialisation and data-order seed (so all share one
/// data order: the first layer is one wide GEMM) and its removed rows as <see cref="BatchedRun.Removed"/> — the mask
/// semantics of <see cref="ReplayableRun"/> (same θ_0 and batches, batch mean over the kept rows, an empty batch gives
/// G = 0 and the optimiser still steps). Every replay starts from θ_0 (no checkpoints). The same f_T as
/// <see cref="SequentialReplays"/> to round-off (tested at 1e-12 relative). MLPs without batch norm only.
/// </summary>
/// <param name="GroupSize">Most replays per tensor program (<see cref="BatchedPlan.GroupSize"/>; 0: all at once).</param>
public sealed record BatchedReplays(int GroupSize = BatchedPlan.DefaultGroupSize) : IReplayEngine
{
    /// <summary>The batched plan of <paramref name="removals"/> for <paramref name="run"/>.</summary>
    public BatchedPlan Plan(ReplayableRun run, IReadOnlyList<IReadOnlySet<int>> removals)
    {
        var s = run.Setup;
        return new BatchedPlan(
            s.Model,
            checked((int)s.Steps),
            s.Batch,
            s.Loss,
            removals
                .Select(r => new BatchedRun(s.Seed, s.Seed, s.Optimizer)
                {
                    Removed = r.Count == 0 ? null : r.Order().ToArray(),
                })
                .ToArray(),
            GroupSize,
            s.DType
        );
    }

    /// <inheritdoc />
    public double[][] Run(
        ReplayableRun run,
        IReadOnlyList<IReadOnlySet<int>> removals,
        Action<int>? progress = null,
        CancellationToken cancel = default
    )
    {
        var result = new double[removals.Count][];
        if (removals.Count == 0)
            return result;
        var plan = Plan(run, removals);
        var problems = plan.Problems(run.Setup.Train).ToList();
        if (problems.Count > 0)
            throw new ArgumentException("batched replays: " + string.Join("; ", problems));
        using var scope = torch.NewDisposeScope();
        var trained = BatchedRuns.Train(plan, run.Setup.Train, cancel: cancel);
        using var probe = new ReplayableRun.Trainer(run.Setup);
        for (int j = 0; j < trained.Length; j++)
        {
            using var r = trained[j];
            if (r.Parameters is null)
                throw new InvalidOperationException(
                    $"replay {j} without [{string.Join(",", removals[j].Order())}] failed at step {r.FailedAt}: {r.Failure}"
                );
            probe.Net.Load(r.Parameters);
            result[j] = probe.Probe();
            progress?.Invoke(j + 1);
        }
        return result;
    }
}

/// <summary>Which replay engine a study uses: <see cref="Auto"/> picks the batched one where it applies.</summary>
public enum ReplayEngineChoice
{
    /// <summary><see cref="BatchedReplays"/> when <see cref="ReplayEngines.BatchedApplies(Models.ModelSpec, Optim.OptimizerSpec, ScalarType)"/>, else <see cref="SequentialReplays"/>.</summary>
    Auto,

    /// <summary>Always <see cref="BatchedReplays"/> (refused where it does not apply).</summary>
    Batched,

    /// <summary>Always <see cref="SequentialReplays"/>.</summary>
    Sequential,
}

/// <summary>The replay engine the library picks for a recorded run: declared once here, used by every face.</summary>
public static class ReplayEngines
{
    private static readonly Data.Dataset NoRows = new("none", "none", [1], [0.0], [0], 1);

    /// <summary>
    /// Whether <see cref="BatchedReplays"/> can replay runs of this model, optimiser and dtype: an MLP without batch
    /// norm, float64 or float32, an optimiser the batched engine accepts (<see cref="BatchedPlan.Problems"/> of a
    /// one-run plan without removed rows).
    /// </summary>
    public static bool BatchedApplies(
        Models.ModelSpec model,
        Optim.OptimizerSpec optimizer,
        ScalarType dtype
    ) =>
        !new BatchedPlan(
            model,
            1,
            1,
            LossKind.CrossEntropy,
            [new BatchedRun(0, 0, optimizer)],
            BatchedPlan.DefaultGroupSize,
            dtype
        )
            .Problems(NoRows) // no removed rows: the dataset is not read
            .Any();

    /// <summary>
    /// The engine for <paramref name="s"/>: under <see cref="ReplayEngineChoice.Auto"/> <see cref="BatchedReplays"/>
    /// (default group size) when <see cref="BatchedApplies"/>, else <see cref="SequentialReplays"/> with
    /// <paramref name="parallel"/> at once (the same f_T to round-off either way).
    /// </summary>
    public static IReplayEngine For(
        ReplaySetup s,
        ReplayEngineChoice choice = ReplayEngineChoice.Auto,
        int parallel = 1
    ) => For(s.Model, s.Optimizer, s.DType, choice, parallel);

    /// <summary>See <see cref="For(ReplaySetup, ReplayEngineChoice, int)"/>.</summary>
    public static IReplayEngine For(
        Models.ModelSpec model,
        Optim.OptimizerSpec optimizer,
        ScalarType dtype,
        ReplayEngineChoice choice = ReplayEngineChoice.Auto,
        int parallel = 1
    )
    {
        bool batched = BatchedApplies(model, optimizer, dtype);
        if (choice == ReplayEngineChoice.Batched && !batched)
            throw new ArgumentException(
                "batched replays need an MLP without batch norm, float64/float32 and an optimiser the batched engine accepts"
            );
        return choice == ReplayEngineChoice.Sequential || !batched
            ? new SequentialReplays(parallel)
            : new BatchedReplays();
    }

    /// <summary>An engine in words, as run.json records it.</summary>
    public static string Describe(IReplayEngine e) =>
        e switch
        {
            BatchedReplays b => FormattableString.Invariant(
                $"batched (BatchedRuns, group size {b.GroupSize}, every replay from θ_0)"
            ),
            SequentialReplays q => FormattableString.Invariant(
                $"sequential ({q.Parallel} at once, each from the last checkpoint before its first removed row)"
            ),
            _ => e.GetType().Name,
        };
}
