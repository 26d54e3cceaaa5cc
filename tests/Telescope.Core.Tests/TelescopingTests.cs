using Telescope.Tangents;

namespace Telescope.Tests;

/// <summary>The telescoping recorder (spec §1; invariants T1, T2, T5, T6).</summary>
public class TelescopingTests
{
    private static (TrajectoryResult result, List<Observation> obs, Network net) Run(
        ModelSpec spec,
        OptimizerSpec opt,
        int steps,
        int batch = 20,
        int recordEvery = 1,
        int examples = 0,
        long seed = 0
    )
    {
        var (train, test) = Fixtures.Data();
        var net = Fixtures.Net(spec, train.Shape, seed: seed);
        var sink = new ObservationList();
        var cfg = new TrajectoryConfig(
            steps,
            batch,
            LossKind.Squared,
            opt,
            seed,
            recordEvery,
            examples
        );
        var result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink);
        return (result, sink.Items, net);
    }

    private static IEnumerable<Observation> Q(
        List<Observation> obs,
        string quantity,
        string? split = null
    ) => obs.Where(o => o.Quantity == quantity && (split is null || o.Split == split));

    private static OptimizerSpec Opt(string name) => OptimiserCases.Spec(name);

    [Theory]
    [MemberData(nameof(OptimiserCases.All), MemberType = typeof(OptimiserCases))]
    public void TelescopingIsExactForAModelLinearInItsParameters(string optimiser)
    {
        // T2: f linear in θ ⇒ f̃_t = f_lin,t = f_t for every optimiser (mini-batches, 200 steps)
        var (result, obs, _) = Run(
            new ModelSpec(ModelKind.Linear, [32]),
            Opt(optimiser),
            steps: 200,
            recordEvery: 10
        );
        Assert.True(result.Succeeded, result.Failure);
        double scale = Q(obs, "loss").Max(o => o.Value) + 1;
        double tel = Q(obs, "telescoping_error").Max(o => o.Value);
        double lin = Q(obs, "linearised_error").Max(o => o.Value);
        Assert.True(tel <= 1e-10 * scale, $"telescoping error {tel:E2}");
        Assert.True(lin <= 1e-10 * scale, $"linearised error {lin:E2}");
        // training did something
        Assert.True(Q(obs, "update_norm").Max(o => o.Value) > 1e-4);
    }

    [Fact]
    public void BothErrorsAreExactlyZeroAtStepZero()
    {
        var (_, obs, _) = Run(new ModelSpec(ModelKind.Mlp, [20, 20]), Opt("sgd"), steps: 3);
        foreach (var q in new[] { "telescoping_error", "linearised_error" })
            Assert.All(
                obs.Where(o => o.Quantity == q && o.Step == 0),
                o => Assert.Equal(0.0, o.Value)
            );
        Assert.Equal(2, obs.Count(o => o.Quantity == "telescoping_error" && o.Step == 0));
    }

    [Fact]
    public void RecordedPredictionsEqualAPlainForwardPass()
    {
        var (train, test) = Fixtures.Data();
        var (_, obs, net) = Run(
            new ModelSpec(ModelKind.Mlp, [20, 20]),
            Opt("momentum"),
            steps: 25,
            examples: 1000
        );
        var f = net.Forward(
            torch.cat(
                [
                    train.Inputs(ScalarType.Float64, torch.CPU),
                    test.Inputs(ScalarType.Float64, torch.CPU),
                ],
                0
            )
        );
        var recorded = obs.Where(o => o.Quantity == "f" && o.Step == 25).ToList();
        Assert.Equal(train.Count + test.Count, recorded.Count);
        foreach (var o in recorded)
        {
            int row = o.Split == "train" ? o.Example!.Value : train.Count + o.Example!.Value;
            Assert.Equal(f[row, 0].item<double>(), o.Value);
        }
    }

    [Fact]
    public void TelescopingBeatsLinearisationAndIsNotTrivial()
    {
        // T6 on a small nonlinear net: AE_tel ≤ 0.1·AE_lin at a small learning rate, yet AE_tel > 0
        var (_, obs, _) = Run(
            new ModelSpec(ModelKind.Mlp, [32, 32]),
            new OptimizerSpec(OptimizerKind.Sgd, 0.05),
            steps: 300,
            recordEvery: 10
        );
        double tel = Q(obs, "telescoping_error", "test")
            .Where(o => o.Step > 0)
            .Average(o => o.Value);
        double lin = Q(obs, "linearised_error", "test")
            .Where(o => o.Step > 0)
            .Average(o => o.Value);
        Assert.True(tel > 0, "a nonlinear net must have a non-zero telescoping error");
        Assert.True(tel <= 0.1 * lin, $"AE_tel {tel:E2} vs AE_lin {lin:E2}");
    }

    [Fact]
    public void TelescopingErrorGrowsWithTheLearningRate()
    {
        double Err(double lr) =>
            Q(
                    Run(
                        new ModelSpec(ModelKind.Mlp, [32, 32]),
                        new OptimizerSpec(OptimizerKind.Sgd, lr),
                        steps: 60,
                        recordEvery: 10
                    ).obs,
                    "telescoping_error",
                    "test"
                )
                .Average(o => o.Value);
        double a = Err(0.01),
            b = Err(0.1),
            c = Err(1.0);
        Assert.True(a < b && b < c, $"errors {a:E2}, {b:E2}, {c:E2} should increase with γ");
    }

    [Fact]
    public void OneStepErrorIsQuadraticInTheStepForASmoothNetwork()
    {
        // T5 (smooth tanh net): e(γ) = max|f_1 − f̃_1| ∝ γ² as γ → 0, so e(γ)/e(γ/2) → 4
        double E(double lr)
        {
            var (_, obs, _) = Run(
                new ModelSpec(ModelKind.Mlp, [16, 16], ActivationKind.Tanh),
                new OptimizerSpec(OptimizerKind.Sgd, lr),
                steps: 1,
                batch: 60
            );
            return Q(obs, "telescoping_error").Where(o => o.Step == 1).Max(o => o.Value);
        }
        double ratio = E(0.02) / E(0.01);
        Assert.InRange(ratio, 3.8, 4.2);
    }

    [Fact]
    public void DivergenceStopsAtTheStepItHappensAndKeepsFinishedSteps()
    {
        var (result, obs, _) = Run(
            new ModelSpec(ModelKind.Mlp, [20, 20]),
            new OptimizerSpec(OptimizerKind.Sgd, 1e6),
            steps: 200
        );
        Assert.False(result.Succeeded);
        Assert.NotNull(result.FailedAtStep);
        Assert.Contains("step " + result.FailedAtStep, result.Failure);
        Assert.True(result.FailedAtStep > 1);
        Assert.Equal(
            result.FailedAtStep - 1,
            (long)obs.Where(o => o.Quantity == "loss").Max(o => o.Step!.Value)
        );
    }

    [Fact]
    public void SameSeedGivesIdenticalObservations()
    {
        var a = Run(new ModelSpec(ModelKind.Mlp, [20]), Opt("adamw"), steps: 30, seed: 4).obs;
        var b = Run(new ModelSpec(ModelKind.Mlp, [20]), Opt("adamw"), steps: 30, seed: 4).obs;
        var c = Run(new ModelSpec(ModelKind.Mlp, [20]), Opt("adamw"), steps: 30, seed: 5).obs;
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void DoubleBackwardRecorderAgreesWithForwardMode()
    {
        var (train, test) = Fixtures.Data();
        List<Observation> Go(JvpMethod m)
        {
            var net = Fixtures.Net(new ModelSpec(ModelKind.Cnn), [1, 4, 4]);
            var sink = new ObservationList();
            var tr = train with { Shape = [1, 4, 4] };
            var te = test with { Shape = [1, 4, 4] };
            Trajectory.Run(
                net,
                tr,
                Probe.Of(tr, te),
                new TrajectoryConfig(20, 20, LossKind.Squared, Opt("sgd"), 0, 5, 0, m),
                sink
            );
            return sink.Items;
        }
        var a = Q(Go(JvpMethod.Forward), "telescoping_error").Select(o => o.Value).ToArray();
        var b = Q(Go(JvpMethod.DoubleBackward), "telescoping_error").Select(o => o.Value).ToArray();
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(
                Math.Abs(a[i] - b[i]) <= 1e-10 * (1 + Math.Abs(a[i])),
                $"row {i}: {a[i]} vs {b[i]}"
            );
    }
}
