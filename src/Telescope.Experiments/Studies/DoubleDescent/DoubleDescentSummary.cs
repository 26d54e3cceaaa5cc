namespace Telescope.Experiments.Studies.DoubleDescent;

/// <summary>
/// One width of a double-descent run at its final logged step, averaged over seeds: train/test loss and accuracy,
/// p_train and p_test of the final smoother, the test telescoping error and smoother gap, and the fraction of seeds
/// that passed the validity gate; <see cref="BySeed"/> keeps each seed's test loss, p_train and p_test (what the
/// verdict weighs its claimed differences against; empty when the summary was made without them).
/// </summary>
public sealed record DoubleDescentWidth(
    int Width,
    int Parameters,
    int Seeds,
    double Steps,
    double TrainAccuracy,
    double TrainLoss,
    double TestLoss,
    double TestAccuracy,
    double PTrain,
    double PTest,
    double TestTelescopingError,
    double TestSmootherGap,
    double GatePassed,
    IReadOnlyDictionary<long, DoubleDescentSeed>? BySeed = null
);

/// <summary>One seed's final test loss, p_train and p_test at one width.</summary>
public sealed record DoubleDescentSeed(double TestLoss, double PTrain, double PTest);

/// <summary>
/// Whether a double-descent run shows the paper's Fig. 3 claim through a lens that holds, criterion by criterion
/// (each is <c>true</c> when met). Every claimed difference is weighed against the seed-to-seed spread by
/// <see cref="SeedSpread"/> (paired by seed, Student-t interval at <see cref="SeedSpread.Confidence"/> over at least
/// <see cref="SeedSpread.MinimumSeeds"/> seeds) and counts only when it <see cref="SeedDifference.Holds"/>:
/// <list type="bullet">
/// <item><see cref="GateEverywhere"/>: every seed of every width passed the validity gate;</item>
/// <item><see cref="Interpolates"/>: some width reaches train accuracy ≥ <see cref="DoubleDescentSummary.Interpolation"/> (the noisy labels fitted);</item>
/// <item><see cref="LossPeak"/>: the mean test loss peaks at an interior width within one grid step of the first
/// interpolating width h*, and three differences hold: the first descent (loss at the smallest width above the
/// lowest loss before the peak, which must be at a larger width), the peak (above that lowest loss) and the second
/// descent (the peak above the largest width);</item>
/// <item><see cref="PTestPeak"/>: p_test peaks within one grid step of h* and its fall to the largest width holds;</item>
/// <item><see cref="PTrainRises"/>: p_train's rise from the test-loss peak to the largest width holds.</item>
/// </list>
/// <see cref="Differences"/> lists each weighed difference with its numbers (empty below 3 widths).
/// </summary>
public sealed record DoubleDescentVerdict(
    bool GateEverywhere,
    bool Interpolates,
    bool LossPeak,
    bool PTestPeak,
    bool PTrainRises,
    string Sentence,
    IReadOnlyList<SeedDifference>? Differences = null
)
{
    /// <summary>All criteria met: double descent shown with a valid lens.</summary>
    public bool Shown => GateEverywhere && Interpolates && LossPeak && PTestPeak && PTrainRises;
}

/// <summary>
/// A double-descent run as one point of the map of settings (issue 16): how far the largest width got towards
/// interpolation, and how far the worst width was from the validity gate (test mean|f − f̃| and mean|f̂ − f̃|, which
/// must both be ≤ the gate).
/// </summary>
public sealed record DoubleDescentMapPoint(
    int LargestWidth,
    double LargestWidthTrainAccuracy,
    int? FirstInterpolatingWidth,
    double WorstTestTelescopingError,
    double WorstTestSmootherGap,
    bool GateEverywhere,
    bool Shown
);

/// <summary>The per-width summary and the verdict of the double-descent study, from its tidy rows.</summary>
public static class DoubleDescentSummary
{
    /// <summary>Train accuracy at or above which a width counts as interpolating the noisy labels.</summary>
    public const double Interpolation = 0.99;

    private static double Num(IReadOnlyDictionary<string, string> r, string c) =>
        double.TryParse(
            r.TryGetValue(c, out var v) ? v : "",
            NumberStyles.Float,
            CultureInfo.InvariantCulture,
            out var x
        )
            ? x
            : double.NaN;

    private static string Cell(IReadOnlyDictionary<string, string> r, string c) =>
        r.TryGetValue(c, out var v) ? v : "";

    /// <summary>
    /// One <see cref="DoubleDescentWidth"/> per width, in increasing width: each run's rows at its last logged step,
    /// then the mean over the width's runs (seeds).
    /// </summary>
    public static IReadOnlyList<DoubleDescentWidth> Widths(
        IEnumerable<IReadOnlyDictionary<string, string>> rows
    )
    {
        var result = new List<DoubleDescentWidth>();
        foreach (
            var g in rows.GroupBy(r => int.Parse(Cell(r, "width"), CultureInfo.InvariantCulture))
                .OrderBy(g => g.Key)
        )
        {
            var runs = g.GroupBy(r => Cell(r, "run")).ToList();
            var finals = runs.Select(run =>
                {
                    double last = run.Select(r => Num(r, "step"))
                        .Where(s => !double.IsNaN(s))
                        .DefaultIfEmpty(double.NaN)
                        .Max();
                    return run.Where(r => Num(r, "step") == last)
                        .GroupBy(r => (q: Cell(r, "quantity"), split: Cell(r, "split")))
                        .ToDictionary(x => x.Key, x => x.Select(r => Num(r, "value")).Average());
                })
                .ToList();
            var bySeed = new Dictionary<long, DoubleDescentSeed>();
            for (int i = 0; i < runs.Count; i++)
            {
                long seed = long.TryParse(
                    Cell(runs[i].First(), "seed"),
                    NumberStyles.Integer,
                    CultureInfo.InvariantCulture,
                    out var sd
                )
                    ? sd
                    : i;
                double S(string q, string split) =>
                    finals[i].TryGetValue((q, split), out var v) ? v : double.NaN;
                bySeed[seed] = new DoubleDescentSeed(
                    S("loss", "test"),
                    S("effective_parameters", "train"),
                    S("effective_parameters", "test")
                );
            }
            double V(string q, string split = "") =>
                finals
                    .Select(ix => ix.TryGetValue((q, split), out var v) ? v : double.NaN)
                    .DefaultIfEmpty(double.NaN)
                    .Average();
            result.Add(
                new DoubleDescentWidth(
                    g.Key,
                    int.Parse(Cell(g.First(), "parameters"), CultureInfo.InvariantCulture),
                    finals.Count,
                    V("steps_run"),
                    V("accuracy", "train"),
                    V("loss", "train"),
                    V("loss", "test"),
                    V("accuracy", "test"),
                    V("effective_parameters", "train"),
                    V("effective_parameters", "test"),
                    V("telescoping_error", "test"),
                    V("smoother_gap", "test"),
                    V("gate_passed"),
                    bySeed
                )
            );
        }
        return result;
    }

    private static string F(double x, string format) =>
        x.ToString(format, CultureInfo.InvariantCulture);

    private static IReadOnlyDictionary<long, double> Seeds(
        DoubleDescentWidth w,
        Func<DoubleDescentSeed, double> f
    ) =>
        (w.BySeed ?? new Dictionary<long, DoubleDescentSeed>()).ToDictionary(
            kv => kv.Key,
            kv => f(kv.Value)
        );

    private static SeedDifference Exceeds(
        string claim,
        DoubleDescentWidth a,
        DoubleDescentWidth b,
        Func<DoubleDescentSeed, double> f
    ) => SeedSpread.Paired(claim, Seeds(a, f), Seeds(b, f));

    /// <summary>The verdict on a per-width summary (criteria as in <see cref="DoubleDescentVerdict"/>).</summary>
    public static DoubleDescentVerdict Verdict(IReadOnlyList<DoubleDescentWidth> widths)
    {
        if (widths.Count < 3)
            return new(
                widths.All(w => w.GatePassed == 1),
                widths.Any(w => w.TrainAccuracy >= Interpolation),
                false,
                false,
                false,
                $"Double descent not shown: {widths.Count} width(s) run; a peak at an interior width needs at least 3.",
                []
            );
        int n = widths.Count;
        var last = widths[^1];
        bool gate = widths.All(w => w.GatePassed == 1);
        int first = widths.ToList().FindIndex(w => w.TrainAccuracy >= Interpolation);
        bool interpolates = first >= 0;
        int lossPeak = ArgMax(widths, w => w.TestLoss);
        int pTestPeak = ArgMax(widths, w => w.PTest);
        // the lowest mean test loss before the peak (the smallest width itself when there is no first descent)
        int valley = lossPeak == 0 ? 0 : ArgMax(widths.Take(lossPeak).ToList(), w => -w.TestLoss);
        var peak = widths[lossPeak];
        var lo = widths[valley];
        string H(DoubleDescentWidth w) => $"h = {w.Width}";
        var firstDescent = Exceeds(
            $"first descent (test loss {H(widths[0])} > {H(lo)})",
            widths[0],
            lo,
            s => s.TestLoss
        );
        var peakRise = Exceeds($"peak (test loss {H(peak)} > {H(lo)})", peak, lo, s => s.TestLoss);
        var secondDescent = Exceeds(
            $"second descent (test loss {H(peak)} > {H(last)})",
            peak,
            last,
            s => s.TestLoss
        );
        var pTestFall = Exceeds(
            $"p_test falls (p_test {H(widths[pTestPeak])} > {H(last)})",
            widths[pTestPeak],
            last,
            s => s.PTest
        );
        var pTrainRise = Exceeds(
            $"p_train rises (p_train {H(last)} > {H(peak)})",
            last,
            peak,
            s => s.PTrain
        );
        bool lossOk =
            interpolates
            && lossPeak > 0
            && lossPeak < n - 1
            && Math.Abs(lossPeak - first) <= 1
            && valley > 0
            && firstDescent.Holds
            && peakRise.Holds
            && secondDescent.Holds;
        bool pTestOk =
            interpolates
            && pTestPeak < n - 1
            && Math.Abs(pTestPeak - first) <= 1
            && pTestFall.Holds;
        bool pTrainOk = lossPeak < n - 1 && pTrainRise.Holds;
        SeedDifference[] differences =
            valley > 0
                ? [firstDescent, peakRise, secondDescent, pTestFall, pTrainRise]
                : [peakRise, secondDescent, pTestFall, pTrainRise];

        var facts = new List<string>();
        facts.Add(
            gate
                ? "the validity gate passed at every width"
                : $"the validity gate FAILED at h = {string.Join(", ", widths.Where(w => w.GatePassed != 1).Select(w => w.Width))} (effective parameters there describe a model that is not the network)"
        );
        facts.Add(
            interpolates
                ? $"interpolation (train accuracy ≥ {F(Interpolation, "0.##")}) from h = {widths[first].Width}"
                : $"no width interpolates (largest train accuracy {F(widths.Max(w => w.TrainAccuracy), "0.000")} < {F(Interpolation, "0.##")})"
        );
        facts.Add(
            $"test loss peaks at h = {peak.Width} ({F(peak.TestLoss, "0.0000")}; {F(last.TestLoss, "0.0000")} at h = {last.Width})"
        );
        if (valley == 0)
            facts.Add(
                $"no first descent (the smallest width h = {widths[0].Width} has the lowest test loss before the peak, {F(widths[0].TestLoss, "0.0000")})"
            );
        facts.Add(
            $"p_test peaks at h = {widths[pTestPeak].Width} ({F(widths[pTestPeak].PTest, "0.0")}; {F(last.PTest, "0.0")} at h = {last.Width})"
        );
        facts.Add(
            $"p_train {F(peak.PTrain, "0.0")} at the loss peak, {F(last.PTrain, "0.0")} at h = {last.Width}"
        );
        var missed = new List<string>();
        if (!gate)
            missed.Add("gate");
        if (!interpolates)
            missed.Add("interpolation");
        if (!lossOk)
            missed.Add(
                "test-loss peak at an interior width within one grid step of the threshold, above a first descent and a second descent beyond seed noise"
            );
        if (!pTestOk)
            missed.Add(
                "p_test peak within one grid step of the threshold, falling after it beyond seed noise"
            );
        if (!pTrainOk)
            missed.Add("p_train rising from the peak to the largest width beyond seed noise");
        string head =
            missed.Count == 0
                ? "Double descent shown with a valid lens"
                : $"Double descent with a valid lens NOT shown (missing: {string.Join("; ", missed)})";
        string weighed =
            $"Seed spread ({F(100 * SeedSpread.Confidence, "0.#")} % Student-t intervals, paired by seed, at least {SeedSpread.MinimumSeeds} seeds): "
            + string.Join(
                "; ",
                differences.Select(d => d.Sentence(d.Claim.StartsWith("p_") ? "0.0" : "0.0000"))
            );
        return new(
            gate,
            interpolates,
            lossOk,
            pTestOk,
            pTrainOk,
            $"{head}: {string.Join("; ", facts)}. {weighed}.",
            differences
        );
    }

    /// <summary>The run's point on the map of settings.</summary>
    public static DoubleDescentMapPoint MapPoint(IReadOnlyList<DoubleDescentWidth> widths)
    {
        var v = Verdict(widths);
        var first = widths.FirstOrDefault(w => w.TrainAccuracy >= Interpolation);
        return new(
            widths[^1].Width,
            widths[^1].TrainAccuracy,
            first?.Width,
            widths.Max(w => w.TestTelescopingError),
            widths.Max(w => w.TestSmootherGap),
            v.GateEverywhere,
            v.Shown
        );
    }

    private static int ArgMax(
        IReadOnlyList<DoubleDescentWidth> ws,
        Func<DoubleDescentWidth, double> f
    )
    {
        int best = 0;
        for (int i = 1; i < ws.Count; i++)
            if (f(ws[i]) > f(ws[best]))
                best = i;
        return best;
    }
}
