using Telescope.Experiments.Studies;
using Xunit;

namespace Telescope.Experiments.Tests;

/// <summary>
/// The seed-spread rule (issue 29): its Student-t quantiles and intervals pinned against scipy, its four verdicts on
/// samples whose answer is known by construction, and a must-fail control (the normal quantile in place of t).
/// </summary>
public sealed class SeedSpreadTests
{
    // scipy.stats.t.ppf((1 + c)/2, df) from Debian's python3-scipy 1.10.1 (an independent implementation), printed with
    // /usr/bin/python3 -c 'import scipy.stats as s; print([repr(float(s.t.ppf((1+c)/2, df))) for df in (1,2,3,4,5,9,29,100)])'
    public static TheoryData<int, double, double> Quantiles =>
        new()
        {
            { 1, 0.95, 12.706204736432095 },
            { 2, 0.95, 4.302652729911275 },
            { 3, 0.95, 3.182446305284263 },
            { 4, 0.95, 2.7764451051977987 },
            { 5, 0.95, 2.5705818366147395 },
            { 9, 0.95, 2.2621571627409915 },
            { 29, 0.95, 2.045229642132703 },
            { 100, 0.95, 1.9839715184496334 },
            { 1, 0.90, 6.313751514800932 },
            { 3, 0.90, 2.3533634348018264 },
            { 29, 0.90, 1.6991270265334972 },
            { 1, 0.99, 63.65674116287399 },
            { 3, 0.99, 5.84090929975643 },
            { 100, 0.99, 2.6258905205863337 },
        };

    [Theory]
    [MemberData(nameof(Quantiles))]
    public void TheTQuantileIsScipys(int df, double confidence, double scipy) =>
        Assert.Equal(scipy, SeedSpread.TQuantile(df, confidence), 1e-8 * scipy); // MathNet inverts the CDF to ~1e-9 relative

    [Fact]
    public void TheDeclaredRuleIsA95PercentIntervalOverAtLeastThreeSeeds()
    {
        Assert.Equal(0.95, SeedSpread.Confidence);
        Assert.Equal(3, SeedSpread.MinimumSeeds);
    }

    [Fact]
    public void TheIntervalIsScipys()
    {
        // scipy: m = mean(d); sd = std(d, ddof=1); s.t.interval(0.95, 3, loc=m, scale=sd/2)
        //   → (-0.025467101478326017, 0.08756710147832603), sd 0.03551802359366298
        var d = SeedSpread.OfDifferences("x", [0.0228, -0.015, 0.0504, 0.066]);
        Assert.Equal(4, d.Seeds);
        Assert.Equal(0.03105, d.Mean, 1e-12);
        Assert.Equal(0.03551802359366298, d.Spread, 1e-12);
        Assert.Equal(-0.025467101478326017, d.Low, 1e-12);
        Assert.Equal(0.08756710147832603, d.High, 1e-12);
        Assert.Equal(SeedVerdict.Noise, d.Verdict);
        Assert.Equal(
            "x: not distinguishable from seed noise (mean difference 0.0311, seed-to-seed s.d. 0.0355, 95 % interval [-0.0255, 0.0876] over 4 seeds)",
            d.Sentence()
        );
    }

    [Fact]
    public void ADifferenceOutsideTheSpreadHoldsAndItsMirrorIsTheOpposite()
    {
        // mean 0.06, s.d. 0.01, half-width 4.302652729911275·0.01/√3 = 0.024841…: [0.0352, 0.0848]
        var up = SeedSpread.OfDifferences("up", [0.05, 0.06, 0.07]);
        Assert.Equal(SeedVerdict.Holds, up.Verdict);
        Assert.Equal(0.06 - 4.302652729911275 * 0.01 / Math.Sqrt(3), up.Low, 1e-12);
        Assert.StartsWith("up: holds (", up.Sentence());
        var down = SeedSpread.OfDifferences("down", [-0.05, -0.06, -0.07]);
        Assert.Equal(SeedVerdict.Opposite, down.Verdict);
        Assert.StartsWith("down: the opposite holds (", down.Sentence());
    }

    [Fact]
    public void TheSameMeanInsideALargerSpreadIsNoise()
    {
        var d = SeedSpread.OfDifferences("x", [0.0, 0.06, 0.12]); // mean 0.06, s.d. 0.06: [−0.089, 0.209]
        Assert.Equal(0.06, d.Mean, 1e-12);
        Assert.Equal(SeedVerdict.Noise, d.Verdict);
    }

    [Fact]
    public void FewerThanThreeSeedsAreTooFewEvenWhenTheyAgree()
    {
        var two = SeedSpread.OfDifferences("x", [0.06, 0.0601]);
        Assert.Equal(SeedVerdict.TooFewSeeds, two.Verdict);
        Assert.True(two.Low > 0); // the 2-seed interval excludes 0, still too few to call
        Assert.Contains("too few seeds to tell (n = 2 < 3)", two.Sentence());
        var one = SeedSpread.OfDifferences("x", [0.06, double.NaN]);
        Assert.Equal(1, one.Seeds);
        Assert.Equal(
            "x: too few seeds to tell (n = 1 < 3) (difference 0.0600 from 1 seed, no spread)",
            one.Sentence()
        );
    }

    [Fact]
    public void PairingUsesTheSeedsPresentAtBothSettings()
    {
        var a = new Dictionary<long, double>
        {
            [0] = 1.0,
            [1] = 2.0,
            [2] = 3.0,
            [7] = 9.0,
        };
        var b = new Dictionary<long, double>
        {
            [2] = 2.5,
            [1] = 1.5,
            [0] = 0.5,
        };
        var d = SeedSpread.Paired("a > b", a, b);
        Assert.Equal(3, d.Seeds);
        Assert.Equal(0.5, d.Mean, 15);
        Assert.Equal(0, d.Spread, 15);
        Assert.Equal(SeedVerdict.Holds, d.Verdict);
    }

    [Fact]
    public void MustFailControl_TheNormalQuantileInPlaceOfTCallsANoisyDifferenceAHolding()
    {
        // differences 0.02, 0.03, 0.10: mean 0.05, s.d. 0.043589, s.e. 0.025166; t(2) = 4.3027 gives [−0.058, 0.158]
        // (noise) while the normal quantile 1.96 would give [0.0007, 0.099] ("holds"): the rule must use t
        double[] xs = [0.02, 0.03, 0.10];
        var d = SeedSpread.OfDifferences("x", xs);
        Assert.Equal(SeedVerdict.Noise, d.Verdict);
        double se = d.Spread / Math.Sqrt(3);
        Assert.True(d.Mean - 1.959963984540054 * se > 0); // scipy.stats.norm.ppf(0.975)
        Assert.NotEqual(1.959963984540054, SeedSpread.TQuantile(2), 1e-3);
    }
}
