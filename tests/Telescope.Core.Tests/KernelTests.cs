using Telescope.Kernels;

namespace Telescope.Tests;

/// <summary>Empirical tangent kernels (spec §1.5; invariants T8, T15).</summary>
public class KernelTests
{
    private static Network Mlp(
        int outputs = 1,
        bool sigmoid = false,
        long seed = 3,
        ActivationKind activation = ActivationKind.Relu
    ) =>
        Fixtures.Net(
            new ModelSpec(ModelKind.Mlp, [12, 9], activation, OutputSigmoid: sigmoid),
            [6],
            outputs,
            seed
        );

    [Theory]
    [InlineData(1, false, ActivationKind.Relu)]
    [InlineData(1, true, ActivationKind.Relu)]
    [InlineData(3, false, ActivationKind.Relu)]
    [InlineData(1, false, ActivationKind.Tanh)]
    [InlineData(3, false, ActivationKind.Tanh)]
    [InlineData(1, true, ActivationKind.Sigmoid)]
    [InlineData(3, false, ActivationKind.Sigmoid)]
    public void StructuredKernelEqualsJacobianContractionAndPerExampleLoop(
        int outputs,
        bool sigmoid,
        ActivationKind activation
    )
    {
        // T8: factorised kernel = J_A J_Bᵀ (≤ 1e-10 relative), for traced and full output handling;
        // every hidden activation (a wrong φ′ in the kernel rule of one must fail here)
        using var net = Mlp(outputs, sigmoid, activation: activation);
        var xa = Fixtures.Inputs(1, 7, 6);
        var xb = Fixtures.Inputs(2, 5, 6);
        foreach (var outs in new[] { NtkOutputs.Trace, NtkOutputs.Full })
        {
            var s = Ntk.Compute(net, xa, xb, method: NtkMethod.Structured, outputs: outs);
            var j = Ntk.Compute(net, xa, xb, method: NtkMethod.Jacobian, outputs: outs);
            var p = Ntk.Compute(net, xa, xb, method: NtkMethod.PerExample, outputs: outs);
            long[] expected = outs == NtkOutputs.Trace ? [7, 5] : [7, 5, outputs, outputs];
            Assert.Equal(expected, s.shape);
            Assert.Equal(expected, j.shape);
            Assert.True(
                Fixtures.RelErr(s, j) <= 1e-10,
                $"{outs}: structured vs Jacobian {Fixtures.RelErr(s, j):E2}"
            );
            Assert.True(
                Fixtures.RelErr(p, j) <= 1e-10,
                $"{outs}: per-example vs Jacobian {Fixtures.RelErr(p, j):E2}"
            );
        }
    }

    [Fact]
    public void StructuredKernelAtOtherParametersDiffers()
    {
        // must-fail control for T8: the same comparison against a kernel taken at perturbed θ is far outside 1e-10
        using var net = Mlp();
        var x = Fixtures.Inputs(1, 6, 6);
        var moved = net
            .Parameters.Zip(Fixtures.Direction(net, 5, 1e-3), (p, d) => p.detach().add(d))
            .ToArray();
        var s = Ntk.Compute(net, x, x, moved);
        var j = Ntk.Compute(net, x, x, method: NtkMethod.Jacobian);
        Assert.True(Fixtures.RelErr(s, j) > 1e-6);
    }

    [Fact]
    public void TrainBlockIsSymmetricPositiveSemidefinite()
    {
        // T8: K(X, X) symmetric, min eigenvalue ≥ −1e-10·max
        using var net = Mlp(outputs: 2);
        var x = Fixtures.Inputs(4, 30, 6);
        var k = Ntk.Compute(net, x, x);
        Assert.True(Fixtures.RelErr(k, k.t()) <= 1e-14);
        var eig = torch.linalg.eigvalsh(k);
        double min = eig.min().item<double>(),
            max = eig.max().item<double>();
        Assert.True(min >= -1e-10 * max, $"min eigenvalue {min:E3} vs max {max:E3}");
        var full = Ntk.Compute(net, x, x, outputs: NtkOutputs.Full)
            .permute(0, 2, 1, 3)
            .reshape(60, 60);
        var e2 = torch.linalg.eigvalsh(full);
        Assert.True(e2.min().item<double>() >= -1e-10 * e2.max().item<double>());
    }

    [Fact]
    public void ConvolutionalKernelMatchesJacobian()
    {
        // T8 for the CNN: per-layer per-example conv gradients (unfold) contracted = J_A J_Bᵀ
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Cnn), [1, 8, 8], outputs: 2);
        var xa = Fixtures.Inputs(1, 4, 64);
        var xb = Fixtures.Inputs(2, 3, 64);
        var s = Ntk.Compute(net, xa, xb, outputs: NtkOutputs.Full);
        var j = Ntk.Compute(net, xa, xb, method: NtkMethod.Jacobian, outputs: NtkOutputs.Full);
        Assert.True(Fixtures.RelErr(s, j) <= 1e-10, $"{Fixtures.RelErr(s, j):E2}");
    }

    [Fact]
    public void StructuredJacobianEqualsAutogradJacobian()
    {
        using var net = Mlp(outputs: 2, sigmoid: false);
        var x = Fixtures.Inputs(3, 5, 6);
        var a = Ntk.Jacobian(net, x);
        var b = Ntk.AutogradJacobian(net, x, net.Parameters);
        Assert.Equal(new long[] { 5, 2, net.ParameterCount }, a.shape);
        Assert.True(Fixtures.RelErr(a, b) <= 1e-12);
    }

    [Fact]
    public void SigmoidKernelIsSigmaPrimeTimesPreActivationKernel()
    {
        // T15 (paper Eq. 13, E7): K_σ(x, x′) = σ′(g(x)) σ′(g(x′)) K_g(x, x′), all at the same θ
        using var withSigmoid = Mlp(sigmoid: true);
        using var plain = Mlp(sigmoid: false); // same seed ⇒ same θ (the sigmoid has no parameters)
        var xa = Fixtures.Inputs(1, 6, 6);
        var xb = Fixtures.Inputs(2, 4, 6);
        var ks = Ntk.Compute(withSigmoid, xa, xb);
        var kg = Ntk.Compute(plain, xa, xb);
        Tensor SigmaPrime(Tensor x)
        {
            var s = plain.Forward(x).sigmoid().squeeze(1);
            return s.mul(s.neg().add(1));
        }
        var expected = SigmaPrime(xa).unsqueeze(1).mul(SigmaPrime(xb).unsqueeze(0)).mul(kg);
        Assert.True(Fixtures.RelErr(ks, expected) <= 1e-12, $"{Fixtures.RelErr(ks, expected):E2}");
        // control: σ′ at parameters one step away (the paper's θ_t, E7) does not satisfy the identity
        var moved = plain
            .Parameters.Zip(Fixtures.Direction(plain, 9, 1e-2), (p, d) => p.detach().add(d))
            .ToArray();
        var sm = plain.Forward(xa, moved).sigmoid().squeeze(1);
        var wrong = sm.mul(sm.neg().add(1)).unsqueeze(1).mul(SigmaPrime(xb).unsqueeze(0)).mul(kg);
        Assert.True(Fixtures.RelErr(ks, wrong) > 1e-6);
    }

    [Fact]
    public void QuadraticUnitsKernelHasTheClosedForm()
    {
        // §4.3: K(X₁, X₂) = (X₁X₂ᵀ) ⊙ (A₁A₂ᵀ)/n_h², A = 1 + εH; and it matches the autograd Jacobian
        const int d = 5,
            nh = 7;
        const double eps = 0.3;
        using var net = new Network(
            [new QuadraticUnits(d, nh, eps)],
            1,
            2,
            1.0,
            ScalarType.Float64,
            torch.CPU
        );
        var xa = Fixtures.Inputs(1, 6, d);
        var xb = Fixtures.Inputs(2, 4, d);
        var th = net.Parameters[0].detach();
        var aA = xa.matmul(th.t()).mul(eps).add(1);
        var aB = xb.matmul(th.t()).mul(eps).add(1);
        var closed = xa.matmul(xb.t()).mul(aA.matmul(aB.t())).div(nh * nh);
        var s = Ntk.Compute(net, xa, xb);
        var j = Ntk.Compute(net, xa, xb, method: NtkMethod.Jacobian);
        Assert.True(Fixtures.RelErr(s, closed) <= 1e-12);
        Assert.True(Fixtures.RelErr(j, closed) <= 1e-10);
        // the forward-mode tangent of the layer agrees with J·v
        var v = Fixtures.Direction(net, 4);
        var jvp = net.Tangent(xa, net.Parameters, v).jvp;
        var jv = Ntk.Jacobian(net, xa).reshape(6, -1).matmul(v[0].reshape(-1, 1));
        Assert.True(Fixtures.RelErr(jvp, jv) <= 1e-12);
    }

    [Fact]
    public void StructuredHandlesLayersWithoutARuleGenerically()
    {
        // a parameterised layer with no structured rule gets its term by autograd (issue 17: the generic path)
        using var net = new Network([new Opaque()], 1, 0, 1.0, ScalarType.Float64, torch.CPU);
        var x = Fixtures.Inputs(1, 3, 2);
        var s = Ntk.Compute(net, x, x);
        var k = Ntk.Compute(net, x, x, method: NtkMethod.Jacobian);
        Assert.Equal(new long[] { 3, 3 }, k.shape);
        Assert.True(Fixtures.RelErr(s, k) <= 1e-12);
    }

    private sealed class Opaque : ILayer
    {
        public IReadOnlyList<long[]> ParameterShapes =>
            [
                [1, 2],
            ];

        public double[][] Initialise(Rng rng, double alpha) =>
            [
                [0.3, -0.2],
            ];

        public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => a.matmul(p[0].t()).tanh();

        public (Tensor z, Tensor? dz) Tangent(
            Tensor a,
            Tensor? da,
            ReadOnlySpan<Tensor> p,
            ReadOnlySpan<Tensor> dp
        )
        {
            var pre = a.matmul(p[0].t());
            var z = pre.tanh();
            return (z, a.matmul(dp[0].t()).mul(z.square().neg().add(1)));
        }

        public string Describe() => "Opaque";
    }
}

/// <summary>The Jacobian-method kernel in float32 against the same network in float64 (issue 15: a long float32 contraction lost its small terms).</summary>
public class Float32KernelAccuracyTests
{
    [Theory]
    [InlineData(NtkOutputs.Trace)]
    [InlineData(NtkOutputs.Full)]
    public void TheFloat32JacobianKernelOfTheBenchMlpMatchesFloat64(NtkOutputs outputs)
    {
        var spec = new ModelSpec(ModelKind.Mlp, [256, 256]);
        using var n32 = spec.Build([784], 10, 0, ScalarType.Float32, torch.CPU);
        using var n64 = spec.Build([784], 10, 0, ScalarType.Float64, torch.CPU);
        var x64 = torch.rand(
            [4, 784],
            dtype: ScalarType.Float64,
            generator: new torch.Generator(5)
        );
        var x32 = x64.to_type(ScalarType.Float32);
        var k32 = Ntk.Compute(n32, x32, x32, method: NtkMethod.Jacobian, outputs: outputs)
            .to_type(ScalarType.Float64);
        var k64 = Ntk.Compute(n64, x64, x64, method: NtkMethod.Jacobian, outputs: outputs);
        double rel = (k32 - k64).abs().max().item<double>() / k64.abs().max().item<double>();
        Assert.True(rel < 1e-5, $"float32 Jacobian kernel off by {rel:G3} relative to float64");
    }
}
