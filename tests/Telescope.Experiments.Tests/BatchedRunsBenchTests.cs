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
        Assert.True(
            r["throughput_ratio_ceiling"] > 0 && double.IsFinite(r["throughput_ratio_ceiling"])
        );
        Assert.True(r["seconds_gemm_probe"] > 0);
        var plan = BatchedRunsBench.Plan(c);
        Assert.Equal(share == "replays", plan.Runs.All(x => x.InitSeed == 0 && x.DataSeed == 0));
    }

    [Fact]
    public void GemmFlopsCountsEveryProductOfAStep()
    {
        // widths 3–2–1, batch 4, counted by hand: forward [4,3]·[3,2] and [4,2]·[2,1] (2·4·3·2 + 2·4·2·1 = 64),
        // weight gradients [2,4]·[4,3] and [1,4]·[4,2] (64), input gradient of the second layer [4,1]·[1,2] (16)
        Assert.Equal(144.0, BatchedRunsBench.GemmFlops([3, 2, 1], 4));
        // a wider first layer adds only its forward and weight-gradient products: 2 · 2·4·1·2 = 32 more
        Assert.Equal(176.0, BatchedRunsBench.GemmFlops([4, 2, 1], 4));
    }

    [Fact]
    public void SyntheticDataSaysItIsSynthetic() =>
        Assert.Contains("synthetic", BatchedRunsBench.Synthetic10(20).Source);
}
