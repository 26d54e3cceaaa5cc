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
