using MathNet.Numerics.Distributions;

namespace Telescope.Experiments.Studies;

/// <summary>What the seeds say about a claimed difference (see <see cref="SeedSpread"/>).</summary>
public enum SeedVerdict
{
    /// <summary>The whole confidence interval of the mean difference lies above 0: the claim holds.</summary>
    Holds,

    /// <summary>The interval contains 0: the difference is not distinguishable from seed noise.</summary>
    Noise,

    /// <summary>The whole interval lies below 0: the opposite of the claim holds.</summary>
    Opposite,

    /// <summary>Fewer than <see cref="SeedSpread.MinimumSeeds"/> seeds: too few to tell.</summary>
    TooFewSeeds,
}

/// <summary>
/// A claimed difference "A exceeds B" weighed against its seed-to-seed spread: over the n seeds with per-seed
/// differences dᵢ = Aᵢ − Bᵢ, the mean d̄ = Σdᵢ/n, the sample standard deviation s = √(Σ(dᵢ − d̄)²/(n − 1)), and the
/// two-sided Student-t interval d̄ ± t_{(1+c)/2, n−1}·s/√n at confidence c = <see cref="Confidence"/> (NaN where
/// n &lt; 2). <see cref="Verdict"/> is <see cref="SeedVerdict.TooFewSeeds"/> below <see cref="SeedSpread.MinimumSeeds"/>
/// seeds, else <see cref="SeedVerdict.Holds"/> when Low &gt; 0, <see cref="SeedVerdict.Opposite"/> when High &lt; 0,
/// else <see cref="SeedVerdict.Noise"/>.
/// </summary>
public sealed record SeedDifference(
    string Claim,
    int Seeds,
    double Mean,
    double Spread,
    double Low,
    double High,
    double Confidence,
    SeedVerdict Verdict
)
{
    /// <summary>The claim stands above seed noise.</summary>
    public bool Holds => Verdict == SeedVerdict.Holds;

    /// <summary>The verdict in words: "holds", "not distinguishable from seed noise", "the opposite holds", or "too few seeds to tell (n = k &lt; 3)".</summary>
    public string Word =>
        Verdict switch
        {
            SeedVerdict.Holds => "holds",
            SeedVerdict.Noise => "not distinguishable from seed noise",
            SeedVerdict.Opposite => "the opposite holds",
            _ => $"too few seeds to tell (n = {Seeds} < {SeedSpread.MinimumSeeds})",
        };

    /// <summary>
    /// "claim: verdict (mean difference d̄, seed-to-seed s.d. s, c % interval [Low, High] over n seeds)", numbers in
    /// <paramref name="format"/>; the interval is left out below 2 seeds.
    /// </summary>
    public string Sentence(string format = "0.0000")
    {
        string F(double x) => x.ToString(format, CultureInfo.InvariantCulture);
        string pct = (100 * Confidence).ToString("0.#", CultureInfo.InvariantCulture);
        string numbers =
            Seeds == 0 ? "no seed has both values"
            : Seeds == 1 ? $"difference {F(Mean)} from 1 seed, no spread"
            : $"mean difference {F(Mean)}, seed-to-seed s.d. {F(Spread)}, {pct} % interval [{F(Low)}, {F(High)}] over {Seeds} seeds";
        return $"{Claim}: {Word} ({numbers})";
    }
}

/// <summary>
/// The rule every study verdict uses to weigh a claimed difference against the seed-to-seed spread (issue 29):
/// a difference holds only when its <see cref="Confidence"/> Student-t interval over at least
/// <see cref="MinimumSeeds"/> seeds excludes 0. Both numbers are declared here and nowhere else.
/// </summary>
public static class SeedSpread
{
    /// <summary>Two-sided confidence c of the interval on a mean difference.</summary>
    public const double Confidence = 0.95;

    /// <summary>Fewest seeds from which a difference can be called either way.</summary>
    public const int MinimumSeeds = 3;

    /// <summary>
    /// The two-sided Student-t quantile t_{(1+c)/2, df}: the x with P(T_df ≤ x) = (1 + c)/2 for a Student-t
    /// variable with df degrees of freedom, c = <paramref name="confidence"/>.
    /// </summary>
    public static double TQuantile(int df, double confidence = Confidence)
    {
        if (df < 1)
            throw new ArgumentOutOfRangeException(nameof(df), df, "degrees of freedom must be ≥ 1");
        return StudentT.InvCDF(0, 1, df, (1 + confidence) / 2);
    }

    /// <summary>
    /// The claim "A exceeds B" from per-seed differences dᵢ = Aᵢ − Bᵢ (non-finite values are left out): mean, sample
    /// s.d., the <see cref="Confidence"/> interval d̄ ± t·s/√n and the verdict (see <see cref="SeedDifference"/>).
    /// </summary>
    public static SeedDifference OfDifferences(string claim, IEnumerable<double> differences)
    {
        var d = differences.Where(double.IsFinite).ToList();
        int n = d.Count;
        double mean = n == 0 ? double.NaN : d.Average();
        double sd = n < 2 ? double.NaN : Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (n - 1));
        double half = n < 2 ? double.NaN : TQuantile(n - 1) * sd / Math.Sqrt(n);
        double low = mean - half,
            high = mean + half;
        var verdict =
            n < MinimumSeeds ? SeedVerdict.TooFewSeeds
            : low > 0 ? SeedVerdict.Holds
            : high < 0 ? SeedVerdict.Opposite
            : SeedVerdict.Noise;
        return new(claim, n, mean, sd, low, high, Confidence, verdict);
    }

    /// <summary>
    /// The claim "A exceeds B" from each seed's value of a quantity at two settings, paired by seed: dᵢ = a[s] − b[s]
    /// over the seeds s present in both.
    /// </summary>
    public static SeedDifference Paired(
        string claim,
        IReadOnlyDictionary<long, double> a,
        IReadOnlyDictionary<long, double> b
    ) => OfDifferences(claim, a.Keys.Where(b.ContainsKey).Order().Select(s => a[s] - b[s]));
}

/// <summary>Per-seed values read from tidy rows (column <c>seed</c>, column <c>value</c>; several rows of a seed averaged).</summary>
internal static class SeedRows
{
    /// <summary>seed → mean value of <paramref name="rows"/>; rows without a numeric seed or value are left out.</summary>
    public static IReadOnlyDictionary<long, double> Values(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    ) =>
        rows.Select(r =>
                (
                    ok: long.TryParse(
                        TidyCells.Text(r, "seed"),
                        NumberStyles.Integer,
                        CultureInfo.InvariantCulture,
                        out var s
                    ),
                    seed: s,
                    value: TidyCells.Number(r, "value")
                )
            )
            .Where(x => x.ok && double.IsFinite(x.value))
            .GroupBy(x => x.seed)
            .ToDictionary(g => g.Key, g => g.Average(x => x.value));

    /// <summary>The sentences of <paramref name="claims"/>, one per line, each numbers in <paramref name="format"/>.</summary>
    public static string Lines(IEnumerable<SeedDifference> claims, string format) =>
        string.Join("\n", claims.Select(c => c.Sentence(format)));
}
