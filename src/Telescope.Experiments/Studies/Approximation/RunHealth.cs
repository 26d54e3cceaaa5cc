using Telescope.Data;

namespace Telescope.Experiments.Studies.Approximation;

/// <summary>
/// Whether a finished run is one whose errors may be read and averaged: a run that did not learn (its network is no
/// better than predicting the majority class, or its training loss never fell below its start) or that diverged
/// says nothing about how well f̃ tracks a trained network, and summaries, tables and figures flag it instead of
/// averaging it in. Declared once here; the approximation study writes the verdicts into its table
/// (<see cref="DidNotLearnQuantity"/>, <see cref="DivergedQuantity"/>, <see cref="TelescopedDivergedQuantity"/>:
/// 1 = flagged, at the run's last step) and every report reads them from there.
/// </summary>
/// <param name="DidNotLearn">Final test accuracy ≤ constant-predictor accuracy + <see cref="Margin"/>, or final
/// training loss ≥ its value at step 0.</param>
/// <param name="Diverged">The network's final training loss is not finite or exceeds <see cref="DivergenceFactor"/>
/// × its value at step 0, or the run failed (a non-finite loss stopped it).</param>
/// <param name="TelescopedDiverged">The telescoped model left the outputs' scale: final test mean|f − f̃| is not
/// finite or exceeds <see cref="TelescopedBound"/> (labels are 0/1, so f̃ is then further from f than any two
/// labels are from each other) — the lens broke down, a finding rather than a defect, but its ratios are not
/// errors of an approximation.</param>
internal sealed record RunHealth(bool DidNotLearn, bool Diverged, bool TelescopedDiverged)
{
    /// <summary>Accuracy above the constant predictor's that a run must beat to count as having learned.</summary>
    public const double Margin = 0.02;

    /// <summary>Training-loss growth over its start beyond which a run counts as diverged.</summary>
    public const double DivergenceFactor = 10;

    /// <summary>Test mean|f − f̃| beyond which f̃ counts as diverged (the 0/1 label scale).</summary>
    public const double TelescopedBound = 1;

    /// <summary>Table quantity: 1 when the run did not learn.</summary>
    public const string DidNotLearnQuantity = RunFlags.DidNotLearn;

    /// <summary>Table quantity: 1 when the network diverged.</summary>
    public const string DivergedQuantity = RunFlags.Diverged;

    /// <summary>Table quantity: 1 when the telescoped model diverged.</summary>
    public const string TelescopedDivergedQuantity = RunFlags.TelescopedDiverged;

    /// <summary>Whether the run's errors may be averaged: learned, and neither it nor f̃ diverged.</summary>
    public bool Healthy => !DidNotLearn && !Diverged && !TelescopedDiverged;

    /// <summary>The flags in words (<see cref="RunFlags.All"/>; empty when healthy).</summary>
    public IReadOnlyList<string> Flags =>
        RunFlags
            .All.Where(f =>
                f.Quantity switch
                {
                    RunFlags.DidNotLearn => DidNotLearn,
                    RunFlags.Diverged => Diverged,
                    _ => TelescopedDiverged,
                }
            )
            .Select(f => f.Words)
            .ToList();

    /// <summary>
    /// The verdict on a run from its final test accuracy, the constant predictor's accuracy on the same rows,
    /// its training loss at step 0 and at the end, its final test mean|f − f̃|, and whether it failed.
    /// </summary>
    public static RunHealth Judge(
        double finalTestAccuracy,
        double constantAccuracy,
        double startTrainLoss,
        double finalTrainLoss,
        double finalTelescopingError,
        bool failed = false
    ) =>
        Verdict(
            !(finalTestAccuracy > constantAccuracy + Margin),
            startTrainLoss,
            finalTrainLoss,
            !(finalTelescopingError <= TelescopedBound),
            failed
        );

    /// <summary>
    /// The three flags from what differs between classification and regression (<paramref name="noBetterThanConstant"/>,
    /// <paramref name="telescopedDiverged"/>) and what they share: diverged when failed, the final training loss is not
    /// finite or exceeds <see cref="DivergenceFactor"/> × its start; did not learn (unless diverged) when no better than
    /// the constant predictor or the training loss did not fall.
    /// </summary>
    private static RunHealth Verdict(
        bool noBetterThanConstant,
        double startTrainLoss,
        double finalTrainLoss,
        bool telescopedDiverged,
        bool failed
    )
    {
        bool diverged =
            failed
            || !double.IsFinite(finalTrainLoss)
            || finalTrainLoss > DivergenceFactor * startTrainLoss;
        bool didNotLearn =
            !diverged && (noBetterThanConstant || !(finalTrainLoss < startTrainLoss));
        return new RunHealth(didNotLearn, diverged, telescopedDiverged);
    }

    /// <summary>
    /// The verdict on a regression run (real-valued targets, where accuracy means nothing): the same three flags with
    /// the constant predictor's loss in place of its accuracy and the targets' range in place of the 0/1 label scale.
    /// Did not learn: the final test loss is not below (1 − <see cref="Margin"/>) × the loss of predicting the mean
    /// training target (<see cref="ConstantLoss"/>; R² ≤ <see cref="Margin"/>), or the final training loss is not
    /// below its start. Diverged: as <see cref="Judge"/>. f̃ diverged: the final test mean|f − f̃| is not finite or
    /// exceeds <see cref="TelescopedBound"/> × <paramref name="targetRange"/> (max − min of the training targets).
    /// </summary>
    public static RunHealth JudgeRegression(
        double finalTestLoss,
        double constantLoss,
        double startTrainLoss,
        double finalTrainLoss,
        double finalTelescopingError,
        double targetRange,
        bool failed = false
    ) =>
        Verdict(
            !(finalTestLoss < (1 - Margin) * constantLoss),
            startTrainLoss,
            finalTrainLoss,
            !(finalTelescopingError <= TelescopedBound * targetRange),
            failed
        );

    /// <summary>
    /// The squared loss (½(y − c)², mean over <paramref name="test"/>'s rows) of the best constant predictor fitted on
    /// <paramref name="train"/>: c = the mean training target (what a regression network that learned nothing but the
    /// targets' mean scores).
    /// </summary>
    public static double ConstantLoss(Dataset train, Dataset test)
    {
        if (
            train.TargetValues is not { Length: > 0 } tr
            || test.TargetValues is not { Length: > 0 } te
        )
            return double.NaN;
        double c = tr.Average();
        return te.Average(y => 0.5 * (y - c) * (y - c));
    }

    /// <summary>max − min of the data set's real targets (NaN for classification).</summary>
    public static double TargetRange(Dataset data) =>
        data.TargetValues is { Length: > 0 } t ? t.Max() - t.Min() : double.NaN;

    /// <summary>The same verdict read back from a table's three 0/1 quantities (missing counts as not flagged).</summary>
    public static RunHealth FromTable(IReadOnlyDictionary<string, double> values) =>
        new(
            values.GetValueOrDefault(DidNotLearnQuantity) == 1,
            values.GetValueOrDefault(DivergedQuantity) == 1,
            values.GetValueOrDefault(TelescopedDivergedQuantity) == 1
        );

    /// <summary>
    /// The accuracy of the best constant predictor on <paramref name="data"/>: the frequency of its most common class
    /// (what a network that learned nothing but the class balance scores).
    /// </summary>
    public static double ConstantAccuracy(Dataset data) =>
        data.Count == 0
            ? double.NaN
            : data.Labels.GroupBy(l => l).Max(g => g.Count()) / (double)data.Count;
}
