using Telescope.Tangents;

namespace Telescope.Tests;

/// <summary>The batched JVP ∇f_θ(X)ᵀv: forward-mode = double-backward = per-example loop = explicit J·v (T7), and ≈ finite differences.</summary>
public class JvpTests
{
    public static TheoryData<string> Models =>
        new() { "mlp-relu", "mlp-tanh-sigmoid", "mlp-nobias-3out", "cnn", "linear" };

    private static (Network net, Tensor x) Make(string name) =>
        name switch
        {
            "mlp-relu" => (
                Fixtures.Net(new ModelSpec(ModelKind.Mlp, [12, 9]), [7]),
                Fixtures.Inputs(1, 23, 7)
            ),
            "mlp-tanh-sigmoid" => (
                Fixtures.Net(
                    new ModelSpec(
                        ModelKind.Mlp,
                        [10, 10],
                        ActivationKind.Tanh,
                        OutputSigmoid: true
                    ),
                    [5]
                ),
                Fixtures.Inputs(2, 17, 5)
            ),
            "mlp-nobias-3out" => (
                Fixtures.Net(new ModelSpec(ModelKind.Mlp, [8], Bias: false), [6], outputs: 3),
                Fixtures.Inputs(3, 11, 6)
            ),
            "cnn" => (
                Fixtures.Net(new ModelSpec(ModelKind.Cnn), [1, 8, 8], outputs: 2),
                Fixtures.Inputs(4, 9, 1, 8, 8)
            ),
            _ => (
                Fixtures.Net(new ModelSpec(ModelKind.Linear, [20]), [6]),
                Fixtures.Inputs(5, 13, 6)
            ),
        };

    [Theory]
    [MemberData(nameof(Models))]
    public void BatchedMethodsAgreeWithPerExampleLoopAndExplicitJacobian(string model)
    {
        var (net, x) = Make(model);
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, 7);
        var forward = Jvp.Compute(net, x, theta, v, JvpMethod.Forward);
        var dbl = Jvp.Compute(net, x, theta, v, JvpMethod.DoubleBackward, chunk: 5);
        var loop = Jvp.Compute(net, x, theta, v, JvpMethod.PerExample);
        var explicitJv = Jvp.Jacobian(net, x, theta)
            .matmul(ParameterVector.Flatten(v))
            .reshape(x.shape[0], net.Outputs);
        Assert.Equal(new long[] { x.shape[0], net.Outputs }, forward.shape);
        Assert.True(
            Fixtures.RelErr(forward, loop) <= 1e-10,
            $"forward vs loop {Fixtures.RelErr(forward, loop)}"
        );
        Assert.True(
            Fixtures.RelErr(dbl, loop) <= 1e-10,
            $"double-backward vs loop {Fixtures.RelErr(dbl, loop)}"
        );
        Assert.True(
            Fixtures.RelErr(forward, explicitJv) <= 1e-10,
            $"forward vs J·v {Fixtures.RelErr(forward, explicitJv)}"
        );
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void MatchesCentralFiniteDifferences(string model)
    {
        var (net, x) = Make(model);
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, 8);
        var jvp = Jvp.Compute(net, x, theta, v);
        const double h = 1e-5;
        var plus = theta.Select((t, i) => t.add(v[i], alpha: h)).ToArray();
        var minus = theta.Select((t, i) => t.add(v[i], alpha: -h)).ToArray();
        var fd = net.Forward(x, plus).sub(net.Forward(x, minus)).div(2 * h);
        // O(h²) truncation (plus kinks for ReLU/max-pool, which random inputs avoid with probability ~1)
        Assert.True(
            Fixtures.RelErr(jvp, fd) <= 1e-5,
            $"JVP vs finite differences {Fixtures.RelErr(jvp, fd)}"
        );
    }

    [Fact]
    public void ForwardModeReturnsTheForwardPassItself()
    {
        var (net, x) = Make("mlp-relu");
        var (f, _) = net.Tangent(x, net.Snapshot(), Fixtures.Direction(net, 1));
        Assert.Equal(0.0, f.sub(net.Forward(x)).abs().max().item<double>());
    }

    [Fact]
    public void AWrongTangentRuleIsDetected()
    {
        // must-fail control for the comparison itself: dropping the ȧWᵀ term of Dense must be caught
        var (net, x) = Make("mlp-relu");
        var theta = net.Snapshot();
        var v = Fixtures.Direction(net, 9);
        var loop = Jvp.PerExample(net, x, theta, v);
        var broken = new Network(
            net.Layers.Select(l => l is Dense d ? (ILayer)new DenseWithRule(d, "broken", dense => (a, _, p, dp) => dense.Tangent(a, null, p, dp)) : l)
                .ToList(),
            1,
            0,
            1,
            ScalarType.Float64,
            torch.CPU
        );
        var bad = broken.Tangent(x, theta, v).jvp;
        Assert.True(Fixtures.RelErr(bad, loop) > 1e-3);
    }
}
