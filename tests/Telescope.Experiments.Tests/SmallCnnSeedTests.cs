using Telescope.Experiments.Studies.Lmc;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Telescope.Tests;

/// <summary>
/// lmc's CNNs are initialised from libtorch's global generator: a build on one thread must get the weights of its own
/// seed while other threads of the process build theirs (two lmc studies in one script, sweep or stress run).
/// </summary>
public sealed class SmallCnnSeedTests
{
    private static double[] Weights(nn.Module<Tensor, Tensor> m) =>
        [
            .. m.parameters()
                .SelectMany(p =>
                    p.detach().to_type(ScalarType.Float64).flatten().data<double>().ToArray()
                ),
        ];

    [Fact]
    public void BuildsOnSeveralThreadsAtOnceGetTheirOwnSeedsWeights()
    {
        Native.TorchRuntime.EnsureLoaded();
        long[] seeds = [0, 1, 2, 3];
        var alone = seeds.ToDictionary(s => s, s => Weights(SmallCnn.Build(true, 4, 8, s)));
        // the control: the seeds give different weights, so a build that drew from another's stream would show
        Assert.NotEqual(alone[0], alone[1]);
        var mismatches = 0;
        var threads = seeds
            .Select(s => new Thread(() =>
            {
                for (int i = 0; i < 25; i++)
                    if (!Weights(SmallCnn.Build(true, 4, 8, s)).SequenceEqual(alone[s]))
                        Interlocked.Increment(ref mismatches);
            }))
            .ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(0, mismatches);
    }
}
