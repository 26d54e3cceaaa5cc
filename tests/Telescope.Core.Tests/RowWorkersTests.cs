namespace Telescope.Tests;

/// <summary>
/// Row blocks on workers at one intra-op thread each (<see cref="RowWorkers"/>): the blocks tile the rows, the
/// blocked tangent pass is the unblocked one, a job's failure reaches the caller, and the caller's thread count
/// is left as it was.
/// </summary>
public sealed class RowWorkersTests
{
    [Theory]
    [InlineData(1000, 2)]
    [InlineData(7, 3)]
    [InlineData(256, 4)]
    public void BlocksTileTheRowsInOrder(long rows, int blocks)
    {
        long next = 0;
        for (int b = 0; b < blocks; b++)
        {
            var (start, length) = RowWorkers.Block(rows, blocks, b);
            Assert.Equal(next, start);
            Assert.True(length >= rows / blocks && length <= rows / blocks + 1);
            next = start + length;
        }
        Assert.Equal(rows, next);
    }

    [Fact]
    public void TheBlockedTangentPassIsTheWholeOne()
    {
        Native.TorchRuntime.EnsureLoaded();
        int before = get_num_threads();
        using var scope = NewDisposeScope();
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [64, 64]), [20], outputs: 3);
        var x = Fixtures.Inputs(3, 600, 20);
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, 4);
        try
        {
            set_num_threads(1);
            Assert.Equal(1, RowWorkers.BlocksFor(600, CPU));
            var (f1, j1) = net.Tangent(x, theta, v);
            set_num_threads(2);
            Assert.Equal(2, RowWorkers.BlocksFor(600, CPU));
            Assert.Equal(1, RowWorkers.BlocksFor(2 * RowWorkers.MinRowsPerBlock - 1, CPU));
            var (f2, j2) = net.Tangent(x, theta, v);
            var (f3, j3) = net.Tangent(x, theta, v);
            Assert.Equal(2, get_num_threads());
            // float64, rows computed independently: equal to rounding, and a repeat gives the same bits
            Assert.True(f2.allclose(f1, rtol: 1e-12, atol: 1e-12));
            Assert.True(j2.allclose(j1, rtol: 1e-12, atol: 1e-12));
            Assert.True(j3.eq(j2).all().item<bool>());
            Assert.False(j2.allclose(j2.flip(0), rtol: 1e-12, atol: 1e-12)); // the control: row order matters
        }
        finally
        {
            set_num_threads(before);
        }
    }

    [Fact]
    public void AFailingJobReachesTheCallerAndTheWorkersStayUsable()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            RowWorkers.Map<int>(2, b => b == 1 ? throw new InvalidOperationException("block 1") : b)
        );
        Assert.Equal("block 1", e.Message);
        Assert.Equal([0, 10, 20], RowWorkers.Map(3, b => 10 * b));
        // from inside a worker the blocks run there, in order
        var nested = RowWorkers.Map(2, b => RowWorkers.Map(2, c => 2 * b + c));
        Assert.Equal([0, 1], nested[0]);
        Assert.Equal([2, 3], nested[1]);
    }
}
