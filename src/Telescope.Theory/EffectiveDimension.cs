namespace Telescope.Theory;

/// <summary>
/// Effective dimension of a spectrum (spec R6; thesis Eq 1.16, 2.6): <c>D_eff(ρ) = exp(−Σᵢ πᵢ ln πᵢ)</c>,
/// πᵢ = ρᵢ/Σⱼρⱼ, 0·ln 0 = 0. Scale invariant; d for d equal non-zero entries; 1 ≤ D_eff ≤ #non-zero entries.
/// </summary>
public static class EffectiveDimension
{
    /// <summary>R6: <c>D_eff(ρ) = exp(H(π))</c>, the exponential of the entropy of the normalised spectrum.</summary>
    public static double Of(IReadOnlyList<double> rho)
    {
        Check(rho);
        double total = rho.Sum();
        double h = 0;
        foreach (var r in rho)
            if (r > 0)
            {
                double pi = r / total;
                h -= pi * Math.Log(pi);
            }
        return Math.Exp(h);
    }

    /// <summary>
    /// R6, chapter-2 variant for feature kernels whose first eigenfunction is (nearly) constant:
    /// <c>D'_eff(ρ) = 1 + D_eff(ρ₂, …, ρ_p)</c> (ρ sorted descending).
    /// </summary>
    public static double WithoutConstant(IReadOnlyList<double> rho)
    {
        Check(rho);
        var sorted = rho.OrderByDescending(r => r).ToArray();
        return sorted.Length < 2 || sorted.Skip(1).All(r => r == 0) ? 1 : 1 + Of(sorted[1..]);
    }

    /// <summary>MUST-FAIL CONTROL: the entropy of the unnormalised spectrum, <c>exp(−Σ ρᵢ ln ρᵢ)</c> (not scale invariant).</summary>
    public static double Unnormalised(IReadOnlyList<double> rho) =>
        Math.Exp(-rho.Where(r => r > 0).Sum(r => r * Math.Log(r)));

    private static void Check(IReadOnlyList<double> rho)
    {
        if (
            rho.Count == 0
            || rho.Any(r => !(r >= 0) || double.IsInfinity(r))
            || rho.All(r => r == 0)
        )
            throw new ArgumentException(
                "premise violated: a spectrum needs finite entries ≥ 0, at least one positive"
            );
    }
}
