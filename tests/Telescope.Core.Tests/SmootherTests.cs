using Telescope.Kernels;
using Telescope.Smoothing;

namespace Telescope.Tests;

/// <summary>The smoother view and effective parameters (spec §3; invariants T3, T4, T9, T10, T11, T14, T17).</summary>
public class SmootherTests
{
    private sealed record Outcome(
        Tensor F0,
        Tensor F,
        Tensor FTel,
        Tensor FHat,
        Smoother Smoother,
        Tensor XAll,
        Tensor Y,
        Network Net,
        List<Tensor> Kernels
    );

    /// <summary>Train with the library's optimiser, carrying f̃ (A1) and the smoother; optionally record K_{t−1}(X, X).</summary>
    private static Outcome Train(
        Network net,
        Dataset train,
        Dataset test,
        OptimizerSpec spec,
        int steps,
        int batch,
        SmootherMethod method,
        bool keepKernels = false
    )
    {
        var xTrain = train.Inputs(ScalarType.Float64, torch.CPU);
        var y = train.Targets(ScalarType.Float64, torch.CPU);
        var xAll = torch.cat([xTrain, test.Inputs(ScalarType.Float64, torch.CPU)], 0);
        var smoother = new Smoother(net, xAll, train.Count, LossKind.Squared, spec, method);
        var f0 = smoother.C.clone();
        var fTel = smoother.C.clone();
        var opt = new Optimizer(spec, net.Parameters.Count);
        var sampler = new BatchSampler(train.Count, batch, 11);
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        var kernels = new List<Tensor>();
        for (int t = 1; t <= steps; t++)
        {
            var b = sampler.Next();
            var idx = HostArrays.ToTensor(b.Select(i => (long)i).ToArray());
            var prev = net.Snapshot();
            if (keepKernels)
                kernels.Add(Ntk.Compute(net, xTrain, xTrain, prev));
            foreach (var p in net.Parameters)
                p.grad?.zero_();
            net.Forward(xTrain.index_select(0, idx))
                .sub(y.index_select(0, idx))
                .square()
                .sum(1)
                .mean()
                .mul(0.5)
                .backward();
            double lr = opt.Apply(ps);
            var delta = ps.Select((p, i) => p.detach().sub(prev[i])).ToArray();
            fTel.add_(net.Tangent(xAll, prev, delta).jvp.reshape(-1));
            smoother.Step(t, lr, prev, b, opt.LastInvPhi);
        }
        Tensor f;
        using (torch.no_grad())
            f = net.Forward(xAll).reshape(-1);
        return new Outcome(
            f0,
            f,
            fTel,
            smoother.Predict(y),
            smoother,
            xAll,
            y.reshape(-1),
            net,
            kernels
        );
    }

    // T3 runs AdamW with a 20-step learning-rate warm-up
    private static OptimizerSpec Opt(string name) => OptimiserCases.Spec(name, adamwWarmup: 20);

    private static double MaxAbs(Tensor a, Tensor b) => a.sub(b).abs().max().item<double>();

    [Theory]
    [MemberData(nameof(OptimiserCases.All), MemberType = typeof(OptimiserCases))]
    public void SmootherIsExactForAModelLinearInItsParameters(string optimiser)
    {
        // T3: f linear in θ ⇒ f_t = S_t y + c_t (≤ 1e-10), all optimisers, mini-batches, 200 steps (A2)
        var (train, test) = Fixtures.Data(40, 20);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Linear, [24]), train.Shape);
        var o = Train(net, train, test, Opt(optimiser), 200, 15, SmootherMethod.General);
        Assert.True(
            MaxAbs(o.FHat, o.F) <= 1e-10,
            $"{optimiser}: max|f̂ − f| = {MaxAbs(o.FHat, o.F):E2}"
        );
        Assert.True(MaxAbs(o.FTel, o.F) <= 1e-10);
        Assert.True(o.Smoother.S.abs().max().item<double>() > 1e-3); // S is not trivially zero
    }

    [Theory]
    [InlineData("sgd", SmootherMethod.SgdKernel, ActivationKind.Relu)]
    [InlineData("sgd", SmootherMethod.General, ActivationKind.Relu)]
    [InlineData("momentum+wd", SmootherMethod.General, ActivationKind.Relu)]
    [InlineData("adamw", SmootherMethod.General, ActivationKind.Relu)]
    [InlineData("sgd", SmootherMethod.SgdKernel, ActivationKind.Tanh)]
    [InlineData("adamw", SmootherMethod.General, ActivationKind.Tanh)]
    [InlineData("sgd", SmootherMethod.SgdKernel, ActivationKind.Sigmoid)]
    [InlineData("momentum+wd", SmootherMethod.General, ActivationKind.Sigmoid)]
    public void SmootherEqualsTelescopedModelAfterOneStep(
        string optimiser,
        SmootherMethod method,
        ActivationKind activation
    )
    {
        // T4: f̂_1 = f̃_1 (≤ 1e-12) for an MLP with an output sigmoid, ReLU, tanh and sigmoid hidden units
        var (train, test) = Fixtures.Data(30, 10);
        using var net = Fixtures.Net(
            new ModelSpec(ModelKind.Mlp, [10, 8], activation, OutputSigmoid: true),
            train.Shape
        );
        var o = Train(net, train, test, Opt(optimiser), 1, 12, method);
        Assert.True(MaxAbs(o.FHat, o.FTel) <= 1e-12, $"{MaxAbs(o.FHat, o.FTel):E2}");
        Assert.True(MaxAbs(o.FTel, o.F0) > 1e-6); // the step moved something
    }

    [Fact]
    public void FastSgdPathEqualsGeneralPath()
    {
        // A3 and A2 build the same S and c for plain SGD on a nonlinear model (mini-batches, 25 steps)
        var (train, test) = Fixtures.Data(30, 10);
        using var n1 = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [10]), train.Shape);
        using var n2 = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [10]), train.Shape);
        var a = Train(n1, train, test, Opt("sgd"), 25, 8, SmootherMethod.SgdKernel);
        var b = Train(n2, train, test, Opt("sgd"), 25, 8, SmootherMethod.General);
        Assert.True(Fixtures.RelErr(a.Smoother.S, b.Smoother.S) <= 1e-10);
        Assert.True(Fixtures.RelErr(a.Smoother.C, b.Smoother.C) <= 1e-10);
    }

    [Fact]
    public void PaperLiteralMomentumAndDecayRecursionsFailTheExactnessTest()
    {
        // Regression control for T3: an independent re-implementation of Eq. 19–20 passes when corrected
        // (E1, E3) and fails when coded literally (history inside the minus sign; decay counted twice).
        var (train, test) = Fixtures.Data(40, 20);
        foreach (
            var (spec, kind) in new[]
            {
                (new OptimizerSpec(OptimizerKind.EmaMomentum, 0.05, Beta1: 0.9), "ema"),
                (new OptimizerSpec(OptimizerKind.Sgd, 0.05, WeightDecay: 0.3), "decay"),
            }
        )
        {
            using var net = Fixtures.Net(new ModelSpec(ModelKind.Linear, [24]), train.Shape);
            var theta0 = ParameterVector.Read(net);
            var o = Train(net, train, test, spec, 100, 15, SmootherMethod.General);
            var j = Ntk.Jacobian(net, o.XAll).reshape(o.XAll.shape[0], -1); // constant: f is linear in θ
            double corrected = MaxAbs(
                PaperRecursion(j, theta0, o, spec, train.Count, 100, 15, kind, literal: false),
                o.F
            );
            double literal = MaxAbs(
                PaperRecursion(j, theta0, o, spec, train.Count, 100, 15, kind, literal: true),
                o.F
            );
            Assert.True(corrected <= 1e-10, $"{kind} corrected: {corrected:E2}");
            Assert.True(literal > 1e-4, $"{kind} literal: {literal:E2} (should fail)");
        }
    }

    private static Tensor PaperRecursion(
        Tensor j,
        Tensor theta0,
        Outcome o,
        OptimizerSpec spec,
        int n,
        int steps,
        int batch,
        string kind,
        bool literal
    )
    {
        long nAll = j.shape[0],
            p = j.shape[1];
        var s = torch.zeros(nAll, n, dtype: ScalarType.Float64);
        var c = o.F0.clone(); // c_0 = f_0
        var uS = torch.zeros(p, n, dtype: ScalarType.Float64);
        var uC = torch.zeros(p, dtype: ScalarType.Float64);
        var dS = torch.zeros(p, n, dtype: ScalarType.Float64);
        var dC = theta0.clone();
        var sampler = new BatchSampler(n, batch, 11);
        double γ = spec.LearningRate,
            β = spec.Beta1,
            λ = spec.WeightDecay;
        for (int t = 1; t <= steps; t++)
        {
            var idx = HostArrays.ToTensor(sampler.Next().Select(i => (long)i).ToArray());
            var jb = j.index_select(0, idx);
            var e = torch.zeros(idx.shape[0], n, dtype: ScalarType.Float64);
            for (int r = 0; r < idx.shape[0]; r++)
                e[r, idx[r].item<long>()] = 1.0;
            var tS = jb.t().matmul(e.sub(s.index_select(0, idx))).div(idx.shape[0]); // T_t (I − S_{t−1})
            var tC = jb.t().matmul(c.index_select(0, idx)).div(idx.shape[0]); // T_t c_{t−1}
            Tensor stepS,
                stepC;
            if (kind == "ema")
            {
                uS = tS.mul(1 - β).add(uS.mul(β));
                uC = literal ? tC.mul(1 - β).add(uC.mul(β)).neg() : tC.mul(-(1 - β)).add(uC.mul(β));
                double bc = 1 - Math.Pow(β, t);
                (stepS, stepC) = (uS.div(bc), uC.div(bc));
            }
            else
            {
                stepS = tS.sub(dS.mul(λ)); // U^S = T(I − S) − λD^S
                stepC = tC.neg().sub(dC.mul(λ)); // U^C = −Tc − λD^C
                double keep = literal ? 1 - λ * γ : 1; // literal: D_{t+1} = (1 − λγ)D_t + γU_t counts the decay twice
                dS = dS.mul(keep).add(stepS.mul(γ));
                dC = dC.mul(keep).add(stepC.mul(γ));
            }
            s = s.add(j.matmul(stepS).mul(γ));
            c = c.add(j.matmul(stepC).mul(γ));
        }
        return s.matmul(o.Y).add(c);
    }

    [Fact]
    public void FullBatchSmootherIsTheTimeOrderedProduct()
    {
        // T9: full-batch GD ⇒ I − S_T = (I − A_T)⋯(I − A_1), A_t = (γ/n) K_{t−1}(X, X); c_T = (I − A_T)⋯(I − A_1) f_0
        var (train, test) = Fixtures.Data(25, 5);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16]), train.Shape);
        const double γ = 0.5;
        var o = Train(
            net,
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, γ),
            30,
            1000,
            SmootherMethod.SgdKernel,
            keepKernels: true
        );
        int n = train.Count;
        var eye = torch.eye(n, dtype: ScalarType.Float64);
        var forward = eye.clone();
        var reversed = eye.clone();
        foreach (var k in o.Kernels)
        {
            var factor = eye.sub(k.mul(γ / n));
            forward = factor.matmul(forward); // later steps on the left
            reversed = reversed.matmul(factor); // wrong order (control)
        }
        var sTrain = o.Smoother.S.narrow(0, 0, n);
        Assert.True(
            MaxAbs(eye.sub(sTrain), forward) <= 1e-10,
            $"{MaxAbs(eye.sub(sTrain), forward):E2}"
        );
        Assert.True(
            MaxAbs(o.Smoother.C.narrow(0, 0, n), forward.matmul(o.F0.narrow(0, 0, n))) <= 1e-10
        );
        Assert.True(
            MaxAbs(eye.sub(sTrain), reversed) > 1e-6,
            "the product order must matter for a nonlinear model"
        );
    }

    [Fact]
    public void RowsOutsideTheBatchAreUpdated()
    {
        // T14: after one SGD step with b < n, rows i ∉ B_1 of S are non-zero (wherever K(x_i, X_B) ≠ 0)
        var (train, test) = Fixtures.Data(30, 10);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [10]), train.Shape);
        var o = Train(
            net,
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, 0.1),
            1,
            6,
            SmootherMethod.SgdKernel
        );
        var batch = new BatchSampler(train.Count, 6, 11).Next().ToHashSet();
        var rowNorms = o.Smoother.S.abs().sum(1);
        for (int i = 0; i < rowNorms.shape[0]; i++)
            if (!batch.Contains(i))
                Assert.True(
                    rowNorms[i].item<double>() > 0,
                    $"row {i} outside the batch was not updated"
                );
    }

    [Fact]
    public void LinearRegressionTrainedToConvergenceHasPEffectiveParameters()
    {
        // T10: P = 6 < n = 40, GD γ = 0.5, 3000 steps ⇒ S → hat matrix, p_train = 6 ± 1e-6
        const int n = 40,
            d = 5;
        var rng = new Rng(21, 1);
        var x = new double[n * d];
        var yv = new double[n];
        for (int i = 0; i < x.Length; i++)
            x[i] = rng.NextGaussian();
        for (int i = 0; i < n; i++)
            yv[i] = rng.NextGaussian();
        var train = new Dataset("lr", "synthetic", [d], x, new int[n], 1, yv);
        var test = train.Take([0, 1, 2]);
        using var net = new Network([new Dense(d, 1)], 1, 4, 1.0, ScalarType.Float64, torch.CPU);
        Assert.Equal(6, net.ParameterCount);
        var o = Train(
            net,
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, 0.5),
            3000,
            n,
            SmootherMethod.SgdKernel
        );
        var (pTrain, _) = o.Smoother.EffectiveParameters();
        Assert.True(Math.Abs(pTrain - 6) <= 1e-6, $"p_train = {pTrain:R}");
        var xb = torch.cat(
            [
                HostArrays.ToTensor(x, [n, d], dtype: ScalarType.Float64),
                torch.ones(n, 1, dtype: ScalarType.Float64),
            ],
            1
        );
        var hat = xb.matmul(torch.linalg.solve(xb.t().matmul(xb), xb.t()));
        Assert.True(MaxAbs(o.Smoother.S.narrow(0, 0, n), hat) <= 1e-8);
        // control: far from convergence the smoother is not the hat matrix
        using var early = new Network([new Dense(d, 1)], 1, 4, 1.0, ScalarType.Float64, torch.CPU);
        var e = Train(
            early,
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, 0.5),
            3,
            n,
            SmootherMethod.SgdKernel
        );
        Assert.True(Math.Abs(e.Smoother.EffectiveParameters().train - 6) > 0.1);
    }

    [Fact]
    public void HandBuiltSmoothersHaveTheirKnownEffectiveParameters()
    {
        // T11: a single tree (leaf means) ⇒ p_train = number of leaves; k-NN (self included) ⇒ p_train = n/k
        int[] leaf = [0, 0, 1, 2, 2, 2, 1, 3, 0, 3, 3, 2]; // 4 leaves of sizes 3, 2, 4, 3
        int n = leaf.Length;
        var tree = new double[n * n];
        for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            tree[i * n + j] = leaf[i] == leaf[j] ? 1.0 / leaf.Count(l => l == leaf[j]) : 0;
        Assert.Equal(
            4.0,
            EffectiveParameters.Of(HostArrays.ToTensor(tree, [n, n], dtype: ScalarType.Float64), n),
            12
        );
        const int k = 3;
        var pos = Enumerable.Range(0, n).Select(i => Math.Sin(1.7 * i) * 10).ToArray();
        var knn = new double[n * n];
        for (int i = 0; i < n; i++)
            foreach (
                var j in Enumerable.Range(0, n).OrderBy(j => Math.Abs(pos[j] - pos[i])).Take(k)
            )
                knn[i * n + j] = 1.0 / k;
        Assert.Equal(
            (double)n / k,
            EffectiveParameters.Of(HostArrays.ToTensor(knn, [n, n], dtype: ScalarType.Float64), n),
            12
        );
    }

    [Fact]
    public void EffectiveParametersUseTheFrobeniusNormAndTheFactorNOverM()
    {
        // T17: n = 2 training labels, S = [[1, 0], [0.5, 0.5] | test: [2, 0], [0, 1], [1, 1]] (m = 3)
        var s = HostArrays.ToTensor(
            new double[] { 1, 0, 0.5, 0.5, 2, 0, 0, 1, 1, 1 },
            [5, 2],
            dtype: ScalarType.Float64
        );
        var (pTrain, pTest) = EffectiveParameters.Split(s);
        Assert.Equal(1 + 0.25 + 0.25, pTrain, 15); // ‖S[0:n]‖_F² = 1.5
        Assert.Equal(2.0 / 3.0 * (4 + 1 + 2), pTest, 14); // (n/m) Σ_test ‖s‖² = 14/3
        Assert.NotEqual(4 + 1 + 2, pTest); // not the plain sum
        // p is not trace(S) (the classical degrees of freedom): S = [[.9, .1], [.1, .9]] has p = 1.64, trace 1.8
        var s2 = HostArrays.ToTensor(
            new double[] { 0.9, 0.1, 0.1, 0.9 },
            [2, 2],
            dtype: ScalarType.Float64
        );
        Assert.Equal(1.64, EffectiveParameters.Of(s2, 2), 14);
        Assert.NotEqual(s2.trace().item<double>(), EffectiveParameters.Of(s2, 2), 6);
    }

    [Fact]
    public void CrossEntropyIsRejectedWithTheSpecReason()
    {
        var (train, test) = Fixtures.Data(10, 5);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [4]), train.Shape);
        var x = train.Inputs(ScalarType.Float64, torch.CPU);
        var e = Assert.Throws<NotSupportedException>(() =>
            new Smoother(
                net,
                x,
                10,
                LossKind.CrossEntropy,
                new OptimizerSpec(OptimizerKind.Sgd, 0.1)
            )
        );
        Assert.Contains("squared loss only", e.Message);
        var e2 = Assert.Throws<NotSupportedException>(() =>
            new Smoother(
                net,
                x,
                10,
                LossKind.Squared,
                new OptimizerSpec(OptimizerKind.Momentum, 0.1),
                SmootherMethod.SgdKernel
            )
        );
        Assert.Contains("General", e2.Message);
    }

    [Fact]
    public void SmootherTrajectoryStreamsGateAndEffectiveParameters()
    {
        var (train, test) = Fixtures.Data(30, 10);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [8]), train.Shape);
        var sink = new ObservationList();
        var r = SmootherTrajectory.Run(
            net,
            train,
            test,
            new SmootherConfig(
                40,
                10,
                new OptimizerSpec(OptimizerKind.Sgd, 0.05),
                0,
                RecordEvery: 10
            ),
            sink
        );
        Assert.True(r.Succeeded);
        var p = sink
            .Items.Where(o => o.Quantity == "effective_parameters" && o.Split == "train")
            .ToList();
        Assert.Equal([0.0, 10, 20, 30, 40], p.Select(o => o.Step!.Value));
        Assert.Equal(0, p[0].Value);
        Assert.True(p[^1].Value > 0);
        Assert.Equal(5, sink.Items.Count(o => o.Quantity == "gate_passed"));
    }
}
