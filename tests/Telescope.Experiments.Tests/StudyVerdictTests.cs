using System.Globalization;
using Telescope.Experiments.Studies;
using Telescope.Experiments.Studies.GbtVsNn;
using Telescope.Experiments.Studies.Grokking;
using Telescope.Experiments.Studies.Lmc;
using Telescope.Frames;
using Xunit;

namespace Telescope.Experiments.Tests;

/// <summary>
/// Each study's verdict on hand-made tidy rows (issue 29): a claimed difference outside the seed spread holds, the
/// same kind of difference inside it is "not distinguishable from seed noise", and a default's one or two seeds are
/// "too few seeds to tell"; plus the shipped double-descent map, whose rows must all agree with the rule.
/// </summary>
public sealed class StudyVerdictTests
{
    private static Dictionary<string, string> Row(params (string c, object v)[] cells) =>
        cells.ToDictionary(
            x => x.c,
            x => Convert.ToString(x.v, CultureInfo.InvariantCulture) ?? ""
        );

    // --- grokking: the delay between train loss and test loss reaching their log-midpoints ---------------------------

    private static readonly int[] Steps = [0, 10, 100, 500, 1000, 2000];

    // train loss 1 → 0.05 at step 10 → 0.01 at the end (midpoint √(1·0.01) = 0.1 reached at step 10); test loss 1 until
    // step `cross`, 0.05 from there, 0.01 at the end (midpoint reached at `cross`): the delay is cross − 10
    private static IEnumerable<IReadOnlyDictionary<string, string>> Grok(
        params int[] crossBySeed
    ) =>
        crossBySeed.SelectMany(
            (cross, seed) =>
                Steps.SelectMany(t =>
                    new[]
                    {
                        Row(
                            ("task", "polynomial"),
                            ("epsilon", "0.2"),
                            ("alpha", ""),
                            ("seed", seed),
                            ("step", t),
                            ("quantity", "loss"),
                            ("split", "train"),
                            (
                                "value",
                                t == 0 ? 1.0
                                : t == 2000 ? 0.01
                                : 0.05
                            )
                        ),
                        Row(
                            ("task", "polynomial"),
                            ("epsilon", "0.2"),
                            ("alpha", ""),
                            ("seed", seed),
                            ("step", t),
                            ("quantity", "loss"),
                            ("split", "test"),
                            (
                                "value",
                                t < cross ? 1.0
                                : t == 2000 ? 0.01
                                : 0.05
                            )
                        ),
                    }
                )
        );

    [Fact]
    public void TheMidpointStepIsTheFirstAtOrBelowTheGeometricMeanOfTheEnds()
    {
        // √(4·0.25) = 1: 2 > 1, 1 ≤ 1 at step 20
        Assert.Equal(20, GrokkingVerdict.MidpointStep([(0, 4), (10, 2), (20, 1), (30, 0.25)]));
        Assert.True(double.IsNaN(GrokkingVerdict.MidpointStep([(0, 1), (10, 2)]))); // did not fall
    }

    [Fact]
    public void AGrokkingDelayOutsideTheSpreadHoldsAndInsideItIsNoise()
    {
        var outside = GrokkingVerdict.Delays(Grok(500, 1000, 1000)).Single().Delay; // 490, 990, 990
        Assert.Equal(SeedVerdict.Holds, outside.Verdict);
        Assert.Equal((490 + 990 + 990) / 3.0, outside.Mean, 9);
        var inside = GrokkingVerdict.Delays(Grok(10, 10, 2000)).Single().Delay; // 0, 0, 1990
        Assert.Equal(SeedVerdict.Noise, inside.Verdict);
        Assert.Contains(
            "not distinguishable from seed noise",
            GrokkingVerdict.Sentence(Grok(10, 10, 2000))
        );
        // the default runs one seed: too few to tell
        Assert.Contains("too few seeds to tell (n = 1 < 3)", GrokkingVerdict.Sentence(Grok(1000)));
    }

    // --- lmc: the error barrier at the earliest spawn step, and its fall ----------------------------------------------

    private static IEnumerable<IReadOnlyDictionary<string, string>> Lmc(
        params (double early, double late)[] bySeed
    ) =>
        bySeed.SelectMany(
            (b, seed) =>
                new[]
                {
                    Row(
                        ("model", "cnn"),
                        ("seed", seed),
                        ("step", 0),
                        ("quantity", "error_barrier_max"),
                        ("value", b.early)
                    ),
                    Row(
                        ("model", "cnn"),
                        ("seed", seed),
                        ("step", 100),
                        ("quantity", "error_barrier_max"),
                        ("value", b.late)
                    ),
                    Row(
                        ("model", "cnn"),
                        ("seed", seed),
                        ("step", 100),
                        ("quantity", "child_error"),
                        ("value", 0.2)
                    ),
                }
        );

    [Fact]
    public void AnLmcBarrierOutsideTheSpreadHoldsAndInsideItIsNoise()
    {
        var outside = LmcVerdict.Claims(Lmc((0.08, 0.002), (0.10, 0.003), (0.09, 0.001)));
        Assert.Equal(2, outside.Count);
        Assert.All(outside, c => Assert.Equal(SeedVerdict.Holds, c.Verdict));
        Assert.Equal("model cnn: error barrier at t′ = 0 above 0", outside[0].Claim);
        Assert.Equal("model cnn: error barrier falls from t′ = 0 to t′ = 100", outside[1].Claim);
        // docs/trees-and-modes.md's no-BN barriers of seeds 0 and 1 (0.081 → 0.004, 0.020 → 0.002) and a third seed
        // without a barrier: the early barrier is inside the spread
        var inside = LmcVerdict.Claims(Lmc((0.081, 0.004), (0.020, 0.002), (0.0, 0.003)));
        Assert.All(inside, c => Assert.Equal(SeedVerdict.Noise, c.Verdict));
        // the same two seeds alone (the default runs one): too few to tell
        var two = LmcVerdict.Claims(Lmc((0.081, 0.004), (0.020, 0.002)));
        Assert.All(two, c => Assert.Equal(SeedVerdict.TooFewSeeds, c.Verdict));
    }

    // --- gbt-vs-nn: GBT ahead at p = 0, the NN's disadvantage growing, R_NN crossing 1 --------------------------------

    private static IEnumerable<IReadOnlyDictionary<string, string>> Gbt(
        params double[] rNnAtZero
    ) =>
        rNnAtZero.SelectMany(
            (r0, seed) =>
                new (double p, string q, double v)[]
                {
                    (0, "mse_nn", 0.146 + 0.003 * seed),
                    (0, "mse_gbt", 0.042),
                    (0, "relative_mse", 1.0),
                    (0, "r_nn", r0),
                    (0, "r_gbt", 0.66),
                    (0.8, "mse_nn", 0.558 - 0.01 * seed),
                    (0.8, "mse_gbt", 0.054),
                    (0.8, "relative_mse", 4.87 + 0.1 * seed),
                    (0.8, "r_nn", 2.82 - 0.05 * seed),
                    (0.8, "r_gbt", 0.82),
                }.Select(x =>
                    (IReadOnlyDictionary<string, string>)
                        Row(("p", x.p), ("seed", seed), ("quantity", x.q), ("value", x.v))
                )
        );

    [Fact]
    public void TheGbtVsNnCrossingOutsideTheSpreadHoldsAndInsideItIsNoise()
    {
        var outside = GbtVsNnVerdict.Claims(Gbt(0.92, 0.93, 0.94));
        Assert.Equal(5, outside.Count);
        Assert.All(outside, c => Assert.Equal(SeedVerdict.Holds, c.Verdict));
        var below = outside.Single(c => c.Claim.StartsWith("R_NN below 1"));
        Assert.Equal(0.07, below.Mean, 12);
        // R_NN at p = 0 scattered around the same mean 0.93 by ±0.35: "below 1" is inside the spread
        var inside = GbtVsNnVerdict.Claims(Gbt(0.58, 0.93, 1.28));
        Assert.Equal(
            SeedVerdict.Noise,
            inside.Single(c => c.Claim.StartsWith("R_NN below 1")).Verdict
        );
        Assert.Equal(0.07, inside.Single(c => c.Claim.StartsWith("R_NN below 1")).Mean, 12);
        // the default's two seeds: too few to tell, for every claim
        Assert.All(
            GbtVsNnVerdict.Claims(Gbt(0.92, 0.93)),
            c => Assert.Equal(SeedVerdict.TooFewSeeds, c.Verdict)
        );
    }

    // --- approximation: the telescoping error below the linearised error ---------------------------------------------

    private static string ApproximationTable(params (double tel, double lin)[] bySeed)
    {
        var path = Path.Combine(Path.GetTempPath(), $"telescope-verdict-{Guid.NewGuid():N}.csv");
        File.WriteAllText(
            path,
            "study,run,seed,step,split,example,output,setting,lr,quantity,value\n"
                + string.Concat(
                    bySeed.Select(
                        (x, seed) =>
                            Fmt($"s,r{seed},{seed},1,test,,,sgd,0.1,telescoping_error,{x.tel}\n")
                            + Fmt($"s,r{seed},{seed},1,test,,,sgd,0.1,linearised_error,{x.lin}\n")
                            + Fmt($"s,r{seed},{seed},1,test,,,sgd,0.1,accuracy,0.9\n")
                            + Fmt($"s,r{seed},{seed},1,,,,sgd,0.1,did_not_learn,0\n")
                    )
                )
        );
        return path;
    }

    private static string Fmt(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public void TheApproximationRatioOutsideTheSpreadHoldsAndInsideItIsNoise()
    {
        string outside = ApproximationTable((0.01, 0.5), (0.03, 0.9), (0.02, 0.8)); // ratios 50, 30, 40
        string inside = ApproximationTable((0.01, 0.5), (0.9, 0.03), (0.02, 0.8)); // 50, 1/30, 40
        string two = ApproximationTable((0.01, 0.5), (0.03, 0.9)); // the default's two seeds
        try
        {
            var o = Assert.Single(Studies.Approximation.ApproximationReport.Summarise(outside));
            Assert.Equal(SeedVerdict.Holds, o.LinAboveTel!.Verdict);
            Assert.Equal(
                (Math.Log10(50) + Math.Log10(30) + Math.Log10(40)) / 3,
                o.LinAboveTel.Mean,
                12
            );
            var i = Assert.Single(Studies.Approximation.ApproximationReport.Summarise(inside));
            Assert.Equal(SeedVerdict.Noise, i.LinAboveTel!.Verdict);
            var t = Assert.Single(Studies.Approximation.ApproximationReport.Summarise(two));
            Assert.Equal(SeedVerdict.TooFewSeeds, t.LinAboveTel!.Verdict);
            var w = new StringWriter();
            Studies.Approximation.ApproximationReport.PrintSummary(two, w);
            Assert.Contains("n=2<3", w.ToString().Split('\n').Single(l => l.StartsWith("sgd")));
        }
        finally
        {
            File.Delete(outside);
            File.Delete(inside);
            File.Delete(two);
        }
    }

    // --- the shipped double-descent map ---------------------------------------------------------------------------

    private static string RepoFile(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine([d.FullName, .. parts]);
            if (File.Exists(p))
                return p;
        }
        throw new FileNotFoundException(Path.Combine(parts));
    }

    [Fact]
    public void EveryRowOfTheShippedDoubleDescentMapAgreesWithTheSeedSpreadRule()
    {
        var rows = TidyTable
            .ReadRows(RepoFile("docs", "results", "double-descent-map.csv"))
            .ToList();
        Assert.NotEmpty(rows);
        foreach (var r in rows)
        {
            int seeds = r["seeds"].Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            string v = r["verdict"];
            if (r["shown"] == "1")
            {
                Assert.True(
                    seeds >= SeedSpread.MinimumSeeds,
                    $"{r["setting"]}: shown with {seeds} seed(s)"
                );
                Assert.StartsWith("Double descent shown with a valid lens", v);
            }
            else
                Assert.True(
                    v.StartsWith(
                        "Double descent with a valid lens NOT shown",
                        StringComparison.Ordinal
                    ) || v.StartsWith("Double descent not shown: ", StringComparison.Ordinal),
                    v
                );
            if (seeds < SeedSpread.MinimumSeeds && !v.StartsWith("Double descent not shown: ")) // (< 3 widths)
                Assert.Contains(
                    $"too few seeds to tell (n = {seeds} < {SeedSpread.MinimumSeeds})",
                    v,
                    StringComparison.OrdinalIgnoreCase
                );
        }
    }
}
