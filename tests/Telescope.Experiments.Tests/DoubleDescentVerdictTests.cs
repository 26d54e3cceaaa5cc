using System.Globalization;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Hosting;
using Xunit;

namespace Telescope.Core.Tests;

/// <summary>
/// The double-descent verdict, criterion by criterion, on hand-made per-width summaries whose answer is known by
/// construction; and the per-width summary on hand-made tidy rows (final step only, mean over seeds).
/// </summary>
public sealed class DoubleDescentVerdictTests
{
    // A textbook picture: interpolation from h = 8, test loss and p_test peak there, p_train rises, gate passes.
    private static readonly (int h, double accTr, double lossTe, double pTr, double pTe)[] Shape =
    [
        (2, 0.90, 0.20, 40, 100),
        (4, 0.97, 0.25, 55, 150),
        (8, 1.00, 0.30, 60, 190),
        (16, 1.00, 0.27, 62, 170),
        (32, 1.00, 0.24, 66, 140),
    ];

    private static List<DoubleDescentWidth> Widths(
        Func<
            int,
            (int h, double accTr, double lossTe, double pTr, double pTe),
            (int, double, double, double, double)
        >? edit = null,
        double[]? gate = null
    ) =>
        Shape
            .Select((s, i) => edit is null ? s : edit(i, s))
            .Select(
                (s, i) =>
                    new DoubleDescentWidth(
                        s.Item1,
                        66 * s.Item1 + 1,
                        2,
                        1000,
                        s.Item2,
                        0.01,
                        s.Item3,
                        0.7,
                        s.Item4,
                        s.Item5,
                        1e-4,
                        1e-4,
                        gate is null ? 1 : gate[i]
                    )
            )
            .ToList();

    [Fact]
    public void TheTextbookShapeIsShown()
    {
        var v = DoubleDescentSummary.Verdict(Widths());
        Assert.True(v.Shown, v.Sentence);
        Assert.StartsWith("Double descent shown with a valid lens", v.Sentence);
        Assert.Contains("interpolation (train accuracy ≥ 0.99) from h = 8", v.Sentence);
        Assert.Contains("test loss peaks at h = 8 (0.3000; 0.2400 at h = 32)", v.Sentence);
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
            Widths((i, s) => (s.h, s.accTr, s.lossTe, i == 4 ? 59.9 : s.pTr, s.pTe))
        );
        Assert.False(v.PTrainRises);
        Assert.False(v.Shown);
        Assert.Contains("p_train at the largest width ≥ at the peak", v.Sentence);
    }

    [Fact]
    public void TwoWidthsCannotShowAnInteriorPeak()
    {
        var v = DoubleDescentSummary.Verdict(Widths().Take(2).ToList());
        Assert.False(v.Shown);
        Assert.Contains("needs at least 3", v.Sentence);
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
