namespace Telescope.Tests;

/// <summary>The engine's training loop and learning-rate schedules (issue 13 item 6).</summary>
public class TrainingLoopTests
{
    [Fact]
    public void Constant_schedule_keeps_the_rate()
    {
        var c = LearningRateSchedule.Constant;
        foreach (var t in new long[] { 1, 2, 1000 })
            Assert.Equal(0.3, c.RateAt(0.3, t));
        Assert.Equal("constant", c.Name);
    }

    [Fact]
    public void Step_decay_rates_by_hand()
    {
        // T = 10: boundaries ⌊0.5·10⌋ = 5 and ⌊0.75·10⌋ = 7
        var s = LearningRateSchedule.StepDecay(10, [0.5, 0.75], [0.1, 0.01]);
        Assert.Equal([5L, 7L], s.Boundaries);
        double[] expected = [1, 1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01, 0.01];
        for (int t = 1; t <= 10; t++)
        {
            Assert.Equal(expected[t - 1], s.Multiplier(t));
            Assert.Equal(0.2 * expected[t - 1], s.RateAt(0.2, t));
        }
        Assert.Equal(0.2, s.RateAt(0.2, 5));
        Assert.Equal(0.020000000000000004, s.RateAt(0.2, 6)); // 0.2·0.1 in doubles
        Assert.Equal(0.002, s.RateAt(0.2, 8));
        Assert.Equal("step(5:0.1,7:0.01)", s.Name);

        // T = 8 (the lmc shape): γ for t ≤ 4, γ/10 for t ≤ 6, γ/100 after
        var lmc = LearningRateSchedule.StepDecay(8, [0.5, 0.75], [0.1, 0.01]);
        Assert.Equal(
            [1, 1, 1, 1, 0.1, 0.1, 0.01, 0.01],
            Enumerable.Range(1, 8).Select(t => lmc.Multiplier(t)).ToArray()
        );

        // by a factor: multipliers 0.5, 0.25
        var f = LearningRateSchedule.StepDecay(4, [0.25, 0.5], 0.5);
        Assert.Equal([1, 0.5, 0.25, 0.25], Enumerable.Range(1, 4).Select(t => f.Multiplier(t)));
    }

    [Fact]
    public void Step_decay_equals_the_integer_lmc_rule_for_every_T()
    {
        for (int steps = 0; steps <= 64; steps++)
        {
            var s = LearningRateSchedule.StepDecay(steps, [0.5, 0.75], [0.1, 0.01]);
            for (int t = 1; t <= steps; t++)
            {
                double old =
                    0.05
                    * (
                        t > 3 * steps / 4 ? 0.01
                        : t > steps / 2 ? 0.1
                        : 1.0
                    );
                Assert.Equal(old, s.RateAt(0.05, t));
            }
        }
    }

    [Fact]
    public void Step_decay_rejects_bad_input()
    {
        Assert.Throws<ArgumentException>(() =>
            LearningRateSchedule.StepDecay(10, [0.5], [0.1, 0.01])
        );
        Assert.Throws<ArgumentException>(() =>
            LearningRateSchedule.StepDecay(10, [0.75, 0.5], [0.1, 0.01])
        );
        Assert.Throws<ArgumentException>(() => LearningRateSchedule.StepDecay(10, [1.5], [0.1]));
    }

    [Fact]
    public void Optimizer_applies_warm_up_then_schedule()
    {
        var spec = new OptimizerSpec(OptimizerKind.Sgd, 0.1, Warmup: 4);
        var schedule = LearningRateSchedule.StepDecay(6, [0.5], [0.1]); // boundary 3
        using var opt = new Optimizer(spec, 1, schedule);
        var p = torch.zeros(2, dtype: ScalarType.Float64).requires_grad_();
        var rates = Enumerable.Range(1, 6).Select(_ => opt.Apply([p])).ToArray();
        Assert.Equal(
            [0.1 * 0.25, 0.1 * 0.5, 0.1 * 0.75 * 1.0, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1],
            rates
        );
    }

    private static bool Same(Tensor a, Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    private static (Tensor x, Tensor y) Data(int n, int d, long seed)
    {
        var rng = new Rng(seed);
        var x = HostArrays.ToTensor(
            Enumerable.Range(0, n * d).Select(_ => rng.NextGaussian()).ToArray(),
            [n, d]
        );
        var y = HostArrays.ToTensor(
            Enumerable.Range(0, n).Select(_ => rng.NextGaussian()).ToArray(),
            [n, 1]
        );
        return (x, y);
    }

    [Fact]
    public void Loop_equals_a_hand_written_sgd_loop_step_for_step()
    {
        const int n = 7,
            steps = 6,
            batch = 3;
        const double lr = 0.05;
        var (x, y) = Data(n, 3, 11);
        var spec = new ModelSpec(ModelKind.Mlp, [5]);
        using var a = Fixtures.Net(spec, [3], 1, seed: 4);
        using var b = Fixtures.Net(spec, [3], 1, seed: 4);
        var schedule = LearningRateSchedule.StepDecay(steps, [0.5], [0.1]);

        // the loop, with its per-step parameters kept
        var loopThetas = new List<Tensor[]>();
        var loopLosses = new List<double>();
        var loopRates = new List<double>();
        var before = new List<long>();
        using var opt = new Optimizer(
            new OptimizerSpec(OptimizerKind.Sgd, lr),
            a.Parameters.Count,
            schedule
        );
        var loop = new TrainingLoop(
            new TrainableNetwork(a),
            opt,
            new BatchSampler(n, batch, 9),
            rows =>
            {
                var idx = HostArrays.ToTensor(rows.Select(i => (long)i).ToArray());
                return new TrainingBatch(
                    x.index_select(0, idx),
                    f => Loss.Compute(LossKind.Squared, f, y.index_select(0, idx), idx)
                );
            }
        )
        {
            BeforeStep = (t, _) =>
            {
                before.Add(t);
                return null;
            },
            AfterStep = s =>
            {
                loopThetas.Add(a.Snapshot().Select(p => p.DetachFromDisposeScope()).ToArray());
                loopLosses.Add(s.Loss);
                loopRates.Add(s.Rate);
                return null;
            },
        };
        var outcome = loop.Run(1, steps);
        Assert.True(outcome.Succeeded);
        Assert.Equal(steps, outcome.Completed);
        Assert.Equal(Enumerable.Range(1, steps).Select(t => (long)t), before);

        // by hand
        var sampler = new BatchSampler(n, batch, 9);
        for (int t = 1; t <= steps; t++)
        {
            double rate = t > 3 ? lr * 0.1 : lr;
            var idx = HostArrays.ToTensor(sampler.Next().Select(i => (long)i).ToArray());
            foreach (var p in b.Parameters)
                p.grad?.zero_();
            var f = b.Forward(x.index_select(0, idx));
            var loss = f.Minus(y.index_select(0, idx)).Squared().sum(1).mean().Times(0.5);
            double value = loss.item<double>();
            loss.backward();
            using (torch.no_grad())
                foreach (var p in b.Parameters)
                    p.PlusInPlace(p.grad!.Times(-rate));
            Assert.Equal(value, loopLosses[t - 1]);
            Assert.Equal(rate, loopRates[t - 1]);
            var theta = b.Snapshot();
            for (int i = 0; i < theta.Length; i++)
                Assert.True(Same(theta[i], loopThetas[t - 1][i]), $"step {t}, tensor {i}");
        }
    }

    private static nn.Module<Tensor, Tensor> BnNet(long seed)
    {
        torch.manual_seed(seed);
        return nn.Sequential(
            ("fc1", nn.Linear(3, 4)),
            ("bn", nn.BatchNorm1d(4)),
            ("relu", nn.ReLU()),
            ("fc2", nn.Linear(4, 2))
        );
    }

    [Fact]
    public void Loop_trains_a_stateful_module_like_a_hand_written_heavy_ball_loop()
    {
        const int n = 8,
            steps = 5;
        var x = Data(n, 3, 5).x.to_type(ScalarType.Float32);
        var labels = HostArrays.ToTensor(
            Enumerable.Range(0, n).Select(i => (long)(i % 2)).ToArray()
        );
        using var a = BnNet(1);
        using var b = BnNet(1);
        var model = new TrainableModule(a);
        var schedule = LearningRateSchedule.StepDecay(steps, [0.4], [0.1]);
        using var rule = new HeavyBall(0.1, 0.9, schedule, model.Parameters);
        var loop = new TrainingLoop(
            model,
            rule,
            new BatchSampler(n, 4, 3),
            rows =>
            {
                var idx = HostArrays.ToTensor(rows.Select(i => (long)i).ToArray());
                var yb = labels.index_select(0, idx);
                return new TrainingBatch(
                    x.index_select(0, idx),
                    f => nn.functional.cross_entropy(f, yb)
                );
            }
        );
        Assert.True(loop.Run(1, steps).Succeeded);
        Assert.Equal(steps, rule.Step);

        var sampler = new BatchSampler(n, 4, 3);
        var ps = b.parameters().ToArray();
        var v = ps.Select(p => torch.zeros_like(p)).ToArray();
        for (int t = 1; t <= steps; t++)
        {
            double rate = t > 2 ? 0.1 * 0.1 : 0.1;
            var idx = HostArrays.ToTensor(sampler.Next().Select(i => (long)i).ToArray());
            b.train();
            foreach (var p in ps)
                p.grad?.zero_();
            nn.functional.cross_entropy(
                    b.forward(x.index_select(0, idx)),
                    labels.index_select(0, idx)
                )
                .backward();
            using (torch.no_grad())
                for (int i = 0; i < ps.Length; i++)
                {
                    v[i].TimesInPlace(0.9).PlusInPlace(ps[i].grad!);
                    ps[i].PlusScaledInPlace(v[i], -rate);
                }
        }
        var sa = a.state_dict();
        var sb = b.state_dict();
        Assert.Equal(sb.Keys.Order(), sa.Keys.Order());
        foreach (var (k, t) in sb)
            Assert.True(Same(t, sa[k]), k);
        // batch norm trained in train mode: its running statistics moved
        Assert.False(Same(sa["bn.running_mean"], torch.zeros(4)));
    }

    [Fact]
    public void Loop_resumes_at_a_given_step_and_stops_on_a_bad_loss_or_a_hook()
    {
        var (x, y) = Data(4, 2, 2);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [3]), [2], 1, seed: 1);
        using var opt = new Optimizer(new OptimizerSpec(OptimizerKind.Sgd, 0.1), 4);
        opt.Restore(2, new Tensor?[4], new Tensor?[4]);
        var steps = new List<long>();
        var loop = new TrainingLoop(
            new TrainableNetwork(net),
            opt,
            new BatchSampler(4, 4, 0),
            _ => new TrainingBatch(x, f => Loss.Compute(LossKind.Squared, f, y, y))
        )
        {
            AfterStep = s =>
            {
                steps.Add(s.Step);
                return s.Step == 5 ? "stop here" : null;
            },
        };
        var o = loop.Run(3, 8);
        Assert.Equal([3L, 4L, 5L], steps);
        Assert.Equal(new TrainingOutcome(4, "stop here", 5), o);
        Assert.Equal(5, opt.Step);

        var nan = new TrainingLoop(
            new TrainableNetwork(net),
            opt,
            new BatchSampler(4, 4, 0),
            _ => new TrainingBatch(x, f => f.sum().Times(double.NaN))
        );
        var bad = nan.Run(1, 3);
        Assert.Equal(new TrainingOutcome(0, "training loss is NaN at step 1", 1), bad);
        Assert.Equal(5, opt.Step); // no update after a bad loss
    }
}
