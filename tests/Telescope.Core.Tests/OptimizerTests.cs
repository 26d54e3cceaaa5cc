using TorchSharp.Modules;

namespace Telescope.Tests;

/// <summary>Our optimisers = TorchSharp's built-ins, step for step (spec T16).</summary>
public class OptimizerTests
{
    public static TheoryData<string> Cases =>
        new()
        {
            "sgd",
            "sgd+wd",
            "momentum",
            "momentum+wd",
            "nesterov",
            "adam",
            "adam+wd",
            "adamw",
        };

    private static OptimizerSpec Spec(string c) =>
        c switch
        {
            "sgd" => new(OptimizerKind.Sgd, 0.05),
            "sgd+wd" => new(OptimizerKind.Sgd, 0.05, WeightDecay: 0.1),
            "momentum" => new(OptimizerKind.Momentum, 0.05, Momentum: 0.9),
            "momentum+wd" => new(OptimizerKind.Momentum, 0.05, WeightDecay: 0.05, Momentum: 0.8),
            "nesterov" => new(OptimizerKind.Nesterov, 0.05, Momentum: 0.9),
            "adam" => new(OptimizerKind.Adam, 0.01, Beta1: 0.9, Beta2: 0.99),
            "adam+wd" => new(OptimizerKind.Adam, 0.01, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.99),
            _ => new(OptimizerKind.AdamW, 0.01, WeightDecay: 0.1, Beta1: 0.9, Beta2: 0.99),
        };

    private static torch.optim.Optimizer Builtin(OptimizerSpec s, IEnumerable<Parameter> ps) =>
        s.Kind switch
        {
            OptimizerKind.Sgd => torch.optim.SGD(ps, s.LearningRate, weight_decay: s.WeightDecay),
            OptimizerKind.Momentum => torch.optim.SGD(
                ps,
                s.LearningRate,
                momentum: s.Momentum,
                weight_decay: s.WeightDecay
            ),
            OptimizerKind.Nesterov => torch.optim.SGD(
                ps,
                s.LearningRate,
                momentum: s.Momentum,
                weight_decay: s.WeightDecay,
                nesterov: true
            ),
            OptimizerKind.Adam => torch.optim.Adam(
                ps,
                s.LearningRate,
                s.Beta1,
                s.Beta2,
                s.Epsilon,
                s.WeightDecay
            ),
            _ => torch.optim.AdamW(ps, s.LearningRate, s.Beta1, s.Beta2, s.Epsilon, s.WeightDecay),
        };

    private static void Gradients(Network net, Tensor x, Tensor y, int step)
    {
        foreach (var p in net.Parameters)
            p.grad?.zero_();
        // a different batch every step: rows step..step+9 (mod n)
        var idx = torch.arange(step, step + 10, dtype: ScalarType.Int64).remainder(x.shape[0]);
        Fixtures.SquaredLossBackward(net, x, y, idx);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesTorchSharpStepForStep(string name)
    {
        var spec = Spec(name);
        var ours = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16, 8]), [6], seed: 3);
        var theirs = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16, 8]), [6], seed: 3);
        var x = Fixtures.Inputs(11, 40, 6);
        var y = x.narrow(1, 0, 1).tanh();
        var opt = new Optimizer(spec, ours.Parameters.Count);
        var builtin = Builtin(spec, theirs.Parameters);
        double worst = 0;
        for (int t = 0; t < 50; t++)
        {
            Gradients(ours, x, y, t);
            opt.Apply(ours.Parameters.Cast<Tensor>().ToArray());
            Gradients(theirs, x, y, t);
            builtin.step();
            var a = ParameterVector.Read(ours);
            var b = ParameterVector.Read(theirs);
            worst = Math.Max(worst, Fixtures.RelErr(a, b));
        }
        Assert.True(worst <= 1e-12, $"{name}: max relative difference {worst:E2} over 50 steps");
        // and training moved the parameters (the comparison is not vacuous)
        Assert.True(
            Fixtures.RelErr(
                ParameterVector.Read(ours),
                ParameterVector.Flatten(
                    Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16, 8]), [6], seed: 3).Parameters
                )
            ) > 1e-3
        );
    }

    [Fact]
    public void AMisreadOptimiserIsDetected()
    {
        // control: EMA momentum is not TorchSharp's heavy-ball (spec A2); the same comparison must fail
        var ours = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16, 8]), [6], seed: 3);
        var theirs = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [16, 8]), [6], seed: 3);
        var x = Fixtures.Inputs(11, 40, 6);
        var y = x.narrow(1, 0, 1).tanh();
        var opt = new Optimizer(
            new OptimizerSpec(OptimizerKind.EmaMomentum, 0.05, Beta1: 0.9),
            ours.Parameters.Count
        );
        var builtin = torch.optim.SGD(theirs.Parameters, 0.05, momentum: 0.9);
        for (int t = 0; t < 10; t++)
        {
            Gradients(ours, x, y, t);
            opt.Apply(ours.Parameters.Cast<Tensor>().ToArray());
            Gradients(theirs, x, y, t);
            builtin.step();
        }
        Assert.True(
            Fixtures.RelErr(ParameterVector.Read(ours), ParameterVector.Read(theirs)) > 1e-6
        );
    }

    [Fact]
    public void InvalidSettingsAreRejectedWithTheirName()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new Optimizer(new OptimizerSpec(OptimizerKind.Sgd, -0.1), 1)
        );
        Assert.Contains("learning rate", e.Message);
        e = Assert.Throws<ArgumentException>(() =>
            new Optimizer(new OptimizerSpec(OptimizerKind.Momentum, 0.1, Momentum: 1.5), 1)
        );
        Assert.Contains("momentum", e.Message);
        Assert.Throws<ArgumentException>(() => OptimizerSpec.ParseKind("rmsprop"));
    }

    [Fact]
    public void WarmupIsLinear()
    {
        var s = new OptimizerSpec(OptimizerKind.AdamW, 1e-4, Warmup: 100);
        Assert.Equal(1e-6, s.RateAt(1), 15);
        Assert.Equal(5e-5, s.RateAt(50), 15);
        Assert.Equal(1e-4, s.RateAt(100), 15);
        Assert.Equal(1e-4, s.RateAt(1000), 15);
    }
}
