namespace Telescope.Counterfactual;

/// <summary>One ladder entry: a provider's agreement with the ground truth, with its 95 % interval.</summary>
/// <param name="Provider">Score provider.</param>
/// <param name="Metric"><c>pearson</c>, <c>spearman</c> (per test row against exact LOO, averaged over test rows) or <c>lds</c>.</param>
/// <param name="Estimate">The mean over test rows.</param>
/// <param name="Low">2.5 % percentile of the bootstrap over test rows.</param>
/// <param name="High">97.5 % percentile.</param>
/// <param name="Count">Test rows with a defined value.</param>
public sealed record LadderEntry(
    string Provider,
    string Metric,
    double Estimate,
    double Low,
    double High,
    int Count
);

/// <summary>
/// The attribution ground-truth ladder (issue 27): per test row x, Pearson and Spearman of a provider's
/// <c>score[x, ·]</c> against exact LOO <c>[x, ·]</c> over the candidate rows, and the linear datamodeling score
/// <c>LDS(x) = Spearman_j(Σ_{i∈S_j} τ(x, i), f_T^{S_j}(x))</c> over random subsets S_j of the candidates
/// (Kronfluence/TRAK protocol, on the candidates: every non-candidate row is always kept). Summaries are the mean
/// over test rows with a 95 % percentile bootstrap interval over test rows (<see cref="BootstrapResamples"/>
/// resamples, seeded).
/// </summary>
public static class Ladder
{
    /// <summary>Bootstrap resamples for every interval.</summary>
    public const int BootstrapResamples = 2000;

    /// <summary>Pearson's r; NaN when either side is constant.</summary>
    public static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        if (a.Count != b.Count)
            throw new ArgumentException($"lengths differ: {a.Count} vs {b.Count}");
        int n = a.Count;
        double ma = 0,
            mb = 0;
        for (int i = 0; i < n; i++)
        {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0,
            saa = 0,
            sbb = 0;
        for (int i = 0; i < n; i++)
        {
            double da = a[i] - ma,
                db = b[i] - mb;
            sab += da * db;
            saa += da * da;
            sbb += db * db;
        }
        return saa == 0 || sbb == 0 ? double.NaN : sab / Math.Sqrt(saa * sbb);
    }

    /// <summary>Ranks 1..n, ties get their average rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> a)
    {
        var order = Enumerable.Range(0, a.Count).OrderBy(i => a[i]).ToArray();
        var r = new double[a.Count];
        for (int s = 0; s < order.Length; )
        {
            int e = s;
            while (e + 1 < order.Length && a[order[e + 1]] == a[order[s]])
                e++;
            double avg = (s + e) / 2.0 + 1;
            for (int q = s; q <= e; q++)
                r[order[q]] = avg;
            s = e + 1;
        }
        return r;
    }

    /// <summary>Spearman's ρ: Pearson of the average ranks.</summary>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        Pearson(Ranks(a), Ranks(b));

    /// <summary>Per test row, the correlation (<c>pearson</c> or <c>spearman</c>) of provider and truth over the candidates.</summary>
    public static double[] PerTest(ScoreTable provider, ScoreTable truth, string metric)
    {
        Check(provider, truth);
        return Enumerable
            .Range(0, truth.Tests)
            .Select(x =>
                metric == "spearman"
                    ? Spearman(provider.Row(x), truth.Row(x))
                    : Pearson(provider.Row(x), truth.Row(x))
            )
            .ToArray();
    }

    /// <summary>
    /// LDS per test row: <paramref name="kept"/>[j][i] says whether candidate i is in subset S_j,
    /// <paramref name="outputs"/>[j][x] is f_T(x) of the replay trained on S_j (plus every non-candidate row).
    /// </summary>
    public static double[] Lds(ScoreTable provider, IReadOnlyList<bool[]> kept, IReadOnlyList<double[]> outputs)
    {
        if (kept.Count != outputs.Count)
            throw new ArgumentException($"{kept.Count} subsets but {outputs.Count} outputs");
        var res = new double[provider.Tests];
        for (int x = 0; x < provider.Tests; x++)
        {
            var pred = new double[kept.Count];
            var act = new double[kept.Count];
            for (int j = 0; j < kept.Count; j++)
            {
                double s = 0;
                for (int i = 0; i < provider.Rows; i++)
                    if (kept[j][i])
                        s += provider.Scores[x, i];
                pred[j] = s;
                act[j] = outputs[j][x];
            }
            res[x] = Spearman(pred, act);
        }
        return res;
    }

    /// <summary>The mean of the defined values and its 95 % percentile bootstrap interval (resampling the values).</summary>
    public static (double mean, double low, double high, int count) Summarise(IReadOnlyList<double> values, long seed)
    {
        var v = values.Where(double.IsFinite).ToArray();
        if (v.Length == 0)
            return (double.NaN, double.NaN, double.NaN, 0);
        var rng = new Rng(seed, stream: 27);
        var means = new double[BootstrapResamples];
        for (int b = 0; b < means.Length; b++)
        {
            double s = 0;
            for (int q = 0; q < v.Length; q++)
                s += v[rng.NextInt(v.Length)];
            means[b] = s / v.Length;
        }
        Array.Sort(means);
        return (v.Average(), Quantile(means, 0.025), Quantile(means, 0.975), v.Length);
    }

    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos);
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    /// <summary>The ladder entries of one provider: Pearson and Spearman vs LOO and, given subsets, LDS.</summary>
    public static IEnumerable<LadderEntry> Entries(
        ScoreTable provider,
        ScoreTable loo,
        IReadOnlyList<bool[]>? kept,
        IReadOnlyList<double[]>? outputs,
        long seed
    )
    {
        foreach (var metric in new[] { "pearson", "spearman" })
        {
            var (m, lo, hi, n) = Summarise(PerTest(provider, loo, metric), seed);
            yield return new LadderEntry(provider.Provider, metric, m, lo, hi, n);
        }
        if (kept is not null && outputs is not null)
        {
            var (m, lo, hi, n) = Summarise(Lds(provider, kept, outputs), seed);
            yield return new LadderEntry(provider.Provider, "lds", m, lo, hi, n);
        }
    }

    /// <summary>
    /// The ladder's sanity test of a provider's alignment: the mean Pearson against LOO with the provider's columns
    /// as given must not be beaten by the same table circularly shifted by one training row either way (a table whose
    /// columns are off by one is). Returns the problems (empty when aligned). Meaningful for providers that correlate
    /// with LOO at all; a provider with no signal passes vacuously only when neither shift wins.
    /// </summary>
    public static IEnumerable<string> Sanity(ScoreTable provider, ScoreTable loo)
    {
        Check(provider, loo);
        double Mean(ScoreTable p) => PerTest(p, loo, "pearson").Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
        double at = Mean(provider);
        foreach (var shift in new[] { -1, 1 })
        {
            double s = Mean(Shift(provider, shift));
            if (s > at)
                yield return $"{provider.Provider}: columns shifted by {shift} training row agree better with LOO (mean Pearson {s:F3}) than as given ({at:F3}) — misaligned rows";
        }
    }

    /// <summary>The table with column i holding the scores of column (i + shift) mod c (the candidate list unchanged).</summary>
    public static ScoreTable Shift(ScoreTable t, int shift)
    {
        var s = new double[t.Tests, t.Rows];
        for (int x = 0; x < t.Tests; x++)
        for (int i = 0; i < t.Rows; i++)
            s[x, i] = t.Scores[x, ((i + shift) % t.Rows + t.Rows) % t.Rows];
        return t with { Scores = s, Provider = $"{t.Provider}-shift{shift}" };
    }

    private static void Check(ScoreTable a, ScoreTable b)
    {
        if (a.Tests != b.Tests || !a.Candidates.SequenceEqual(b.Candidates))
            throw new ArgumentException(
                $"{a.Provider} and {b.Provider} score different tables ({a.Tests}×{a.Rows} vs {b.Tests}×{b.Rows}, or other candidate rows)"
            );
    }
}
