using Telescope.Hosting;

namespace Telescope.Tests;

/// <summary>
/// The lifetime rule (<see cref="Lifetimes"/>): an engine entry point called outside any dispose scope makes no tensor
/// outside one, so no temporary can be finalised while libtorch reads it (the SIGSEGV in clamp_min). TorchSharp counts,
/// per thread, the tensors created with no dispose scope open; each test reads that count around one call, on a
/// fresh thread with no scope. The control shows the count sees the unsafe pattern the crash came from.
/// </summary>
public sealed class LifetimesTests
{
    /// <summary>Tensors created outside any dispose scope by <paramref name="call"/>, on a thread of its own (the setup
    /// runs first and is not counted).</summary>
    private static long CreatedOutsideScopes(Func<Action> setup)
    {
        long count = -1;
        Exception? error = null;
        var t = new Thread(() =>
        {
            try
            {
                var call = setup();
                var stats = DisposeScopeManager.Statistics.TensorStatistics;
                stats.Reset();
                call();
                count = stats.CreatedOutsideScopeCount;
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        t.Start();
        t.Join();
        if (error is not null)
            throw new Xunit.Sdk.XunitException($"the call failed: {error}");
        return count;
    }

    private static readonly int[] Shape = [16];

    public static TheoryData<string> Models => new() { "linear", "mlp" };

    private static ModelSpec Spec(string model) =>
        model switch
        {
            "linear" => new ModelSpec(ModelKind.Linear, [32]),
            _ => new ModelSpec(ModelKind.Mlp, [32, 32]),
        };

    [Fact]
    public void TheCountSeesATemporaryMadeOutsideAScope()
    {
        Native.TorchRuntime.EnsureLoaded();
        // the crash's pattern: relu(x Rᵀ) with the product a temporary and no scope open
        long n = CreatedOutsideScopes(() =>
        {
            var x = Fixtures.Inputs(1, 50, 16);
            var r = Fixtures.Inputs(2, 32, 16);
            return () => nn.functional.relu(x.matmul(r.t())).Dispose();
        });
        Assert.True(
            n >= 2,
            $"the control made {n} tensors outside a scope; expected the product and the transpose"
        );
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void ForwardMakesNoTensorOutsideAScope(string model)
    {
        Native.TorchRuntime.EnsureLoaded();
        long n = CreatedOutsideScopes(() =>
        {
            var net = Fixtures.Net(Spec(model), Shape);
            var x = Fixtures.Inputs(1, 50, 16);
            return () => net.Forward(x).Dispose();
        });
        Assert.Equal(0, n);
    }

    [Theory]
    [InlineData("linear", 1)]
    [InlineData("mlp", 1)]
    [InlineData("linear", 2)]
    [InlineData("mlp", 2)]
    public void TangentMakesNoTensorOutsideAScope(string model, int threads)
    {
        Native.TorchRuntime.EnsureLoaded();
        long rows = 3 * RowWorkers.MinRowsPerBlock; // enough rows for row blocks at two threads
        long n = CreatedOutsideScopes(() =>
        {
            set_num_threads(threads);
            Assert.Equal(threads, RowWorkers.BlocksFor(rows, CPU));
            var net = Fixtures.Net(Spec(model), Shape);
            var x = Fixtures.Inputs(1, rows, 16);
            var theta = net.Snapshot();
            var v = Fixtures.Direction(net, 4);
            return () =>
            {
                var (f, jvp) = net.Tangent(x, theta, v);
                f.Dispose();
                jvp.Dispose();
            };
        });
        set_num_threads(2);
        Assert.Equal(0, n);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void TrajectoryRunMakesNoTensorOutsideAScope(string model)
    {
        Native.TorchRuntime.EnsureLoaded();
        long n = CreatedOutsideScopes(() =>
        {
            var (train, test) = Fixtures.Data();
            var net = Fixtures.Net(Spec(model), Shape);
            var cfg = new TrajectoryConfig(
                6,
                20,
                LossKind.Squared,
                new OptimizerSpec(OptimizerKind.Adam, 1e-3),
                0
            );
            return () =>
                Trajectory.Run(net, train, Probe.Of(train, test), cfg, new ObservationList());
        });
        Assert.Equal(0, n);
    }

    [Fact]
    public void AStudyRunExecutedByAHostMakesNoTensorOutsideAScope()
    {
        Native.TorchRuntime.EnsureLoaded();
        // a run whose own code makes temporaries with no scope of its own (the crash's pattern)
        static StudyRun Unscoped(Tensor x, Tensor r) =>
            new(
                new RunKey("lifetimes", "r", 0, []),
                1,
                _ =>
                {
                    nn.functional.relu(x.matmul(r.t())).Dispose();
                    return new TrajectoryResult(1, null, null, new Dictionary<string, double>());
                }
            );
        long executed = CreatedOutsideScopes(() =>
        {
            var run = Unscoped(Fixtures.Inputs(1, 50, 16), Fixtures.Inputs(2, 32, 16));
            return () => run.Execute(new RunContext(new ObservationList(), _ => { }, default));
        });
        long direct = CreatedOutsideScopes(() =>
        {
            var run = Unscoped(Fixtures.Inputs(1, 50, 16), Fixtures.Inputs(2, 32, 16));
            return () => run.Run(new RunContext(new ObservationList(), _ => { }, default));
        });
        Assert.Equal(0, executed);
        Assert.True(
            direct >= 2,
            $"the control (Run, not Execute) made {direct} tensors outside a scope"
        );
    }
}
