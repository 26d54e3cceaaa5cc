namespace Telescope;

/// <summary>
/// The table quantities that flag a whole run (split empty, value 1 = flagged, at the run's last step), so that
/// summaries and figures leave flagged runs out of their means and mark them instead. What each flag means, and the
/// thresholds, are declared with the verdict that writes them (<c>Telescope.Experiments.Studies.Approximation.RunHealth</c>).
/// </summary>
public static class RunFlags
{
    /// <summary>The network did not learn.</summary>
    public const string DidNotLearn = "did_not_learn";

    /// <summary>The network diverged.</summary>
    public const string Diverged = "diverged";

    /// <summary>The telescoped model diverged.</summary>
    public const string TelescopedDiverged = "telescoped_diverged";

    /// <summary>Every flag quantity with its words, in order.</summary>
    public static IReadOnlyList<(string Quantity, string Words)> All { get; } =
    [(DidNotLearn, "did not learn"), (Diverged, "diverged"), (TelescopedDiverged, "f̃ diverged")];
}
