using Telescope.Data;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;
using Telescope.Experiments.Studies.Approximation;
using Telescope.Frames;
using Telescope.Hosting;
using Xunit;

namespace Telescope.Core.Tests;

/// <summary>
/// Honest summaries (issue 15): the run verdict on hand-made numbers whose answer is known by construction, the
/// per-run summary of a hand-written tidy table, the approximation summary leaving a flagged seed out of its means,
/// and the default thread plan.
/// </summary>
public sealed class RunHealthTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-health-" + Guid.NewGuid().ToString("N")
    );

    public RunHealthTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, true);

    // A run that learned: accuracy 0.90 against a constant predictor's 0.55, loss 0.25 → 0.05, f̃ within 0.01.
    private static RunHealth Judge(
        double acc = 0.90,
        double constant = 0.55,
        double start = 0.25,
        double end = 0.05,
        double tel = 0.01,
        bool failed = false
    ) => RunHealth.Judge(acc, constant, start, end, tel, failed);

    [Fact]
    public void AHealthyRunHasNoFlag()
    {
        var h = Judge();
        Assert.True(h.Healthy);
        Assert.Empty(h.Flags);
    }

    [Theory]
    [InlineData(0.55, 0.25, 0.05)] // accuracy of the constant predictor
    [InlineData(0.57, 0.25, 0.05)] // within the 0.02 margin
    [InlineData(0.90, 0.25, 0.25)] // loss never fell below its start
    [InlineData(0.90, 0.25, 0.30)] // loss rose (but not tenfold)
    public void ARunAtTheConstantPredictorOrWithoutLossProgressDidNotLearn(
        double acc,
        double start,
        double end
    )
    {
        var h = Judge(acc: acc, start: start, end: end);
        Assert.Equal(new RunHealth(true, false, false), h);
        Assert.Equal(["did not learn"], h.Flags);
    }

    [Fact]
    public void JustAboveTheMarginLearned() => Assert.True(Judge(acc: 0.55 + 0.021).Healthy);

    [Theory]
    [InlineData(2.6, false)] // > 10 × 0.25
    [InlineData(double.NaN, false)]
    [InlineData(double.PositiveInfinity, false)]
    [InlineData(0.05, true)] // a run stopped by a non-finite loss
    public void ALossThatBlewUpOrARunThatFailedDiverged(double end, bool failed)
    {
        var h = Judge(end: end, failed: failed);
        Assert.True(h.Diverged);
        Assert.False(h.DidNotLearn);
        Assert.Contains("diverged", h.Flags);
    }

    [Fact]
    public void TenfoldIsTheEdgeOfDivergence() => Assert.False(Judge(end: 2.5, acc: 0.2).Diverged);

    [Theory]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void ATelescopedModelBeyondTheLabelScaleDiverged(double tel)
    {
        var h = Judge(tel: tel);
        Assert.Equal(new RunHealth(false, false, true), h);
        Assert.Equal(["f̃ diverged"], h.Flags);
    }

    [Fact]
    public void TheConstantPredictorScoresTheMajorityClassFrequency()
    {
        var d = new Dataset("t", "test", [1], [0, 0, 0, 0, 0], [0, 1, 1, 0, 1], 2);
        Assert.Equal(0.6, RunHealth.ConstantAccuracy(d), 12);
    }

    private string Table(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ARunSummaryAveragesStepsFromOneOnAndReadsTheLastStepAndTheFlags()
    {
        var path = Table(
            "runs.csv",
            """
            study,run,seed,step,split,example,output,setting,lr,quantity,value
            s,a,0,0,test,,,sgd,0.1,telescoping_error,100
            s,a,0,1,test,,,sgd,0.1,telescoping_error,2
            s,a,0,2,test,,,sgd,0.1,telescoping_error,4
            s,a,0,2,test,3,,sgd,0.1,telescoping_error,1000
            s,a,0,1,train,,,sgd,0.1,telescoping_error,50
            s,a,0,2,,,,sgd,0.1,did_not_learn,1
            s,a,0,2,,,,sgd,0.1,diverged,0
            s,b,1,1,test,,,sgd,0.1,telescoping_error,7
            """
        );
        var runs = RunSummary.Of(TidyTable.ReadRows(path), ["setting", "lr", "seed"], "test");
        Assert.Equal(2, runs.Count);
        Assert.Equal(3, runs[0].MeanOf("telescoping_error"), 12); // (2 + 4) / 2: step 0, train and the example left out
        Assert.Equal(4, runs[0].FinalOf("telescoping_error"), 12);
        Assert.True(runs[0].Flag(RunFlags.DidNotLearn));
        Assert.False(runs[0].Flag(RunFlags.Diverged));
        Assert.False(runs[1].Flag(RunFlags.DidNotLearn));
        Assert.Equal(7, runs[1].FinalOf("telescoping_error"), 12);
        Assert.Equal("1", runs[1].Key["seed"]);
    }

    private static string Run(string seed, double tel, double lin, double acc, int didNotLearn) =>
        string.Join(
            "\n",
            new[]
            {
                $"s,r{seed},{seed},1,test,,,sgd,0.1,telescoping_error,{tel}",
                $"s,r{seed},{seed},1,test,,,sgd,0.1,linearised_error,{lin}",
                $"s,r{seed},{seed},1,test,,,sgd,0.1,accuracy,{acc}",
                $"s,r{seed},{seed},1,,,,sgd,0.1,did_not_learn,{didNotLearn}",
            }
        );

    [Fact]
    public void TheApproximationSummaryLeavesAFlaggedSeedOutOfItsMeansAndNamesIt()
    {
        var path = Table(
            "approximation.csv",
            "study,run,seed,step,split,example,output,setting,lr,quantity,value\n"
                + Run("0", 0.01, 0.5, 0.9, 0)
                + "\n"
                + Run("1", 0.03, 0.9, 0.7, 0)
                + "\n"
                + Run("2", 1e-6, 1e-3, 0.5, 1)
                + "\n"
        );
        var line = Assert.Single(ApproximationReport.Summarise(path));
        Assert.Equal((3, 2), (line.Seeds, line.Averaged));
        Assert.Equal(0.02, line.TelMean, 12);
        Assert.Equal(0.7, line.LinMean, 12);
        Assert.Equal(0.8, line.Acc, 12);
        // per-seed ratios 0.5 / 0.01 = 50 and 0.9 / 0.03 = 30; the flagged seed's 1000 is not in the range
        Assert.Equal(30, line.RatioLow, 9);
        Assert.Equal(50, line.RatioHigh, 9);
        Assert.Equal("seed 2: did not learn", line.Flags);
        var w = new StringWriter();
        ApproximationReport.PrintSummary(path, w);
        Assert.Contains("1 of 3 runs flagged and left out of the means", w.ToString());
        Assert.Contains("2/3", w.ToString());
    }

    [Fact]
    public void AllFlaggedLinesShowNoRatio()
    {
        var path = Table(
            "flagged.csv",
            "study,run,seed,step,split,example,output,setting,lr,quantity,value\n"
                + Run("0", 1e-6, 1e-3, 0.5, 1)
                + "\n"
        );
        var line = Assert.Single(ApproximationReport.Summarise(path));
        Assert.True(line.Flagged);
        var w = new StringWriter();
        ApproximationReport.PrintSummary(path, w);
        var row = w.ToString().Split('\n').Single(l => l.StartsWith("sgd"));
        Assert.Contains("—", row);
        Assert.DoesNotContain("1000.0", row);
        Assert.Contains("ALL FLAGGED — seed 0: did not learn", row);
    }

    [Theory]
    [InlineData(24, 0, 0, true, 2, 1, 2)] // a grid: one thread per run, two at once
    [InlineData(1, 0, 0, true, 2, 2, 1)] // one run: both cores in it
    [InlineData(24, 2, 0, true, 2, 2, 1)] // --threads 2: room for one run
    [InlineData(24, 1, 0, true, 2, 1, 2)]
    [InlineData(24, 0, 1, true, 2, 2, 1)] // --parallel 1: the cores go to the run
    [InlineData(3, 0, 8, true, 2, 1, 3)] // never more runs at once than runs
    [InlineData(24, 0, 0, false, 2, 2, 1)] // a study whose runs share global state
    [InlineData(24, 0, 0, true, 8, 1, 8)]
    [InlineData(5, 0, 0, true, 16, 3, 5)] // ⌊16 / 5⌋ = 3 threads each
    public void TheDefaultThreadPlanSpendsTheCoresOnRuns(
        int runs,
        int threads,
        int parallel,
        bool inParallel,
        int cores,
        int expectThreads,
        int expectParallel
    ) =>
        Assert.Equal(
            new ThreadPlan(expectThreads, expectParallel),
            ThreadPlan.For(runs, threads, parallel, inParallel, cores)
        );

    [Fact]
    public void ThreadPlanProblemsNameTheOption()
    {
        Assert.Empty(ThreadPlan.Problems(0, 0));
        Assert.StartsWith("--parallel must be ≥ 0", Assert.Single(ThreadPlan.Problems(1, -1)));
        Assert.StartsWith(
            "--threads must be at most",
            Assert.Single(ThreadPlan.Problems(100_000, 1))
        );
    }
}
