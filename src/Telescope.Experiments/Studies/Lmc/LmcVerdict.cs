namespace Telescope.Experiments.Studies.Lmc;

/// <summary>
/// Lmc's barrier claims weighed against the seed spread (issue 29), per model, on the test-error barrier (max over α)
/// between two children spawned at t′: "a barrier exists at the earliest spawn step" (each seed's barrier there,
/// against 0) and "the barrier falls from the earliest to the latest spawn step" (paired by seed), each judged by
/// <see cref="SeedSpread"/>.
/// </summary>
internal static class LmcVerdict
{
    /// <summary>Per model, the two claims (none for a model with a single spawn step: only the first).</summary>
    public static IReadOnlyList<SeedDifference> Claims(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    )
    {
        var result = new List<SeedDifference>();
        foreach (
            var m in rows.Where(r => TidyCells.Text(r, "quantity") == "error_barrier_max")
                .GroupBy(r => TidyCells.Text(r, "model"))
        )
        {
            var steps = m.Select(r => TidyCells.Number(r, "step"))
                .Where(double.IsFinite)
                .Distinct()
                .Order()
                .ToList();
            if (steps.Count == 0)
                continue;
            IReadOnlyDictionary<long, double> At(double t) =>
                SeedRows.Values(m.Where(r => TidyCells.Number(r, "step") == t));
            string T(double t) => t.ToString("0", CultureInfo.InvariantCulture);
            var early = At(steps[0]);
            result.Add(
                SeedSpread.OfDifferences(
                    $"model {m.Key}: error barrier at t′ = {T(steps[0])} above 0",
                    early.Values
                )
            );
            if (steps.Count > 1)
                result.Add(
                    SeedSpread.Paired(
                        $"model {m.Key}: error barrier falls from t′ = {T(steps[0])} to t′ = {T(steps[^1])}",
                        early,
                        At(steps[^1])
                    )
                );
        }
        return result;
    }

    /// <summary>The verdict lines, as printed and as the figure caption's head.</summary>
    public static string Sentence(IEnumerable<IReadOnlyDictionary<string, string>> rows) =>
        SeedRows.Lines(Claims(rows), "0.0000");
}
