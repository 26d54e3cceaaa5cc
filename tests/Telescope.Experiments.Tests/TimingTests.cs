using Telescope.Experiments.Benchmarks;
using Xunit;

namespace Telescope.Tests;

/// <summary>Interleaved timing: every round runs each method once, in order, and paired ratios are medians of per-round ratios.</summary>
public class TimingTests
{
    [Fact]
    public void Interleaved_runs_methods_in_turn_after_the_warm_up()
    {
        var calls = new List<char>();
        var t = Timing.Interleaved(
            [() => calls.Add('a'), () => calls.Add('b'), () => calls.Add('c')],
            rounds: 3,
            warmup: 2
        );
        Assert.Equal("abcabc" + "abcabcabc", new string(calls.ToArray()));
        Assert.Equal(3, t.Length);
        Assert.All(t, m => Assert.Equal(3, m.Length));
        Assert.All(t.SelectMany(m => m), s => Assert.True(s >= 0));
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            Timing.Interleaved([() => { }], rounds: 0)
        );
    }

    [Fact]
    public void MedianRatio_is_the_median_of_the_per_round_ratios_not_the_ratio_of_medians()
    {
        // A slow spell in round 3 falls on both methods (10, 10); round 2 is an outlier of a alone. Per-round
        // ratios {1, 10, 1} → 1, while the ratio of the medians is 10 / 1 = 10.
        double[] a = [1, 10, 10],
            b = [1, 1, 10];
        Assert.Equal(1.0, Timing.MedianRatio(a, b));
        Assert.Equal(10.0, Timing.MedianOf(a) / Timing.MedianOf(b));
        double[] c = [3, 8, 5],
            d = [1, 2, 4];
        Assert.Equal(3.0, Timing.MedianRatio(c, d)); // ratios {3, 4, 1.25}
        Assert.Throws<ArgumentException>(() => Timing.MedianRatio(a, [1.0, 2.0]));
    }
}
