namespace Telescope.Experiments.Studies.GbtVsNn;

/// <summary>
/// Gbt-vs-nn's claims weighed against the seed spread (issue 29), between the smallest share p₀ and the largest p₁ of
/// irregular test rows, each judged by <see cref="SeedSpread"/> (paired by seed where two values are compared):
/// GBT beats the NN at p₀ (MSE_NN − MSE_GBT &gt; 0); the NN's disadvantage grows (ΔMSE(p₁)/ΔMSE(p₀) − 1 &gt; 0);
/// the crossing — R_NN below 1 at p₀ (1 − R_NN &gt; 0) and above 1 at p₁ (R_NN − 1 &gt; 0); and R_NN above R_GBT at p₁.
/// </summary>
internal static class GbtVsNnVerdict
{
    /// <summary>The claims in the order above (none when the table has no per-share rows).</summary>
    public static IReadOnlyList<SeedDifference> Claims(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    )
    {
        var byShare = rows.Where(r => double.IsFinite(TidyCells.Number(r, "p"))).ToList();
        var shares = byShare.Select(r => TidyCells.Number(r, "p")).Distinct().Order().ToList();
        if (shares.Count == 0)
            return [];
        double p0 = shares[0],
            p1 = shares[^1];
        IReadOnlyDictionary<long, double> V(string q, double p) =>
            SeedRows.Values(
                byShare.Where(r =>
                    TidyCells.Text(r, "quantity") == q && TidyCells.Number(r, "p") == p
                )
            );
        string P(double p) => p.ToString("0.##", CultureInfo.InvariantCulture);
        static IEnumerable<double> Minus(IReadOnlyDictionary<long, double> a, double b) =>
            a.OrderBy(kv => kv.Key).Select(kv => kv.Value - b);
        var claims = new List<SeedDifference>
        {
            SeedSpread.Paired(
                $"GBT beats the NN at p = {P(p0)} (MSE_NN − MSE_GBT)",
                V("mse_nn", p0),
                V("mse_gbt", p0)
            ),
        };
        if (shares.Count > 1)
            claims.Add(
                SeedSpread.OfDifferences(
                    $"the NN's disadvantage grows with p (ΔMSE(p = {P(p1)})/ΔMSE(p = {P(p0)}) − 1)",
                    Minus(V("relative_mse", p1), 1)
                )
            );
        claims.Add(
            SeedSpread.OfDifferences(
                $"R_NN below 1 at p = {P(p0)} (1 − R_NN)",
                V("r_nn", p0).OrderBy(kv => kv.Key).Select(kv => 1 - kv.Value)
            )
        );
        if (shares.Count > 1)
        {
            claims.Add(
                SeedSpread.OfDifferences(
                    $"R_NN above 1 at p = {P(p1)} (R_NN − 1)",
                    Minus(V("r_nn", p1), 1)
                )
            );
            claims.Add(
                SeedSpread.Paired($"R_NN above R_GBT at p = {P(p1)}", V("r_nn", p1), V("r_gbt", p1))
            );
        }
        return claims;
    }

    /// <summary>The verdict lines, as printed and as the figure caption's head.</summary>
    public static string Sentence(IEnumerable<IReadOnlyDictionary<string, string>> rows) =>
        SeedRows.Lines(Claims(rows), "0.000");
}
