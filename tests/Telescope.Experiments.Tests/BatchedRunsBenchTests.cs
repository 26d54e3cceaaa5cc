using Telescope.Experiments.Benchmarks;
using Xunit;

namespace Telescope.Tests;

/// <summary><c>bench batched-runs</c> at a tiny size: both sides train the same runs, and the bench says how far apart they are.</summary>
public class BatchedRunsBenchTests
{
    [Theory]
    [InlineData("seeds")]
    [InlineData("replays")]
    public void BothSidesTrainTheSameRunsAndTheRatioIsMeasured(string share)
    {
        var c = new BatchedRunsBenchConfig(
            Runs: 3,
            Steps: 4,
            BatchSize: 8,
            TrainRows: 30,
            GroupSize: 2,
            Data: "synthetic",
            Share: share
        )
        {
            Hidden = [6, 5],
        };
        var sink = new ObservationList();
        var r = BatchedRunsBench.Run(sink, c, BatchedRunsBench.Synthetic10(c.TrainRows));
        Assert.True(r["max_relative_difference"] <= 1e-12, $"{r["max_relative_difference"]}");
        Assert.Equal(0, r["failed_runs"]);
        Assert.True(r["throughput_ratio"] > 0 && double.IsFinite(r["throughput_ratio"]));
        Assert.Contains(sink.Items, o => o.Quantity == "cpu_throughput_ratio");
        var plan = BatchedRunsBench.Plan(c);
        Assert.Equal(share == "replays", plan.Runs.All(x => x.InitSeed == 0 && x.DataSeed == 0));
    }

    [Fact]
    public void SyntheticDataSaysItIsSynthetic() =>
        Assert.Contains("synthetic", BatchedRunsBench.Synthetic10(20).Source);
}
