using Telescope.Data;
using Telescope.Models;
using Telescope.Smoothing;
using Telescope.Telescoping;

namespace Telescope.Experiments.Studies;

/// <summary>How the smoother studies (grokking, double-descent) run one network under the host.</summary>
internal static class SmootherRuns
{
    /// <summary>
    /// <see cref="SmootherTrajectory.Run"/> of <paramref name="net"/> on <paramref name="train"/>, tracking the first
    /// <paramref name="probeRows"/> rows of <paramref name="test"/> (p_test) and scoring all of them, into the host's
    /// sink, progress, cancellation and checkpoints; <paramref name="preamble"/> rows are written first.
    /// </summary>
    internal static TrajectoryResult Run(
        RunContext ctx,
        Network net,
        Dataset train,
        Dataset test,
        int probeRows,
        SmootherConfig cfg,
        IReadOnlyList<Observation>? preamble = null
    ) =>
        SmootherTrajectory.Run(
            net,
            train,
            test.Take(Enumerable.Range(0, probeRows).ToArray()),
            cfg,
            ctx.Sink,
            test,
            ctx.Progress,
            ctx.Cancel,
            ctx.Checkpoints,
            preamble
        );
}
