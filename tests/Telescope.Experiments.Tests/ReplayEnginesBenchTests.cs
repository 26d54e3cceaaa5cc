using Telescope.Experiments.Benchmarks;
using Xunit;

namespace Telescope.Tests;

/// <summary><c>bench replay-engines</c> at a tiny size: both engines replay the same removals, and the bench says how far apart they are.</summary>
public class ReplayEnginesBenchTests
{
    [Fact]
    public void BothEnginesReplayTheSameRemovalsAndTheRatioIsMeasured()
    {
        var c = new ReplayEnginesBenchConfig(Replays: 5, TrainRows: 30, TestRows: 4, Epochs: 2, BatchSize: 8, CheckpointEvery: 2, GroupSize: 2)
        {
            Hidden = [6, 5],
        };
        var data = BatchedRunsBench.Synthetic10(c.TrainRows + c.TestRows);
        var train = data.Take(Enumerable.Range(0, c.TrainRows).ToArray());
        var test = data.Take(Enumerable.Range(c.TrainRows, c.TestRows).ToArray());
        var sink = new ObservationList();
        var r = ReplayEnginesBench.Run(sink, c, train, test);
        Assert.True(r["max_relative_difference"] <= 1e-12, $"{r["max_relative_difference"]}");
        Assert.Equal(5, r["replays"]);
        Assert.True(r["throughput_ratio"] > 0 && double.IsFinite(r["throughput_ratio"]));
        Assert.Contains(sink.Items, o => o.Quantity == "cpu_throughput_ratio");
    }
}
