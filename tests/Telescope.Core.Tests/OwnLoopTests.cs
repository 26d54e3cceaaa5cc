using Telescope.Frames;

namespace Telescope.Tests;

/// <summary>
/// The recorder attached to the user's own loop (issue 17 items 3–5): TorchSharp's optimisers stepping the
/// library's network, f̃ equal to the built-in recorder's, trajectory tensors, exact attribution and its
/// relation to the smoother.
/// </summary>
public sealed class OwnLoopTests
{
    private static readonly ModelSpec Tanh = new(ModelKind.Mlp, [12, 12], ActivationKind.Tanh);

    /// <summary>The user's loop: TorchSharp optimiser, library batches and ½-squared loss, every step in its own dispose scope.</summary>
    private static TelescopeRecorder Loop(
        Network net,
        Dataset train,
        Probe probe,
        torch.optim.Optimizer opt,
        double lr,
        int steps,
        int batch,
        long seed,
        RecorderOptions options,
        IObservationSink? sink = null,
        Action<TelescopeRecorder, long>? after = null
    )
    {
        var lens = TelescopeRecorder.Attach(net, probe, options, sink);
        var x = train.Inputs(net.DType, net.Device);
        var y = train.Targets(net.DType, net.Device);
        var l = train.LabelTensor(net.Device);
        var sampler = new BatchSampler(train.Count, batch, seed);
        for (int t = 1; t <= steps; t++)
        {
            using var scope = torch.NewDisposeScope();
            var b = sampler.Next();
            var idx = torch.tensor(b.Select(i => (long)i).ToArray());
            opt.zero_grad();
            var loss = Loss.Compute(
                options.Loss,
                net.Forward(x.index_select(0, idx)),
                y.index_select(0, idx),
                l.index_select(0, idx)
            );
            loss.backward();
            opt.step();
            lens.Step(b, lr, loss.item<double>());
            after?.Invoke(lens, t);
        }
        return lens;
    }

    private static double MaxAbs(Tensor t) => t.abs().max().item<double>();

    private static Tensor Last(Tensor t) => t.select(0, t.shape[0] - 1);

    [Fact]
    public void TorchSharpAdamInTheUsersLoopGivesTheBuiltInRecordersRows()
    {
        var (train, test) = Fixtures.Data(40, 20);
        var probe = Probe.Of(train, test);
        var spec = new OptimizerSpec(OptimizerKind.Adam, 0.01, Beta1: 0.9, Beta2: 0.99);
        const int steps = 30,
            batch = 10;
        using var builtInNet = Fixtures.Net(Tanh, train.Shape, seed: 2);
        var builtIn = new ObservationList();
        var result = Trajectory.Run(
            builtInNet,
            train,
            probe,
            new TrajectoryConfig(
                steps,
                batch,
                LossKind.Squared,
                spec,
                Seed: 5,
                RecordEvery: 1,
                RecordExamples: 100
            ),
            builtIn
        );
        Assert.True(result.Succeeded, result.Failure);

        using var net = Fixtures.Net(Tanh, train.Shape, seed: 2);
        var adam = torch.optim.Adam(
            net.Parameters,
            spec.LearningRate,
            spec.Beta1,
            spec.Beta2,
            spec.Epsilon
        );
        var own = new ObservationList();
        using var lens = Loop(
            net,
            train,
            probe,
            adam,
            spec.LearningRate,
            steps,
            batch,
            5,
            new RecorderOptions { RecordExamples = 100 },
            own
        );
        // the same rows, in the same order, with the same values to round-off
        Assert.Equal(builtIn.Items.Count, own.Items.Count);
        double worst = 0,
            worstTel = 0;
        foreach (var (a, b) in builtIn.Items.Zip(own.Items))
        {
            Assert.Equal(
                (a.Quantity, a.Step, a.Split, a.Example, a.Output),
                (b.Quantity, b.Step, b.Split, b.Example, b.Output)
            );
            double d = Math.Abs(a.Value - b.Value) / (1 + Math.Abs(a.Value));
            worst = Math.Max(worst, d);
            if (a.Quantity == "f_telescoped")
                worstTel = Math.Max(worstTel, Math.Abs(a.Value - b.Value));
        }
        Assert.True(worstTel <= 1e-10, $"f̃: max |built-in − own loop| = {worstTel:E2}");
        Assert.True(worst <= 1e-9, $"rows: max relative difference {worst:E2}");
        // not vacuous: the network moved, and f̃ differs from f_0 and from f
        var traj = lens.Trajectory();
        Assert.True(MaxAbs(Last(traj.FTelescoped).Minus(traj.FTelescoped.select(0, 0))) > 1e-2);
        Assert.True(MaxAbs(Last(traj.FTelescoped).Minus(Last(traj.F))) > 1e-8);
    }

    public static TheoryData<string> Rules => new() { "sgd", "sgd+wd", "momentum", "nesterov" };

    private static (torch.optim.Optimizer opt, OptimizerSpec rule) Sgd(string name, Network net) =>
        name switch
        {
            "sgd" => (
                torch.optim.SGD(net.Parameters, 0.2),
                new OptimizerSpec(OptimizerKind.Sgd, 0.2)
            ),
            "sgd+wd" => (
                torch.optim.SGD(net.Parameters, 0.2, weight_decay: 0.05),
                new OptimizerSpec(OptimizerKind.Sgd, 0.2, WeightDecay: 0.05)
            ),
            "momentum" => (
                torch.optim.SGD(net.Parameters, 0.05, momentum: 0.9),
                new OptimizerSpec(OptimizerKind.Momentum, 0.05, Momentum: 0.9)
            ),
            _ => (
                torch.optim.SGD(net.Parameters, 0.05, momentum: 0.8, nesterov: true),
                new OptimizerSpec(OptimizerKind.Nesterov, 0.05, Momentum: 0.8)
            ),
        };

    [Theory]
    [MemberData(nameof(Rules))]
    public void AttributionsSummedOverTrainingRowsAndLayersEqualTheTelescopedChange(string name)
    {
        var (train, test) = Fixtures.Data(24, 10);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 1);
        var (opt, rule) = Sgd(name, net);
        using var lens = Loop(
            net,
            train,
            probe,
            opt,
            rule.LearningRate,
            steps: 25,
            batch: 8,
            seed: 3,
            new RecorderOptions
            {
                RecordEvery = 5,
                UpdateRule = rule,
                Attribution = true,
                ByLayer = true,
                AttributionSteps = new HashSet<long> { 1, 25 },
            }
        );
        using var attr = lens.Attribution();
        using var traj = lens.Trajectory();
        var change = Last(traj.FTelescoped).Minus(traj.FTelescoped.select(0, 0)); // [N, k]
        double scale = MaxAbs(change);
        Assert.True(scale > 1e-2, $"training moved f̃ by {scale:E2} only");
        var sum = attr.Total.sum(2).Plus(attr.WeightDecay);
        double err = MaxAbs(sum.Minus(change));
        Assert.True(
            err <= 1e-10 * scale,
            $"{name}: Σ_i A − (f̃_T − f̃_0) = {err:E2} (scale {scale:E2})"
        );
        Assert.True(attr.MaxResidual <= 1e-10 * scale, $"per-step residual {attr.MaxResidual:E2}");
        if (name == "sgd+wd")
            Assert.True(MaxAbs(attr.WeightDecay) > 1e-6);
        else
            Assert.Equal(0.0, MaxAbs(attr.WeightDecay));
        // layers: parts summed over layers equal the whole (3 dense layers)
        Assert.Equal(3, traj.Layers.Count);
        var byLayer = traj.ByLayer!;
        Assert.Equal(
            new long[] { traj.Steps.Count, 3, probe.Train.Count + probe.Test.Count, 1 },
            byLayer.shape
        );
        double lerr = MaxAbs(Last(byLayer).sum(dim: 0L).Minus(change));
        Assert.True(lerr <= 1e-12 * scale + 1e-14, $"Σ_l parts − (f̃_T − f̃_0) = {lerr:E2}");
        Assert.True(
            MaxAbs(Last(byLayer).select(0, 0)) > 1e-4 && MaxAbs(Last(byLayer).select(0, 2)) > 1e-4
        );
        // the per-step attribution of step 1 touches only the batch of step 1 under plain SGD
        var first = attr.PerStep[1];
        int nonZeroColumns = (int)first.abs().sum([0, 1]).gt(0).sum().item<long>();
        if (name.StartsWith("sgd"))
            Assert.Equal(8, nonZeroColumns);
        // tidy: one attribution row per probe point × training row, with a train_example column
        var rows = attr.ToObservations(perStep: false)
            .Where(o => o.Quantity == "attribution")
            .ToList();
        Assert.Equal(probe.Train.Count * 24 + probe.Test.Count * 24, rows.Count);
        var top = attr.TopK(3).ToList();
        Assert.Equal(probe.Test.Count * 3, top.Count);
        var frame = TidyFrames.FromObservations(new RunKey("own", "r", 0, []), rows.Concat(top));
        Assert.Contains("train_example", frame.ColumnKeys);
        Assert.Contains("rank", frame.ColumnKeys);
        var t0 = top.Where(o => o.Example == 0).ToList();
        Assert.True(Math.Abs(t0[0].Value) >= Math.Abs(t0[1].Value));
        Assert.Equal(
            rows.Where(o => o.Split == "test" && o.Example == 0).Max(o => Math.Abs(o.Value)),
            Math.Abs(t0[0].Value)
        );
    }

    [Fact]
    public void AdamGivenItsPreconditionerIsSplitExactlyToo()
    {
        // the library's Adam exposes 1/φ_t; with it the per-example split of Δθ_t is an exact additive decomposition
        var (train, test) = Fixtures.Data(24, 10);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 1);
        var rule = new OptimizerSpec(OptimizerKind.Adam, 0.01, WeightDecay: 0.01);
        using var opt = new Optimizer(rule, net.Parameters.Count);
        using var lens = TelescopeRecorder.Attach(
            net,
            probe,
            new RecorderOptions
            {
                RecordEvery = 0,
                UpdateRule = rule,
                Attribution = true,
                InvPhiSource = () => opt.LastInvPhi,
            }
        );
        var x = train.Inputs(ScalarType.Float64, CPU);
        var y = train.Targets(ScalarType.Float64, CPU);
        var sampler = new BatchSampler(train.Count, 8, 3);
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        for (int t = 1; t <= 15; t++)
        {
            using var scope = torch.NewDisposeScope();
            var b = sampler.Next();
            var idx = torch.tensor(b.Select(i => (long)i).ToArray());
            foreach (var p in net.Parameters)
                p.grad?.zero_();
            Fixtures.SquaredLossBackward(net, x, y, idx);
            double lr = opt.Apply(ps);
            lens.Step(new StepInfo(b, lr));
        }
        using var attr = lens.Attribution();
        var change = lens.Telescoped.Minus(lens.Initial);
        double scale = MaxAbs(change);
        Assert.True(scale > 1e-2);
        double err = MaxAbs(attr.Total.sum(2).Plus(attr.WeightDecay).Minus(change));
        Assert.True(err <= 1e-10 * scale, $"Adam: Σ_i A − (f̃_T − f̃_0) = {err:E2}");
        Assert.True(MaxAbs(attr.WeightDecay) > 0);
    }

    [Fact]
    public void AMisdeclaredRuleIsRefusedAtTheStepItHappens()
    {
        // heavy-ball declared as plain SGD: the two coincide at step 1 (v_1 = G_1), so the first step the rule does not
        // explain is step 2 — the recorder refuses there, naming it
        var (train, test) = Fixtures.Data(24, 10);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 1);
        var e = Assert.Throws<Telescope.Counterfactual.RuleMismatchException>(() =>
            HeavyBall(
                net,
                train,
                test,
                new RecorderOptions
                {
                    UpdateRule = new OptimizerSpec(OptimizerKind.Sgd, 0.05),
                    Attribution = true,
                }
            )
        );
        Assert.Equal(2, e.Step);
        Assert.Contains("step 2", e.Message);
    }

    /// <summary>
    /// TorchSharp's heavy-ball SGD (γ = 0.05, momentum 0.9; 10 steps of 8 rows, sampler seed 3) watched with
    /// <paramref name="options"/>: the run whose declared rule the two tests above and below get wrong or right.
    /// </summary>
    private static TelescopeRecorder HeavyBall(
        Network net,
        Dataset train,
        Dataset test,
        RecorderOptions options
    ) =>
        Loop(
            net,
            train,
            Probe.Of(train, test),
            torch.optim.SGD(net.Parameters, 0.05, momentum: 0.9),
            0.05,
            steps: 10,
            batch: 8,
            seed: 3,
            options
        );

    [Fact]
    public void AMisdeclaredRuleIsVisibleInTheResidual()
    {
        // the same with RuleMismatch = Record: training carries on, the first mismatch and the residual are reported;
        // control: the rule declared right (momentum) records no mismatch
        foreach (var (rule, wrong) in new[] { (new OptimizerSpec(OptimizerKind.Sgd, 0.05), true), (new OptimizerSpec(OptimizerKind.Momentum, 0.05, Momentum: 0.9), false) })
        {
            var (train, test) = Fixtures.Data(24, 10);
            using var net = Fixtures.Net(Tanh, train.Shape, seed: 1);
            using var lens = HeavyBall(
                net,
                train,
                test,
                new RecorderOptions
                {
                    UpdateRule = rule,
                    Attribution = true,
                    RuleMismatch = RuleMismatchPolicy.Record,
                }
            );
            using var attr = lens.Attribution();
            if (wrong)
            {
                Assert.True(attr.MaxResidual > 1e-4, $"residual {attr.MaxResidual:E2} should expose the wrong rule");
                Assert.Equal(2L, attr.FirstMismatch);
            }
            else
                Assert.Null(attr.FirstMismatch);
        }
    }

    [Fact]
    public void DirectLabelWeightsAndTheSmootherAreRelatedExactly()
    {
        // squared-loss SGD: S_T = D_T − Σ_t W_t S_{t−1}[train], W_t = D_t − D_{t−1}; S_1 = D_1; the feedback is not zero
        var (train, test) = Fixtures.Data(20, 8);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 4);
        var rule = new OptimizerSpec(OptimizerKind.Sgd, 0.3);
        int n = train.Count;
        Tensor? dPrev = null,
            sPrev = null,
            feedback = null,
            d1 = null,
            s1 = null;
        var options = new RecorderOptions
        {
            RecordEvery = 0,
            UpdateRule = rule,
            Attribution = true,
            Smoother = true,
        };
        sPrev = torch.zeros([train.Count + test.Count, n], ScalarType.Float64); // S_0 = 0
        dPrev = torch.zeros_like(sPrev);
        feedback = torch.zeros_like(sPrev);
        var sgd = torch.optim.SGD(net.Parameters, rule.LearningRate);
        using var lens2 = Loop(
            net,
            train,
            probe,
            sgd,
            rule.LearningRate,
            steps: 15,
            batch: 6,
            seed: 2,
            options,
            after: (l, t) =>
            {
                using var a = l.Attribution();
                var d = a.DirectLabelWeights!.clone();
                var w = d.Minus(dPrev!);
                feedback!.PlusInPlace(w.matmul(sPrev!.narrow(0, 0, n)));
                if (t == 1)
                {
                    d1 = d.clone();
                    s1 = l.Smoother!.S.clone();
                }
                dPrev!.Dispose();
                sPrev!.Dispose();
                dPrev = d;
                sPrev = l.Smoother!.S.clone();
                dPrev.DetachFromDisposeScope();
                sPrev.DetachFromDisposeScope();
                d1?.DetachFromDisposeScope();
                s1?.DetachFromDisposeScope();
            }
        );
        var sT = lens2.Smoother!.S;
        double scale = MaxAbs(sT);
        double err = MaxAbs(sT.Minus(dPrev!.Minus(feedback!)));
        Assert.True(err <= 1e-10 * scale, $"S_T − (D_T − feedback) = {err:E2} (scale {scale:E2})");
        Assert.True(MaxAbs(s1!.Minus(d1!)) <= 1e-12 * MaxAbs(s1!));
        Assert.True(
            MaxAbs(feedback!) > 1e-3 * scale,
            "the feedback term must matter (else the test is vacuous)"
        );
    }

    [Fact]
    public void ForAModelLinearInThetaTheAttributionsSumToTheSmoothersPrediction()
    {
        // f̂ = f̃ = f exactly: Σ_i A(x, z_i) = s_T(x)·y + c_T(x) − c_0(x)
        var (train, test) = Fixtures.Data(20, 8);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Linear, [16]), train.Shape, seed: 4);
        var rule = new OptimizerSpec(OptimizerKind.Sgd, 0.1);
        var sgd = torch.optim.SGD(net.Parameters, rule.LearningRate);
        var options = new RecorderOptions
        {
            RecordEvery = 0,
            UpdateRule = rule,
            Attribution = true,
            Smoother = true,
        };
        using var lens = Loop(net, train, probe, sgd, rule.LearningRate, 30, 5, 2, options);
        using var attr = lens.Attribution();
        var y = train.Targets(ScalarType.Float64, CPU).reshape(-1);
        var c0 = lens.Initial.reshape(-1);
        var rhs = lens.Smoother!.Predict(y).Minus(c0);
        var lhs = attr.Total.sum(2).reshape(-1);
        double scale = MaxAbs(rhs);
        Assert.True(scale > 1e-2);
        Assert.True(MaxAbs(lhs.Minus(rhs)) <= 1e-10 * scale, $"{MaxAbs(lhs.Minus(rhs)):E2}");
    }

    [Fact]
    public void TrajectoryTensorsHaveTheirShapesAndTheTidyRowsValuesAndOutliveTheRecorder()
    {
        var (train, test) = Fixtures.Data(16, 6);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 7);
        var sink = new ObservationList();
        var opt = torch.optim.SGD(net.Parameters, 0.1);
        var lens = Loop(
            net,
            train,
            probe,
            opt,
            0.1,
            steps: 6,
            batch: 4,
            seed: 1,
            new RecorderOptions
            {
                RecordEvery = 2,
                RecordExamples = 100,
                KeepParameters = true,
                ByLayer = true,
                GradientSteps = new HashSet<long> { 2 },
                KernelSteps = new HashSet<long> { 0, 6 },
            },
            sink
        );
        TrajectoryTensors traj;
        Tensor fTel;
        using (torch.NewDisposeScope())
        {
            traj = lens.Trajectory(); // created inside the caller's scope: must not be freed with it
            fTel = lens.Telescoped;
            fTel.DetachFromDisposeScope();
        }
        lens.Dispose();
        long N = 22,
            P = net.ParameterCount;
        Assert.Equal(new long[] { 0, 2, 4, 6 }, traj.Steps);
        Assert.Equal(new long[] { 4, N, 1 }, traj.F.shape);
        Assert.Equal(new long[] { 4, N, 1 }, traj.FTelescoped.shape);
        Assert.Equal(new long[] { 4, N, 1 }, traj.FLinearised.shape);
        Assert.Equal(new long[] { 4, P }, traj.Theta!.shape);
        Assert.Equal(new long[] { 4, P }, traj.Delta!.shape);
        Assert.Equal(new long[] { 16, P }, traj.LossGradients[2].shape);
        Assert.Equal(new long[] { N, N }, traj.Kernels[6].shape);
        Assert.Equal(0.0, MaxAbs(traj.Delta!.select(0, 0)));
        Assert.Equal(0.0, MaxAbs(Last(traj.FTelescoped).Minus(fTel)));
        Assert.Equal(8 * (3 * 4 * N + 2 * 4 * P + 4 * 3 * N + 16 * P + 2 * N * N), traj.Bytes);
        // θ_t rows are the network's parameters at the logged steps (last = now)
        Assert.Equal(0.0, MaxAbs(Last(traj.Theta!).Minus(ParameterVector.Read(net))));
        // the tensors equal the streamed tidy rows, value for value and in order
        var quantities = new[] { "f", "f_telescoped", "f_linearised" };
        var streamed = sink.Items.Where(o => quantities.Contains(o.Quantity)).ToList();
        var fromTensors = traj.ToObservations()
            .Where(o => quantities.Contains(o.Quantity))
            .ToList();
        Assert.Equal(streamed, fromTensors);
        var layerStreamed = sink.Items.Where(o => o.Quantity == "f_telescoped_layer").ToHashSet();
        var layerTensors = traj.ToObservations()
            .Where(o => o.Quantity == "f_telescoped_layer")
            .ToList();
        Assert.Equal(layerStreamed.Count, layerTensors.Count);
        Assert.All(layerTensors, o => Assert.Contains(o, layerStreamed));
        var arr = TrajectoryTensors.ToArray3(traj.F);
        Assert.Equal(traj.F[3, 5, 0].item<double>(), arr[3, 5, 0]);
        // and they survive the recorder's disposal and the scope they were made in
        Assert.True(double.IsFinite(traj.F.sum().item<double>()));
        Assert.True(double.IsFinite(traj.Kernels[0].sum().item<double>()));
        traj.Dispose();
        Assert.Throws<ObjectDisposedException>(() => lens.Step());
    }

    [Fact]
    public void UnsupportedRequestsSayWhy()
    {
        var (train, test) = Fixtures.Data(16, 6);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 7);
        var probe = Probe.Of(train, test);
        var e = Assert.Throws<ArgumentException>(() =>
            TelescopeRecorder.Attach(net, probe, new RecorderOptions { Attribution = true })
        );
        Assert.Contains("UpdateRule", e.Message);
        // Adam without a source of φ_t: refused at Attach, before any step is taken
        foreach (var kind in new[] { OptimizerKind.Adam, OptimizerKind.AdamW })
        foreach (var (smoother, attribution) in new[] { (false, true), (true, false) })
        {
            var n = Assert.Throws<NotSupportedException>(() =>
                TelescopeRecorder.Attach(
                    net,
                    probe,
                    new RecorderOptions
                    {
                        Attribution = attribution,
                        Smoother = smoother,
                        UpdateRule = new OptimizerSpec(kind, 0.01),
                    }
                )
            );
            Assert.Contains("φ_t", n.Message);
            Assert.Contains("InvPhiSource", n.Message);
        }
        // control: the same request with a source attaches, and SGD needs none
        using var withSource = TelescopeRecorder.Attach(
            net,
            probe,
            new RecorderOptions
            {
                Attribution = true,
                UpdateRule = new OptimizerSpec(OptimizerKind.Adam, 0.01),
                InvPhiSource = () => [],
            }
        );
        using var lens = TelescopeRecorder.Attach(
            net,
            probe,
            new RecorderOptions
            {
                Attribution = true,
                UpdateRule = new OptimizerSpec(OptimizerKind.Sgd, 0.01),
            }
        );
        Assert.Throws<ArgumentException>(() => lens.Step());
    }
}
