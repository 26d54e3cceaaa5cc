namespace Telescope.Experiments.Studies;

/// <summary>What the reports of the two smoother studies (grokking, double descent) share: the gate's note, the caption and the per-setting means.</summary>
internal static class SmootherReport
{
    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        TidyCells.Number(r, c);

    internal const string GateNote =
        "gate_passed = 1 when test mean|f − f̃| and mean|f̂ − f̃| are both ≤ 5% of the label scale (spec §6); effective parameters where it is 0 are NOT trustworthy and are marked 'GATE FAILED' in the figure.";

    /// <summary>The figure caption: an optional verdict line, the data, the table and the gate's note.</summary>
    internal static string Caption(string verdict, string table, string dataSource) =>
        $"{verdict}Data: {dataSource}\nTable: {Path.GetFileName(table)} (tidy long format); provenance in run.json.\n{GateNote}";

    // the means over seeds of one setting's rows, by (step, quantity, split)
    internal static Dictionary<(double step, string q, string split), double> Index(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    ) =>
        TidyQueries
            .MeanOverSeeds(rows)
            .GroupBy(r =>
                (Num(r, "step"), r["quantity"], r.TryGetValue("split", out var s) ? s : "")
            )
            .ToDictionary(g => g.Key, g => Num(g.First(), "value"));
}
