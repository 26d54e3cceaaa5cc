using System.Globalization;
using Telescope.Experiments.Studies;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Hosting;
using Xunit;
using Xunit.Abstractions;

namespace Telescope.Core.Tests;

/// <summary>
/// The double-descent verdict, criterion by criterion, on hand-made per-width summaries whose answer is known by
/// construction; and the per-width summary on hand-made tidy rows (final step only, mean over seeds).
/// </summary>
public sealed class DoubleDescentVerdictTests(ITestOutputHelper output)
{
    // A textbook picture: test loss falls from h = 2 to h = 4 (first descent), interpolation from h = 8 where test
    // loss and p_test peak, then both fall (second descent) while p_train rises; the gate passes.
    private static readonly (int h, double accTr, double lossTe, double pTr, double pTe)[] Shape =
    [
        (2, 0.90, 0.28, 40, 100),
        (4, 0.97, 0.22, 55, 150),
        (8, 1.00, 0.30, 60, 190),
        (16, 1.00, 0.27, 62, 170),
        (32, 1.00, 0.24, 66, 140),
    ];

    // per-seed relative jitter (rows: seeds 0, 1, 2; columns: widths); each column sums to 0, so the seed mean is the
    // shape's value and each seed's value is mean·(1 + spread·jitter)
    private static readonly double[][] Jitter =
    [
        [+1, -1, +1, -1, +1],
        [-1, +1, 0, +1, -1],
        [0, 0, -1, 0, 0],
    ];

    private static List<DoubleDescentWidth> Widths(
        Func<
            int,
            (int h, double accTr, double lossTe, double pTr, double pTe),
            (int, double, double, double, double)
        >? edit = null,
        double[]? gate = null,
        double spread = 0.01,
        int seeds = 3
    ) =>
        Shape
            .Select((s, i) => edit is null ? s : edit(i, s))
            .Select(
                (s, i) =>
                    new DoubleDescentWidth(
                        s.Item1,
                        66 * s.Item1 + 1,
                        seeds,
                        1000,
                        s.Item2,
                        0.01,
                        s.Item3,
                        0.7,
                        s.Item4,
                        s.Item5,
                        1e-4,
                        1e-4,
                        gate is null ? 1 : gate[i],
                        Enumerable
                            .Range(0, seeds)
                            .ToDictionary(
                                k => (long)k,
                                k =>
                                {
                                    double f = 1 + spread * Jitter[k][i];
                                    return new DoubleDescentSeed(
                                        s.Item3 * f,
                                        s.Item4 * f,
                                        s.Item5 * f
                                    );
                                }
                            )
                    )
            )
            .ToList();

    [Fact]
    public void TheTextbookShapeOutsideTheSpreadIsShown()
    {
        var v = DoubleDescentSummary.Verdict(Widths());
        Assert.True(v.Shown, v.Sentence);
        Assert.StartsWith("Double descent shown with a valid lens", v.Sentence);
        Assert.Contains("interpolation (train accuracy ≥ 0.99) from h = 8", v.Sentence);
        Assert.Contains("test loss peaks at h = 8 (0.3000; 0.2400 at h = 32)", v.Sentence);
        Assert.Equal(5, v.Differences!.Count);
        Assert.All(v.Differences, d => Assert.Equal(SeedVerdict.Holds, d.Verdict));
        Assert.Contains("second descent (test loss h = 8 > h = 32): holds", v.Sentence);
    }

    [Fact]
    public void TheSameMeansInsideTheSpreadAreNotDistinguishableFromSeedNoise()
    {
        // the same seed means, each seed ±30% instead of ±1%: every difference lies inside the spread
        var v = DoubleDescentSummary.Verdict(Widths(spread: 0.3));
        Assert.False(v.Shown, v.Sentence);
        Assert.StartsWith("Double descent with a valid lens NOT shown", v.Sentence);
        Assert.False(v.LossPeak);
        Assert.False(v.PTrainRises);
        Assert.Contains(
            "second descent (test loss h = 8 > h = 32): not distinguishable from seed noise (mean difference 0.0600",
            v.Sentence
        );
        Assert.Contains(
            "p_train rises (p_train h = 32 > h = 8): not distinguishable from seed noise",
            v.Sentence
        );
        // the facts from the means are the same as for the textbook shape
        Assert.Contains("test loss peaks at h = 8 (0.3000; 0.2400 at h = 32)", v.Sentence);
    }

    [Fact]
    public void TwoSeedsAreTooFewToTellEvenForTheTextbookShape()
    {
        var v = DoubleDescentSummary.Verdict(Widths(seeds: 2));
        Assert.False(v.Shown, v.Sentence);
        Assert.All(v.Differences!, d => Assert.Equal(SeedVerdict.TooFewSeeds, d.Verdict));
        Assert.Contains("too few seeds to tell (n = 2 < 3)", v.Sentence);
    }

    [Fact]
    public void WidthsWithoutPerSeedValuesAreTooFewToTell()
    {
        var v = DoubleDescentSummary.Verdict(
            Widths().Select(w => w with { BySeed = null }).ToList()
        );
        Assert.False(v.Shown);
        Assert.Contains("too few seeds to tell (n = 0 < 3) (no seed has both values)", v.Sentence);
    }

    [Fact]
    public void NoFirstDescentIsNotShown()
    {
        // the smallest width has the lowest loss before the peak (as h = 1 in the shipped valid run)
        var v = DoubleDescentSummary.Verdict(
            Widths((i, s) => (s.h, s.accTr, i == 0 ? 0.20 : s.lossTe, s.pTr, s.pTe))
        );
        Assert.False(v.LossPeak);
        Assert.True(v.PTestPeak && v.PTrainRises);
        Assert.Contains(
            "no first descent (the smallest width h = 2 has the lowest test loss before the peak, 0.2000)",
            v.Sentence
        );
    }

    [Fact]
    public void HalfASeedFailingTheGateAtOneWidthIsNotShown()
    {
        var v = DoubleDescentSummary.Verdict(Widths(gate: [1, 1, 1, 0.5, 1]));
        Assert.False(v.GateEverywhere);
        Assert.False(v.Shown);
        Assert.Contains("gate FAILED at h = 16", v.Sentence);
        Assert.True(v.Interpolates && v.LossPeak && v.PTestPeak && v.PTrainRises);
    }

    [Fact]
    public void NoInterpolationIsNotShown()
    {
        var v = DoubleDescentSummary.Verdict(
            Widths((_, s) => (s.h, Math.Min(s.accTr, 0.985), s.lossTe, s.pTr, s.pTe))
        );
        Assert.False(v.Interpolates);
        Assert.False(v.LossPeak);
        Assert.False(v.Shown);
        Assert.Contains("no width interpolates (largest train accuracy 0.985 < 0.99)", v.Sentence);
    }

    [Fact]
    public void ALossPeakTwoGridStepsFromTheThresholdIsNotShown()
    {
        // interpolation only from h = 32: the loss peak at h = 8 is two grid steps before it
        var v = DoubleDescentSummary.Verdict(
            Widths((i, s) => (s.h, i < 4 ? 0.95 : 1.0, s.lossTe, s.pTr, s.pTe))
        );
        Assert.True(v.Interpolates);
        Assert.False(v.LossPeak);
        Assert.False(v.PTestPeak);
    }

    [Fact]
    public void TestLossStillRisingAtTheLargestWidthIsNotShown()
    {
        var v = DoubleDescentSummary.Verdict(
            Widths((i, s) => (s.h, s.accTr, i == 4 ? 0.31 : s.lossTe, s.pTr, s.pTe))
        );
        Assert.False(v.LossPeak); // the peak is now the last width
        Assert.True(v.PTestPeak);
    }

    [Fact]
    public void PTestNotFallingAfterThePeakIsNotShown()
    {
        var v = DoubleDescentSummary.Verdict(
            Widths((i, s) => (s.h, s.accTr, s.lossTe, s.pTr, i == 4 ? 200 : s.pTe))
        );
        Assert.True(v.LossPeak);
        Assert.False(v.PTestPeak);
    }

    [Fact]
    public void PTrainBelowItsPeakValueAtTheLargestWidthIsNotShown()
    {
        var v = DoubleDescentSummary.Verdict(
            Widths((i, s) => (s.h, s.accTr, s.lossTe, i == 4 ? 55.0 : s.pTr, s.pTe))
        );
        Assert.False(v.PTrainRises);
        Assert.False(v.Shown);
        Assert.Contains(
            "p_train rising from the peak to the largest width beyond seed noise",
            v.Sentence
        );
        Assert.Contains("p_train rises (p_train h = 32 > h = 8): the opposite holds", v.Sentence);
    }

    [Fact]
    public void TwoWidthsCannotShowAnInteriorPeak()
    {
        var v = DoubleDescentSummary.Verdict(Widths().Take(2).ToList());
        Assert.False(v.Shown);
        Assert.Contains("needs at least 3", v.Sentence);
    }

    // --- the shipped valid-preset result (docs/results/double-descent-valid-summary.txt, 2 seeds) ---------------------
    // Seed means per width from that table. Per-seed values: seed 0 alone is in docs/results/double-descent-map.csv
    // (rows "tanh γ=0.025 T=96000 n=100 h≤256 seeds=1" and "… h≤8 seeds=1"), seed 1 = 2·mean − seed 0 where both are
    // known: h = 2 loss 0.3775 / 0.2477 (0.13 apart, as issue 29 says), h = 256 loss 0.3272 / 0.3532 (0.026 apart),
    // p_test 222.9 / 237.7 and p_train 82.3 / 88.5, h = 4 p_test 261.3 / 270.5, h = 8 loss 0.3417 / 0.3307. The rest
    // is hand-made around the means (marked *): h = 4 loss 0.3500 / 0.3382*, h = 4 p_train 84.0 / 86.4*, h = 1 loss
    // 0.1450 / 0.1592*; other widths use the mean for both seeds*.
    private static readonly (int h, double acc, double loss, double pTr, double pTe)[] Shipped =
    [
        (1, 0.875, 0.1521, 41.0, 87.8),
        (2, 0.980, 0.3126, 69.7, 245.0),
        (4, 1.000, 0.3441, 85.2, 265.9),
        (8, 1.000, 0.3362, 84.1, 236.0),
        (16, 1.000, 0.3069, 85.2, 214.2),
        (32, 1.000, 0.3088, 86.0, 217.6),
        (64, 1.000, 0.3208, 86.1, 216.8),
        (128, 1.000, 0.2898, 85.9, 230.1),
        (256, 1.000, 0.3402, 85.4, 230.3),
    ];

    private static readonly Dictionary<(int h, long seed), DoubleDescentSeed> ShippedSeeds = new()
    {
        [(1, 0)] = new(0.1450, 41.0, 87.8),
        [(1, 1)] = new(0.1592, 41.0, 87.8),
        [(2, 0)] = new(0.3775, 70.3, 245.0),
        [(2, 1)] = new(0.2477, 69.1, 245.0),
        [(4, 0)] = new(0.3500, 84.0, 261.3),
        [(4, 1)] = new(0.3382, 86.4, 270.5),
        [(8, 0)] = new(0.3417, 81.6, 225.7),
        [(8, 1)] = new(0.3307, 86.6, 246.3),
        [(256, 0)] = new(0.3272, 82.3, 222.9),
        [(256, 1)] = new(0.3532, 88.5, 237.7),
    };

    private static List<DoubleDescentWidth> ShippedWidths(
        Dictionary<(int h, long seed), DoubleDescentSeed>? extra = null
    ) =>
        Shipped
            .Select(s =>
            {
                var bySeed = new Dictionary<long, DoubleDescentSeed>();
                foreach (long k in new long[] { 0, 1, 2, 3 })
                    if (extra is not null && extra.TryGetValue((s.h, k), out var e))
                        bySeed[k] = e;
                    else if (k < 2)
                        bySeed[k] = ShippedSeeds.TryGetValue((s.h, k), out var x)
                            ? x
                            : new DoubleDescentSeed(s.loss, s.pTr, s.pTe);
                double mean = bySeed.Values.Average(x => x.TestLoss);
                return new DoubleDescentWidth(
                    s.h,
                    66 * s.h + 1,
                    bySeed.Count,
                    60000,
                    s.acc,
                    0.002,
                    mean,
                    0.64,
                    s.pTr,
                    s.pTe,
                    3e-4,
                    1e-4,
                    1,
                    bySeed
                );
            })
            .ToList();

    [Fact]
    public void TheShippedValidPresetIsNoLongerShown()
    {
        // the per-seed values reproduce the shipped seed means
        foreach (var h in ShippedSeeds.Keys.Select(k => k.h).Distinct())
        {
            var seeds = ShippedSeeds.Where(kv => kv.Key.h == h).Select(kv => kv.Value).ToList();
            var mean = Shipped.Single(s => s.h == h);
            Assert.Equal(mean.loss, seeds.Average(x => x.TestLoss), 4);
            Assert.Equal(mean.pTr, seeds.Average(x => x.PTrain), 1);
            Assert.Equal(mean.pTe, seeds.Average(x => x.PTest), 1);
        }
        var v = DoubleDescentSummary.Verdict(ShippedWidths());
        output.WriteLine(v.Sentence);
        Assert.False(v.Shown, v.Sentence);
        Assert.True(v.GateEverywhere && v.Interpolates);
        Assert.StartsWith("Double descent with a valid lens NOT shown", v.Sentence);
        Assert.Contains("test loss peaks at h = 4 (0.3441; 0.3402 at h = 256)", v.Sentence);
        Assert.Contains(
            "no first descent (the smallest width h = 1 has the lowest test loss before the peak, 0.1521)",
            v.Sentence
        );
        Assert.Contains(
            "second descent (test loss h = 4 > h = 256): too few seeds to tell (n = 2 < 3) (mean difference 0.0039,",
            v.Sentence
        );
        var second = v.Differences!.Single(d => d.Claim.StartsWith("second descent"));
        Assert.True(second.Low < 0 && second.High > 0); // even the 2-seed interval contains 0
    }

    // Issue 29: seed 2 (h = 2, 4, 8, 256) and seed 3 (h = 4, 256) of the same preset fell 14 % and 20 % from h = 4 to
    // h = 256, and seed 2 peaked at h = 2. Hand-made values with those falls: seed 2 0.3700 (h = 2), 0.3600 → 0.3096,
    // 0.3400 (h = 8); seed 3 0.3300 → 0.2640.
    private static readonly Dictionary<(int h, long seed), DoubleDescentSeed> IssueSeeds = new()
    {
        [(2, 2)] = new(0.3700, 70.0, 250.0),
        [(4, 2)] = new(0.3600, 85.0, 262.0),
        [(8, 2)] = new(0.3400, 84.0, 238.0),
        [(256, 2)] = new(0.3096, 85.0, 231.0),
        [(4, 3)] = new(0.3300, 85.0, 266.0),
        [(256, 3)] = new(0.2640, 85.6, 229.0),
    };

    [Fact]
    public void TheShippedSecondDescentWithTheIssuesTwoMoreSeedsIsNotDistinguishableFromSeedNoise()
    {
        var v = DoubleDescentSummary.Verdict(ShippedWidths(IssueSeeds));
        output.WriteLine(v.Sentence);
        Assert.False(v.Shown, v.Sentence);
        var second = v.Differences!.Single(d => d.Claim.StartsWith("second descent"));
        Assert.Equal(4, second.Seeds);
        Assert.Equal(SeedVerdict.Noise, second.Verdict);
        // per-seed falls 0.0228, −0.0150, 0.0504, 0.0660; scipy: t.interval(0.95, 3, loc, scale) = (−0.025467, 0.087567)
        Assert.Equal(-0.025467101478326017, second.Low, 1e-9);
        Assert.Equal(0.08756710147832603, second.High, 1e-9);
        Assert.Contains(
            "second descent (test loss h = 4 > h = 256): not distinguishable from seed noise (mean difference 0.0311, seed-to-seed s.d. 0.0355, 95 % interval [-0.0255, 0.0876] over 4 seeds)",
            v.Sentence
        );
    }

    [Fact]
    public void MustFailControl_TheSameSecondDescentWithoutItsSpreadWouldHold()
    {
        // every seed given the mean fall (0.03105): the spread, not the mean, is what makes it noise above
        var noSpread = IssueSeeds.ToDictionary(kv => kv.Key, kv => kv.Value);
        var ws = ShippedWidths(IssueSeeds);
        var h4 = ws.Single(w => w.Width == 4).BySeed!;
        var h256 = ws.Single(w => w.Width == 256).BySeed!;
        double fall = h4.Keys.Average(k => h4[k].TestLoss - h256[k].TestLoss);
        foreach (var k in h4.Keys)
            noSpread[(256, k)] = h256[k] with { TestLoss = h4[k].TestLoss - fall };
        var v = DoubleDescentSummary.Verdict(ShippedWidths(noSpread));
        var second = v.Differences!.Single(d => d.Claim.StartsWith("second descent"));
        Assert.Equal(SeedVerdict.Holds, second.Verdict);
        Assert.Equal(0.03105, second.Mean, 1e-12);
    }

    private static IReadOnlyDictionary<string, string> Row(
        string run,
        int h,
        string step,
        string quantity,
        string split,
        double value
    ) =>
        new Dictionary<string, string>
        {
            ["run"] = run,
            ["width"] = h.ToString(CultureInfo.InvariantCulture),
            ["parameters"] = (66 * h + 1).ToString(CultureInfo.InvariantCulture),
            ["step"] = step,
            ["quantity"] = quantity,
            ["split"] = split,
            ["value"] = value.ToString("R", CultureInfo.InvariantCulture),
        };

    [Fact]
    public void TheSummaryTakesEachRunsLastStepAndAveragesOverSeeds()
    {
        var rows = new[]
        {
            Row("h4_s0", 4, "", "labels_flipped", "", 20),
            Row("h4_s0", 4, "10", "loss", "test", 9.0), // not the last step of h4_s0
            Row("h4_s0", 4, "20", "loss", "test", 0.2),
            Row("h4_s0", 4, "20", "gate_passed", "", 1),
            Row("h4_s1", 4, "30", "loss", "test", 0.4), // a seed that ran longer
            Row("h4_s1", 4, "30", "gate_passed", "", 0),
            Row("h2_s0", 2, "5", "effective_parameters", "train", 33),
        };
        var ws = DoubleDescentSummary.Widths(rows);
        Assert.Equal([2, 4], ws.Select(w => w.Width));
        Assert.Equal(265, ws[1].Parameters);
        Assert.Equal(2, ws[1].Seeds);
        Assert.Equal(0.3, ws[1].TestLoss, 15);
        Assert.Equal(0.5, ws[1].GatePassed);
        Assert.Equal(33, ws[0].PTrain);
        Assert.True(double.IsNaN(ws[0].TestLoss));
    }
}
