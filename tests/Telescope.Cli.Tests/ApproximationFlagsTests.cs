using System.Globalization;
using Telescope.Data;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.Approximation;
using Telescope.Frames;
using Telescope.Hosting;
using Telescope.Native;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The approximation study writes each run's health flags into its table, at the run's last step; recomputed here
/// from the table's own numbers and the test labels (the constant predictor's accuracy counted from the data), they
/// agree. A learning rate that sends the loss to infinity is flagged diverged.
/// </summary>
public sealed class ApproximationFlagsTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-flags");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    [Fact]
    public void TheFlagsInTheTableAreTheVerdictOnTheTablesOwnNumbers()
    {
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(1);
        var cfg = new ApproximationConfig
        {
            Dataset = "synthetic",
            Steps = 30,
            TrainSize = 60,
            TestSize = 40,
            Seeds = [0, 1],
            // 1e-4: barely moves (likely flagged); 0.5: learns; 40: blows up
            Settings = ApproximationConfig.SettingsFor(["sgd"], [1e-4, 0.5, 40], null, false),
        };
        var outcome = StudyRunner.Run(new ApproximationStudy(cfg), _dir, threads, cfg.Seeds);
        var rows = TidyTable.ReadRows(outcome.Table).ToList();
        var (_, test) = BinaryDigits.Synthetic(cfg.TrainSize, cfg.TestSize, cfg.DataSeed);
        double constant =
            Math.Max(test.Labels.Count(l => l == 1), test.Labels.Count(l => l == 0))
            / (double)test.Count;
        double N(IReadOnlyDictionary<string, string> r, string c) =>
            double.Parse(r[c], NumberStyles.Float, CultureInfo.InvariantCulture);
        int diverged = 0;
        foreach (var run in rows.GroupBy(r => r["run"]))
        {
            var list = run.ToList();
            double last = list.Where(r => r["split"] != "").Max(r => N(r, "step"));
            double V(string split, string q, double step) =>
                list.Where(r => r["split"] == split && r["quantity"] == q && N(r, "step") == step)
                    .Select(r => N(r, "value"))
                    .DefaultIfEmpty(double.NaN)
                    .Single();
            var flags = list.Where(r => RunFlags.All.Any(f => f.Quantity == r["quantity"]))
                .ToList();
            Assert.Equal(3, flags.Count); // one row per flag, split empty, at the last step
            Assert.All(flags, f => Assert.Equal("", f["split"]));
            double flagStep = N(flags[0], "step");
            bool failed = outcome.Runs.Single(s => s.Run == run.Key).Status == "failed";
            double end = failed ? flagStep : last;
            bool expectDiverged =
                failed || !(V("train", "loss", end) <= 10 * V("train", "loss", 0));
            bool expectNotLearned =
                !expectDiverged
                && (
                    !(V("test", "accuracy", end) > constant + 0.02)
                    || !(V("train", "loss", end) < V("train", "loss", 0))
                );
            bool expectTel = !(V("test", "telescoping_error", end) <= 1);
            double F(string q) => N(flags.Single(f => f["quantity"] == q), "value");
            Assert.Equal(expectNotLearned ? 1 : 0, F(RunFlags.DidNotLearn));
            Assert.Equal(expectDiverged ? 1 : 0, F(RunFlags.Diverged));
            Assert.Equal(expectTel ? 1 : 0, F(RunFlags.TelescopedDiverged));
            if (run.Key.StartsWith("sgd_lr40_"))
            {
                Assert.Equal(1, F(RunFlags.Diverged));
                diverged++;
            }
            if (run.Key.StartsWith("sgd_lr0.5_"))
                Assert.Equal(0, F(RunFlags.DidNotLearn) + F(RunFlags.Diverged));
        }
        Assert.Equal(2, diverged);
    }
}
