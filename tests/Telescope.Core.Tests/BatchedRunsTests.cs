namespace Telescope.Tests;

/// <summary>
/// Many runs trained as one batched program (<see cref="BatchedRuns.Train"/>) = each run trained alone by the
/// library's single-run path (<see cref="BatchedRuns.TrainAlone"/>: TrainingLoop, Optimizer, autograd) to round-off.
/// </summary>
public class BatchedRunsTests
{
    private const double Tolerance = 1e-12;

    static BatchedRunsTests() => _ = Fixtures.Data(); // the fixtures fix the thread count

    /// <summary>A k-class Gaussian mixture in [0,1]^d (k = 2: a binary task with one output).</summary>
    private static Dataset Mixture(int n, int d, int classes, long seed)
    {
        var rng = new Rng(seed, stream: 5);
        var mu = new double[classes * d];
        for (int i = 0; i < mu.Length; i++)
            mu[i] = 0.5 + 0.2 * rng.NextGaussian();
        var x = new double[n * d];
        var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            y[i] = rng.NextInt(classes);
            for (int j = 0; j < d; j++)
                x[i * d + j] = mu[y[i] * d + j] + 0.3 * rng.NextGaussian();
        }
        return new Dataset("mixture", "synthetic: test mixture", [d], x, y, classes).Validate();
    }

    /// <summary>Nine runs: every optimiser kind, shared and differing rates (scalar and per-run factors), weight decay, a schedule, warm-up and removed rows.</summary>
    private static BatchedRun[] Runs() =>
        [
            new(1, 11, new OptimizerSpec(OptimizerKind.Sgd, 0.1)),
            new(2, 12, new OptimizerSpec(OptimizerKind.Momentum, 0.05, Momentum: 0.9)),
            new(3, 13, new OptimizerSpec(OptimizerKind.Adam, 0.01, Beta2: 0.99)),
            new(4, 14, new OptimizerSpec(OptimizerKind.Sgd, 0.2, WeightDecay: 0.01))
            {
                Schedule = LearningRateSchedule.StepDecay(40, [0.5], [0.1]),
            },
            new(5, 15, new OptimizerSpec(OptimizerKind.Momentum, 0.02, Momentum: 0.8, Warmup: 5))
            {
                Removed = [0, 3, 7, 30, 31],
            },
            new(6, 16, new OptimizerSpec(OptimizerKind.Adam, 0.02, WeightDecay: 0.05)),
            new(7, 17, new OptimizerSpec(OptimizerKind.AdamW, 0.01, WeightDecay: 0.1)),
            new(8, 18, new OptimizerSpec(OptimizerKind.Nesterov, 0.03, Momentum: 0.9)),
            new(9, 19, new OptimizerSpec(OptimizerKind.EmaMomentum, 0.05, Beta1: 0.8)),
            new(10, 20, new OptimizerSpec(OptimizerKind.Sgd, 0.1)) { Removed = [1, 2] },
        ];

    private static (BatchedPlan plan, Dataset train) Setup(string loss, int groupSize)
    {
        var train = loss == "binary" ? Mixture(120, 12, 2, 0) : Mixture(120, 12, 3, 0);
        var kind = loss == "squared" ? LossKind.Squared : LossKind.CrossEntropy;
        return (
            new BatchedPlan(new ModelSpec(ModelKind.Mlp, [16, 8]), 40, 16, kind, Runs(), groupSize),
            train
        );
    }

    /// <summary>‖a − b‖_∞ / ‖b‖_∞.</summary>
    private static double Relative(Tensor a, Tensor b) =>
        a.sub(b).abs().max().item<double>()
        / Math.Max(b.abs().max().item<double>(), double.Epsilon);

    private static double Worst(BatchedRunResult a, BatchedRunResult b)
    {
        Assert.NotNull(a.Parameters);
        Assert.NotNull(b.Parameters);
        Assert.Equal(b.Parameters!.Length, a.Parameters!.Length);
        double worst = 0;
        for (int i = 0; i < a.Parameters.Length; i++)
        {
            Assert.Equal(b.Parameters[i].shape, a.Parameters[i].shape);
            worst = Math.Max(worst, Relative(a.Parameters[i], b.Parameters[i]));
        }
        for (int t = 0; t < a.Losses.Length; t++)
            worst = Math.Max(worst, Math.Abs(a.Losses[t] - b.Losses[t]) / Math.Abs(b.Losses[t]));
        return worst;
    }

    [Theory]
    [InlineData("softmax", 0)]
    [InlineData("softmax", 2)]
    [InlineData("squared", 16)]
    [InlineData("binary", 3)]
    public void EachRunEqualsTheSameRunTrainedAlone(string loss, int groupSize)
    {
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup(loss, groupSize);
        var batched = BatchedRuns.Train(plan, train);
        Assert.Equal(plan.Runs.Count, batched.Length);
        for (int r = 0; r < plan.Runs.Count; r++)
        {
            var alone = BatchedRuns.TrainAlone(plan, r, train);
            Assert.Null(alone.Failure);
            Assert.Null(batched[r].Failure);
            Assert.Equal(r, batched[r].Run);
            double worst = Worst(batched[r], alone);
            Assert.True(
                worst <= Tolerance,
                $"run {r} ({plan.Runs[r].Optimizer.Name}): relative difference {worst:G3}"
            );
            batched[r].Dispose();
            alone.Dispose();
        }
    }

    [Theory]
    [InlineData("softmax", false)]
    [InlineData("squared", false)]
    [InlineData("softmax", true)]
    public void ReplaysSharingOneDataOrderEqualTheirRunsAlone(string loss, bool oneRate)
    {
        // the attribution ladder's replays: one θ₀ and one batch order, each run with its own removed rows and rate
        // (or one rate for all: the fused SGD step over the stacked tensors); the first layer is then one wide GEMM
        // over all runs
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup(loss, 0);
        var runs = Enumerable
            .Range(0, 6)
            .Select(r => new BatchedRun(
                3,
                7,
                new OptimizerSpec(OptimizerKind.Sgd, oneRate ? 0.05 : 0.05 + 0.01 * (r % 2))
            )
            {
                Removed = r == 0 ? null : [r, 20 + r, 40 + 2 * r],
            })
            .ToArray();
        var replay = plan with { Runs = runs };
        var batched = BatchedRuns.Train(replay, train);
        for (int r = 0; r < runs.Length; r++)
        {
            var alone = BatchedRuns.TrainAlone(replay, r, train);
            double worst = Worst(batched[r], alone);
            Assert.True(worst <= Tolerance, $"replay {r}: relative difference {worst:G3}");
        }
        Assert.True(Worst(batched[1], BatchedRuns.TrainAlone(replay, 2, train)) > 1e-6);
    }

    [Fact]
    public void SamePlanGivesTheSameBytesTwice()
    {
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup("softmax", 4);
        var a = BatchedRuns.Train(plan, train);
        var b = BatchedRuns.Train(plan, train);
        for (int r = 0; r < a.Length; r++)
        {
            for (int i = 0; i < a[r].Parameters!.Length; i++)
                Assert.Equal(
                    a[r].Parameters![i].data<double>().ToArray(),
                    b[r].Parameters![i].data<double>().ToArray()
                );
            Assert.Equal(a[r].Losses, b[r].Losses);
        }
    }

    [Fact]
    public void SwappingTwoRunsSeedsBreaksEquality()
    {
        // the must-fail control: the comparison above can fail, and a run's result is its own seeds'
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup("softmax", 0);
        var runs = plan.Runs.ToArray();
        (runs[0], runs[3]) = (
            runs[0] with
            {
                InitSeed = runs[3].InitSeed,
                DataSeed = runs[3].DataSeed,
            },
            runs[3] with
            {
                InitSeed = runs[0].InitSeed,
                DataSeed = runs[0].DataSeed,
            }
        );
        var swapped = BatchedRuns.Train(plan with { Runs = runs }, train);
        var alone0 = BatchedRuns.TrainAlone(plan, 0, train);
        var alone3 = BatchedRuns.TrainAlone(plan, 3, train);
        Assert.True(Worst(swapped[0], alone0) > 1e-3);
        Assert.True(Worst(swapped[3], alone3) > 1e-3);
        // only the init seeds swapped: still different
        var initOnly = plan.Runs.ToArray();
        (initOnly[0], initOnly[1]) = (
            initOnly[0] with
            {
                InitSeed = 2,
            },
            initOnly[1] with
            {
                InitSeed = 1,
            }
        );
        var swappedInit = BatchedRuns.Train(plan with { Runs = initOnly }, train);
        Assert.True(Worst(swappedInit[0], alone0) > 1e-3);
    }

    [Fact]
    public void RemovedRowsChangeTheRun()
    {
        // the mask is applied: the same run without its removed rows is a different run
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup("softmax", 0);
        var runs = plan.Runs.ToArray();
        runs[9] = runs[9] with { Removed = null };
        var full = BatchedRuns.Train(plan with { Runs = runs }, train);
        var masked = BatchedRuns.TrainAlone(plan, 9, train);
        Assert.True(Worst(full[9], masked) > 1e-6);
    }

    [Fact]
    public void StackedTangentEqualsEachNetworksTangent()
    {
        using var scope = torch.NewDisposeScope();
        var spec = new ModelSpec(ModelKind.Mlp, [10, 7], ActivationKind.Tanh);
        var nets = Enumerable.Range(0, 3).Select(s => Fixtures.Net(spec, [5], 2, s)).ToArray();
        using var stacked = new StackedMlp(nets);
        var dirs = nets.Select((n, i) => Fixtures.Direction(n, 40 + i)).ToArray();
        var stackedDir = Enumerable
            .Range(0, dirs[0].Length)
            .Select(j => torch.stack(dirs.Select(d => d[j]).ToArray(), 0))
            .Select(t => t.dim() == 2 ? t.unsqueeze(1) : t)
            .ToArray();
        var x = torch.rand(9, 5, dtype: ScalarType.Float64);
        var (f, jvp) = stacked.Tangent(x, stacked.Parameters, stackedDir);
        Assert.Equal(new long[] { 3, 9, 2 }, f.shape);
        for (int r = 0; r < 3; r++)
        {
            var (f1, j1) = nets[r].Tangent(x, nets[r].Parameters.Cast<Tensor>().ToList(), dirs[r]);
            Assert.True(Relative(f[r], f1) <= Tolerance);
            Assert.True(Relative(jvp[r], j1) <= Tolerance);
            Assert.True(Relative(stacked.Forward(x)[r], f1) <= Tolerance);
        }
        foreach (var n in nets)
            n.Dispose();
    }

    [Fact]
    public void TheStepHookSeesThetaBeforeAndAfterEachStep()
    {
        // f̃ of every run from the hook: f̃_t = f̃_{t−1} + ∇f_{θ_{t−1}}ᵀΔθ_t; for SGD on a network linear in θ near θ_{t−1}
        // the increment is first order in Δθ, so f̃_T − f_T is small next to f_T − f_0, while the hook's θ_{t−1} + Δθ is θ_t
        using var scope = torch.NewDisposeScope();
        var (plan, train) = Setup("softmax", 0);
        var sgd = plan with
        {
            Runs = plan.Runs.Where(r => r.Optimizer.Kind == OptimizerKind.Sgd).ToArray(),
        };
        var probe = train.Inputs(ScalarType.Float64, CPU).narrow(0, 0, 10);
        Tensor? fTel = null,
            f0 = null,
            fT = null;
        BatchedRuns.Train(
            sgd,
            train,
            s =>
            {
                Assert.NotNull(s.Previous);
                f0 ??= s.Model.Tangent(probe, s.Previous!, s.Previous!).f.DetachFromDisposeScope();
                fTel ??= f0.clone().DetachFromDisposeScope();
                var delta = s.Model.Parameters.Zip(s.Previous!, (p, q) => p.sub(q)).ToArray();
                var (_, inc) = s.Model.Tangent(probe, s.Previous!, delta);
                fTel.add_(inc);
                fT?.Dispose();
                fT = s.Model.Forward(probe).DetachFromDisposeScope();
            },
            keepPrevious: true
        );
        double moved = fT!.sub(f0!).abs().max().item<double>();
        double gap = fT.sub(fTel!).abs().max().item<double>();
        Assert.True(moved > 0.1, $"moved {moved}");
        Assert.True(gap < 0.1 * moved, $"gap {gap} vs moved {moved}");
    }

    [Fact]
    public void ThePlanIsRecordedAndAResumeRefusesAnother()
    {
        var (plan, _) = Setup("softmax", 4);
        var recorded = System.Text.Json.Nodes.JsonNode.Parse(plan.Describe().ToJsonString());
        Assert.Null(plan.ResumeConflict(recorded));
        Assert.Contains("group_size", (plan with { GroupSize = 8 }).ResumeConflict(recorded));
        var other = plan.Runs.ToArray();
        other[2] = other[2] with { DataSeed = 99 };
        Assert.Contains("run_list", (plan with { Runs = other }).ResumeConflict(recorded));
        Assert.NotNull(plan.ResumeConflict(null));
        // groups: by optimiser kind in order of first appearance, chunks of at most 4
        var groups = plan.Groups();
        Assert.Equal([0, 3, 9], groups[0]);
        Assert.Equal([1, 4], groups[1]);
        Assert.Equal(plan.Runs.Count, groups.Sum(g => g.Length));
    }

    [Fact]
    public void BadPlansAreRefusedWithTheirProblem()
    {
        var (plan, train) = Setup("softmax", 0);
        var cnn = Assert.Throws<ArgumentException>(() =>
            BatchedRuns.Train(plan with { Model = new ModelSpec(ModelKind.Cnn) }, train)
        );
        Assert.Contains("MLP", cnn.Message);
        var runs = plan.Runs.ToArray();
        runs[1] = runs[1] with { Removed = [120] };
        var row = Assert.Throws<ArgumentException>(() =>
            BatchedRuns.Train(plan with { Runs = runs }, train)
        );
        Assert.Contains("run 1", row.Message);
        Assert.Throws<ArgumentException>(() =>
            BatchedRuns.Train(plan with { BatchSize = 0 }, train)
        );
    }
}
