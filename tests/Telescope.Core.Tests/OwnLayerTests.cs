using Telescope.Kernels;
using Telescope.Tangents;
using BatchNorm = Telescope.Models.BatchNorm;
using Linear = TorchSharp.Modules.Linear;
using Parameter = TorchSharp.Modules.Parameter;

namespace Telescope.Tests;

/// <summary>
/// Your own layer (issue 17 item 2): the generic path (per-layer double backward) equals every shipped layer's
/// hand-written tangent rule; each new layer's rule agrees with central finite differences; a layer with only a
/// forward map works in training, f̃, f_lin and kernels; TorchSharp modules linear in θ are telescoped exactly;
/// unsupported modules are refused in one line.
/// </summary>
public class OwnLayerTests
{
    private const double Tight = 1e-10;

    /// <summary>
    /// Asserts that the forward-mode JVP of <paramref name="net"/> at <paramref name="x"/>, its own θ and the random
    /// direction of seed <paramref name="directionSeed"/> equals the per-example loop's (≤ <see cref="Tight"/>);
    /// returns (θ, v, the forward-mode JVP) for further checks.
    /// </summary>
    private static (Tensor[] theta, Tensor[] v, Tensor forward) ForwardJvpMatchesLoop(
        Network net,
        Tensor x,
        long directionSeed,
        string? because = null
    )
    {
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, directionSeed);
        var forward = Jvp.Compute(net, x, theta, v, JvpMethod.Forward);
        var loop = Jvp.Compute(net, x, theta, v, JvpMethod.PerExample);
        Assert.True(Fixtures.RelErr(forward, loop) <= Tight, because);
        return (theta, v, forward);
    }

    /// <summary>Every shipped layer, with a per-example input shape (float64).</summary>
    private static (ILayer layer, long[] shape) Layer(string name) =>
        name switch
        {
            "dense" => (new Dense(5, 4), [5]),
            "dense-nobias" => (new Dense(5, 3, bias: false), [5]),
            "conv2d" => (new Conv2d(2, 3, 3, 1), [2, 5, 5]),
            "maxpool" => (new MaxPool2d(2), [2, 4, 4]),
            "reshape" => (new Reshape(3, 4), [12]),
            "fixed-features" => (new FixedFeatures(5, 7, ActivationKind.Tanh, 3), [5]),
            "quadratic-units" => (new QuadraticUnits(5, 6, 0.3), [5]),
            "layernorm" => (new LayerNorm(6), [6]),
            "layernorm-seq" => (new LayerNorm(6), [3, 6]),
            "residual" => (
                new Residual(new Dense(6, 6), new Activation(ActivationKind.Gelu), new Dense(6, 6)),
                [6]
            ),
            "residual-attention" => (
                new Residual(new LayerNorm(6), new SelfAttention(6, 4)),
                [4, 6]
            ),
            "attention" => (new SelfAttention(6, 4), [5, 6]),
            "batchnorm-batch" => (new BatchNorm(3), [3, 4, 4]),
            "batchnorm-batch-flat" => (new BatchNorm(5), [5]),
            "batchnorm-running" => (RunningBatchNorm(3), [3, 4, 4]),
            _ when name.StartsWith("act-") => (
                new Activation(Enum.Parse<ActivationKind>(name[4..], ignoreCase: true)),
                [7]
            ),
            _ => throw new ArgumentException(name),
        };

    private static BatchNorm RunningBatchNorm(int c)
    {
        var bn = new BatchNorm(c, BatchNormStatistics.Running);
        bn.SetStatistics(
            Enumerable.Range(0, c).Select(i => 0.1 * i - 0.1).ToArray(),
            Enumerable.Range(0, c).Select(i => 0.5 + 0.3 * i).ToArray()
        );
        return bn;
    }

    public static TheoryData<string> ShippedLayers
    {
        get
        {
            var d = new TheoryData<string>
            {
                "dense",
                "dense-nobias",
                "conv2d",
                "maxpool",
                "reshape",
                "fixed-features",
                "quadratic-units",
                "layernorm",
                "layernorm-seq",
                "residual",
                "residual-attention",
                "attention",
                "batchnorm-batch",
                "batchnorm-batch-flat",
                "batchnorm-running",
            };
            foreach (var k in Enum.GetValues<ActivationKind>())
                d.Add("act-" + k.ToString().ToLowerInvariant());
            return d;
        }
    }

    public static TheoryData<string> NewLayers =>
        new()
        {
            "act-gelu",
            "act-softplus",
            "act-silu",
            "layernorm",
            "layernorm-seq",
            "residual",
            "residual-attention",
            "attention",
            "batchnorm-batch",
            "batchnorm-batch-flat",
            "batchnorm-running",
        };

    /// <summary>Random a, ȧ, p (the layer's init plus noise, so γ ≠ 1 and β ≠ 0), ṗ.</summary>
    private static (Tensor a, Tensor da, Tensor[] p, Tensor[] dp) Point(
        ILayer layer,
        long[] shape,
        long seed,
        long n = 6
    )
    {
        var a = Fixtures.Inputs(seed, n, shape);
        var da = Fixtures.Inputs(seed + 100, n, shape);
        var rng = new Rng(seed, 3);
        var init = layer.Initialise(rng, 1.0);
        var p = new Tensor[init.Length];
        var dp = new Tensor[init.Length];
        for (int j = 0; j < init.Length; j++)
        {
            var s = layer.ParameterShapes[j];
            var noise = init[j].Select(_ => 0.3 * rng.NextGaussian()).ToArray();
            p[j] = Telescope.Tensors.HostArrays.ToTensor(
                init[j].Zip(noise, (x, e) => x + e).ToArray(),
                s,
                dtype: ScalarType.Float64
            );
            dp[j] = Telescope.Tensors.HostArrays.ToTensor(
                init[j].Select(_ => rng.NextGaussian()).ToArray(),
                s,
                dtype: ScalarType.Float64
            );
        }
        return (a, da, p, dp);
    }

    [Theory]
    [MemberData(nameof(ShippedLayers))]
    public void TheGenericRuleEqualsTheHandWrittenRuleOfEveryShippedLayer(string name)
    {
        using var scope = NewDisposeScope();
        var (layer, shape) = Layer(name);
        var (a, da, p, dp) = Point(layer, shape, 11);
        foreach (var input in new[] { da, null })
        {
            var (z, dz) = layer.Tangent(a, input, p, dp);
            var (zg, dzg) = GenericTangent.Of(layer, a, input, p, dp);
            Assert.True(Fixtures.RelErr(z, zg) <= Tight, $"{name}: z differs");
            if (dz is null)
            {
                // no tangent (no input tangent, no parameters): the generic rule gives zeros or nothing
                Assert.True(dzg is null || dzg.abs().max().item<double>() == 0, name);
                continue;
            }
            Assert.NotNull(dzg);
            double err = Fixtures.RelErr(dz, dzg!);
            Assert.True(
                err <= Tight,
                $"{name} (ȧ {(input is null ? "= 0" : "≠ 0")}): hand-written vs generic {err:E2}"
            );
        }
    }

    [Theory]
    [MemberData(nameof(NewLayers))]
    public void EachNewRuleMatchesCentralFiniteDifferences(string name)
    {
        using var scope = NewDisposeScope();
        var (layer, shape) = Layer(name);
        var (a, da, p, dp) = Point(layer, shape, 12);
        const double h = 1e-5;
        var (_, dz) = layer.Tangent(a, da, p, dp);
        var plus = layer.Forward(
            a.add(da, alpha: h),
            p.Select((t, i) => t.add(dp[i], alpha: h)).ToArray()
        );
        var minus = layer.Forward(
            a.add(da, alpha: -h),
            p.Select((t, i) => t.add(dp[i], alpha: -h)).ToArray()
        );
        var fd = plus.sub(minus).div(2 * h);
        double err = Fixtures.RelErr(dz!, fd);
        Assert.True(err <= 1e-6, $"{name}: tangent vs finite differences {err:E2}");
        // must-fail control: a rule missing its input term is far from the finite differences
        var (_, dzNoInput) = layer.Tangent(a, null, p, dp);
        if (dzNoInput is not null)
            Assert.True(Fixtures.RelErr(dzNoInput, fd) > 1e-3, $"{name}: the control passed");
    }

    /// <summary>Networks built from the new layers (plus the old ones), with inputs.</summary>
    private static (Network net, Tensor x) Net(string name)
    {
        ILayer[] layers = name switch
        {
            "residual-mlp" =>
            [
                new Dense(5, 8),
                new Residual(
                    new LayerNorm(8),
                    new Dense(8, 8),
                    new Activation(ActivationKind.Gelu),
                    new Dense(8, 8)
                ),
                new Activation(ActivationKind.Silu),
                new Dense(8, 2),
                new Activation(ActivationKind.Softplus),
            ],
            "transformer" =>
            [
                new Reshape(4, 5),
                new Dense(5, 6),
                new Residual(new LayerNorm(6), new SelfAttention(6, 3)),
                new Residual(
                    new LayerNorm(6),
                    new Dense(6, 6),
                    new Activation(ActivationKind.Gelu),
                    new Dense(6, 6)
                ),
                new Reshape(24),
                new Dense(24, 2),
            ],
            "cnn-bn-running" =>
            [
                new Reshape(1, 4, 5),
                new Conv2d(1, 3, 3, 1),
                RunningBatchNorm(3),
                new Activation(ActivationKind.Relu),
                new Reshape(60),
                new Dense(60, 2),
            ],
            "cnn-bn-batch" =>
            [
                new Reshape(1, 4, 5),
                new Conv2d(1, 3, 3, 1),
                new BatchNorm(3),
                new Activation(ActivationKind.Tanh),
                new Reshape(60),
                new Dense(60, 4),
                new BatchNorm(4),
                new Activation(ActivationKind.Gelu),
                new Dense(4, 2),
            ],
            _ => throw new ArgumentException(name),
        };
        var net = new Network(layers, 2, 0, 1.0, ScalarType.Float64, torch.CPU);
        return (net, Fixtures.Inputs(21, 9, 20).narrow(1, 0, name == "residual-mlp" ? 5 : 20));
    }

    public static TheoryData<string> Networks =>
        new() { "residual-mlp", "transformer", "cnn-bn-running", "cnn-bn-batch" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void NetworkJvpsAgreeAcrossMethods(string name)
    {
        using var scope = NewDisposeScope();
        var (net, x) = Net(name);
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, 5);
        var forward = Jvp.Compute(net, x, theta, v, JvpMethod.Forward);
        var dbl = Jvp.Compute(net, x, theta, v, JvpMethod.DoubleBackward, chunk: 4);
        var loop = Jvp.Compute(net, x, theta, v, JvpMethod.PerExample);
        Assert.True(Fixtures.RelErr(forward, dbl) <= Tight, $"forward vs double backward");
        Assert.True(Fixtures.RelErr(forward, loop) <= Tight, $"forward vs per-example");
        Assert.Equal(name == "cnn-bn-batch", net.RowsInteract);
    }

    [Theory]
    [InlineData("residual-mlp")]
    [InlineData("transformer")]
    [InlineData("cnn-bn-running")]
    public void StructuredKernelsOfTheNewLayersEqualTheJacobianKernel(string name)
    {
        using var scope = NewDisposeScope();
        var (net, x) = Net(name);
        var xb = x.narrow(0, 0, 5);
        var s = Ntk.Compute(net, x, xb, outputs: NtkOutputs.Full);
        var j = Ntk.Compute(net, x, xb, method: NtkMethod.Jacobian, outputs: NtkOutputs.Full);
        Assert.True(
            Fixtures.RelErr(s, j) <= Tight,
            $"structured vs Jacobian {Fixtures.RelErr(s, j):E2}"
        );
    }

    [Fact]
    public void BatchStatisticsAreRefusedByTheStructuredKernelInOneLine()
    {
        var (net, x) = Net("cnn-bn-batch");
        var e = Assert.Throws<NotSupportedException>(() => Ntk.Compute(net, x, x));
        Assert.DoesNotContain('\n', e.Message);
        Assert.Contains("BatchNorm", e.Message);
        var k = Ntk.Compute(net, x, x, method: NtkMethod.Jacobian);
        Assert.Equal(new long[] { 9, 9 }, k.shape);
    }

    /// <summary>A layer with only a forward map; its Tangent is the interface default (generic).</summary>
    private sealed class ForwardOnly(int inputs, int outputs) : ILayer
    {
        public IReadOnlyList<long[]> ParameterShapes =>
            [
                [outputs, inputs],
            ];

        public double[][] Initialise(Rng rng, double alpha) =>
            [
                Enumerable
                    .Range(0, outputs * inputs)
                    .Select(_ => alpha * rng.Uniform(1 / Math.Sqrt(inputs)))
                    .ToArray(),
            ];

        public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) =>
            a.matmul(p[0].t()).sin().mul(a.matmul(p[0].t()));

        public string Describe() => "ForwardOnly";
    }

    private static (TrajectoryResult result, List<Observation> obs) Train(
        Network net,
        JvpMethod method,
        int steps = 40
    )
    {
        var (train, test) = Fixtures.Data(40, 20);
        var sink = new ObservationList();
        var cfg = new TrajectoryConfig(
            steps,
            10,
            LossKind.Squared,
            new OptimizerSpec(OptimizerKind.Adam, 0.01),
            0,
            RecordEvery: 5,
            Method: method
        );
        var result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink);
        return (result, sink.Items);
    }

    [Fact]
    public void DoubleBackwardNeverCallsTheTangentRuleNotEvenForTheLinearisedModel()
    {
        // before the fix f_lin called Network.Tangent under every JvpMethod
        var (train, _) = Fixtures.Data(40, 20);
        int d = train.Features;
        using var net = new Network(
            [
                new Reshape(d),
                // a layer whose hand-written rule must never be called (it throws)
                new DenseWithRule(
                    new Dense(d, 6),
                    "NoTangent",
                    _ => (_, _, _, _) => throw new InvalidOperationException("Network.Tangent was called")
                ),
                new Activation(ActivationKind.Tanh),
                new Dense(6, 1),
            ],
            1,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        var (result, obs) = Train(net, JvpMethod.DoubleBackward, steps: 10);
        Assert.True(result.Succeeded, result.Failure);
        Assert.Contains(obs, o => o.Quantity == "linearised_error" && o.Step == 10);
    }

    [Fact]
    public void AForwardOnlyLayerWorksInTrainingTelescopingLinearisationAndKernels()
    {
        using var scope = NewDisposeScope();
        var (train, _) = Fixtures.Data(40, 20);
        int d = train.Features;
        Network Make() =>
            new(
                [new Reshape(d), new ForwardOnly(d, 5), new Dense(5, 1)],
                1,
                0,
                1.0,
                ScalarType.Float64,
                torch.CPU
            );
        using var a = Make();
        using var b = Make();
        var (ra, oa) = Train(a, JvpMethod.Forward);
        var (rb, ob) = Train(b, JvpMethod.DoubleBackward);
        Assert.True(ra.Succeeded && rb.Succeeded);
        foreach (var q in new[] { "telescoping_error", "linearised_error", "loss" })
        {
            var va = oa.Where(o => o.Quantity == q).Select(o => o.Value).ToArray();
            var vb = ob.Where(o => o.Quantity == q).Select(o => o.Value).ToArray();
            Assert.Equal(va.Length, vb.Length);
            for (int i = 0; i < va.Length; i++)
                Assert.True(
                    Math.Abs(va[i] - vb[i]) <= 1e-9 * (1 + Math.Abs(vb[i])),
                    $"{q}[{i}]: {va[i]} vs {vb[i]}"
                );
        }
        Assert.True(
            oa.Where(o => o.Quantity == "loss").Last().Value
                < oa.First(o => o.Quantity == "loss").Value
        );
        var x = train.Inputs(ScalarType.Float64, torch.CPU).narrow(0, 0, 7);
        var s = Ntk.Compute(a, x, x, outputs: NtkOutputs.Full);
        var j = Ntk.Compute(a, x, x, method: NtkMethod.Jacobian, outputs: NtkOutputs.Full);
        Assert.True(Fixtures.RelErr(s, j) <= Tight);
    }

    [Fact]
    public void RunsOfForwardOnlyLayersShareOneGenericBlockAndStayExact()
    {
        using var scope = NewDisposeScope();
        Assert.True(GenericTangent.HasOwnRule(new Dense(2, 2)));
        Assert.True(GenericTangent.HasOwnRule(new Residual(new Dense(2, 2))));
        Assert.False(GenericTangent.HasOwnRule(new ForwardOnly(2, 2)));
        Assert.False(GenericTangent.HasOwnRule(new ModuleLayer(nn.Sequential(nn.Linear(2, 2)))));
        using var net = new Network(
            [
                new ForwardOnly(5, 4),
                new ForwardOnly(4, 4),
                new Dense(4, 3),
                new ForwardOnly(3, 3),
                new Activation(ActivationKind.Gelu),
                new ForwardOnly(3, 2),
            ],
            2,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        var x = Fixtures.Inputs(8, 6, 5);
        var (theta, v, _) = ForwardJvpMatchesLoop(net, x, directionSeed: 3);
        Assert.True(Fixtures.RelErr(net.Tangent(x, theta, v).f, net.Forward(x, theta)) <= Tight);
    }

    [Fact]
    public void BatchNormMatchesTorchSharpsBatchNorm2dInTrainAndEvalMode()
    {
        // the same semantics as TorchSharp's module: batch statistics (biased variance) = train mode,
        // fixed running statistics = eval mode
        using var scope = NewDisposeScope();
        var x = Fixtures.Inputs(9, 8, 3, 4, 4);
        var module = nn.BatchNorm2d(3, dtype: ScalarType.Float64);
        var gamma = torch.tensor(new[] { 0.5, 1.5, -1.0 }, dtype: ScalarType.Float64);
        var beta = torch.tensor(new[] { 0.1, 0.0, -0.3 }, dtype: ScalarType.Float64);
        using (torch.no_grad())
        {
            module.weight!.copy_(gamma);
            module.bias!.copy_(beta);
        }
        module.train();
        Tensor train;
        using (torch.no_grad())
            train = module.forward(x);
        var ours = new BatchNorm(3).Forward(x, [gamma, beta]);
        Assert.True(Fixtures.RelErr(ours, train) <= 1e-12);
        module.eval();
        var running = new BatchNorm(3, BatchNormStatistics.Running);
        running.SetStatistics(
            module.running_mean!.data<double>().ToArray(),
            module.running_var!.data<double>().ToArray()
        );
        Tensor eval;
        using (torch.no_grad())
            eval = module.forward(x);
        Assert.True(Fixtures.RelErr(running.Forward(x, [gamma, beta]), eval) <= 1e-12);
        Assert.True(Fixtures.RelErr(running.Forward(x, [gamma, beta]), train) > 1e-2); // the control
    }

    [Fact]
    public void CalibrateSetsFixedStatisticsFromTheLayersInputs()
    {
        using var scope = NewDisposeScope();
        var bn = new BatchNorm(3, BatchNormStatistics.Running);
        using var net = new Network(
            [new Reshape(1, 4, 5), new Conv2d(1, 3, 3, 1), bn],
            3,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        var x = Fixtures.Inputs(2, 10, 20);
        BatchNorm.Calibrate(net, x);
        var batch = new Network(
            [new Reshape(1, 4, 5), new Conv2d(1, 3, 3, 1), new BatchNorm(3)],
            3,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        // calibrated on x, fixed statistics reproduce the batch-statistics output on x itself
        Assert.True(Fixtures.RelErr(net.Forward(x), batch.Forward(x, net.Parameters)) <= 1e-12);
    }

    [Theory]
    [InlineData(ModelKind.Residual, null)]
    [InlineData(ModelKind.Transformer, null)]
    [InlineData(ModelKind.Mlp, BatchNormStatistics.Batch)]
    [InlineData(ModelKind.Cnn, BatchNormStatistics.Running)]
    public void ModelSpecBuildsTheNewArchitecturesWithExactJvps(
        ModelKind kind,
        BatchNormStatistics? norm
    )
    {
        using var scope = NewDisposeScope();
        var spec = new ModelSpec(
            kind,
            kind == ModelKind.Mlp ? [6] : null,
            ActivationKind.Gelu,
            BatchNorm: norm
        );
        using var net = Fixtures.Net(spec, [16], outputs: 2);
        ForwardJvpMatchesLoop(net, Fixtures.Inputs(3, 5, 16), directionSeed: 4, because: net.Describe());
        Assert.Equal(norm is not null, net.Layers.Any(l => l is BatchNorm));
    }

    // ---- TorchSharp modules ----

    /// <summary>A custom forward, linear in θ: a linear map of x plus a linear map of fixed features tanh(x)².</summary>
    private sealed class TwoMaps : nn.Module<Tensor, Tensor>
    {
        private readonly Linear direct;
        private readonly Linear features;

        public TwoMaps(int d)
            : base(nameof(TwoMaps))
        {
            direct = nn.Linear(d, 1);
            features = nn.Linear(d, 1, hasBias: false);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) =>
            direct.forward(x).add(features.forward(x.tanh().pow(2)));
    }

    private static (TrajectoryResult result, List<Observation> obs) TrainModule(
        nn.Module<Tensor, Tensor> module,
        JvpMethod method = JvpMethod.Forward
    )
    {
        var (train, _) = Fixtures.Data(40, 20);
        using var net = new Network(
            [new Reshape(train.Features), new ModuleLayer(module)],
            1,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        return Train(net, method, steps: 60);
    }

    [Fact]
    public void ASequentialLinearInThetaIsTelescopedExactly()
    {
        torch.manual_seed(1);
        var (train, _) = Fixtures.Data(40, 20);
        var module = nn.Sequential(
            ("features", nn.Tanh()),
            ("readout", nn.Linear(train.Features, 1))
        );
        var (result, obs) = TrainModule(module);
        AssertExact(result, obs);
    }

    [Fact]
    public void ACustomForwardModuleLinearInThetaIsTelescopedExactly()
    {
        torch.manual_seed(2);
        var (train, _) = Fixtures.Data(40, 20);
        var (result, obs) = TrainModule(new TwoMaps(train.Features), JvpMethod.DoubleBackward);
        AssertExact(result, obs);
    }

    private static void AssertExact(TrajectoryResult result, List<Observation> obs)
    {
        Assert.True(result.Succeeded, result.Failure);
        double scale = obs.Where(o => o.Quantity == "loss").Max(o => o.Value) + 1;
        double tel = obs.Where(o => o.Quantity == "telescoping_error").Max(o => o.Value);
        double lin = obs.Where(o => o.Quantity == "linearised_error").Max(o => o.Value);
        Assert.True(tel <= 1e-10 * scale, $"telescoping error {tel:E2}");
        Assert.True(lin <= 1e-10 * scale, $"linearised error {lin:E2}");
        var loss = obs.Where(o => o.Quantity == "loss" && o.Split == "train").ToArray();
        Assert.True(loss[^1].Value < 0.9 * loss[0].Value, "training did not move the loss");
    }

    [Fact]
    public void ANonlinearModuleGetsExactJvpsThroughTheGenericPath()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var module = nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2));
        using var net = new Network(
            [new ModuleLayer(module)],
            2,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        var x = Fixtures.Inputs(4, 7, 6);
        var (theta, v, forward) = ForwardJvpMatchesLoop(net, x, directionSeed: 2);
        // the same numbers as the library's own layers with the same weights
        using var own = new Network(
            [new Dense(6, 5), new Activation(ActivationKind.Tanh), new Dense(5, 2)],
            2,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        Assert.True(Fixtures.RelErr(own.Tangent(x, theta, v).jvp, forward) <= Tight);
        Assert.True(Fixtures.RelErr(own.Forward(x, theta), net.Forward(x)) <= Tight);
        // θ is bound, not copied: the module's own weights are untouched by evaluation at another θ
        var before = module.parameters().First().clone();
        net.Forward(x, theta.Select(t => t.mul(2.0)).ToArray());
        Assert.True(module.parameters().First().eq(before).all().item<bool>());
    }

    /// <summary>A module that counts its calls in a buffer.</summary>
    private sealed class Counting : nn.Module<Tensor, Tensor>
    {
        private readonly Linear lin = nn.Linear(3, 1);
        private readonly Tensor calls = torch.zeros(1);

        public Counting()
            : base(nameof(Counting)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            calls.add_(torch.ones(1, dtype: calls.dtype));
            return lin.forward(x);
        }
    }

    /// <summary>A module that changes its weight in place.</summary>
    private sealed class InPlace : nn.Module<Tensor, Tensor>
    {
        private readonly Parameter w = nn.Parameter(torch.ones(1, 3));

        public InPlace()
            : base(nameof(InPlace)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            using (torch.no_grad())
                w.add_(torch.ones_like(w));
            return x.matmul(w.t());
        }
    }

    /// <summary>A module with noise in forward.</summary>
    private sealed class Noisy : nn.Module<Tensor, Tensor>
    {
        private readonly Linear lin = nn.Linear(3, 1);

        public Noisy()
            : base(nameof(Noisy)) => RegisterComponents();

        public override Tensor forward(Tensor x) =>
            lin.forward(x).add(torch.randn(x.shape[0], 1, dtype: x.dtype));
    }

    [Fact]
    public void UnsupportedModulesAreRefusedInOneLineNamingTheConstruct()
    {
        var cases = new (Func<nn.Module<Tensor, Tensor>> make, string named)[]
        {
            (() => nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), nn.Linear(3, 1)), "Dropout"),
            (
                () => nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Linear(3, 1)),
                "running-statistics"
            ),
            (() => new Counting(), "buffer 'calls' changes in forward"),
            (() => new InPlace(), "parameter 'w' is changed in place"),
            (() => new Noisy(), "not deterministic"),
        };
        var x = Fixtures.Inputs(1, 4, 3);
        foreach (var (make, named) in cases)
        {
            var e = Assert.Throws<NotSupportedException>(() =>
            {
                using var net = new Network(
                    [new ModuleLayer(make())],
                    1,
                    0,
                    1.0,
                    ScalarType.Float64,
                    torch.CPU
                );
                net.Forward(x);
            });
            Assert.DoesNotContain('\n', e.Message);
            Assert.Contains(named, e.Message);
        }
        // the control: the same Sequential in eval mode is accepted
        var ok = nn.Sequential(
            nn.Linear(3, 3),
            nn.Dropout(0.5),
            nn.BatchNorm1d(3),
            nn.Linear(3, 1)
        );
        ok.eval();
        using var good = new Network(
            [new ModuleLayer(ok)],
            1,
            0,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        Assert.Equal(new long[] { 4, 1 }, good.Forward(x).shape);
    }
}
