using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>Pointwise nonlinearities, each with its derivative for the tangent rule <c>ż = φ′(a) ⊙ ȧ</c>.</summary>
public enum ActivationKind
{
    /// <summary>relu(a) = max(a, 0); φ′ = 1[a &gt; 0] (0 at exactly 0, as autograd).</summary>
    Relu,

    /// <summary>tanh(a); φ′ = 1 − tanh²(a).</summary>
    Tanh,

    /// <summary>σ(a) = 1/(1+e^{−a}); φ′ = σ(1 − σ). Used as the output sigmoid of the "SGD + σ" setting.</summary>
    Sigmoid,

    /// <summary>a; φ′ = 1.</summary>
    Identity,

    /// <summary>GELU, exact erf form: a·Φ(a) with Φ(a) = ½(1 + erf(a/√2)); φ′ = Φ(a) + a·e^{−a²/2}/√(2π).</summary>
    Gelu,

    /// <summary>softplus(a) = log(1 + e^a) (β = 1; libtorch returns a itself above the threshold 20); φ′ = σ(a) (1 above 20, as autograd).</summary>
    Softplus,

    /// <summary>SiLU (swish) a·σ(a); φ′ = σ(a)(1 + a(1 − σ(a))).</summary>
    Silu,
}

/// <summary>A parameter-free pointwise activation layer.</summary>
public sealed class Activation(ActivationKind kind) : ILayer, IPrimalTangent
{
    private const double SoftplusThreshold = 20;

    /// <summary>Which nonlinearity.</summary>
    public ActivationKind Kind { get; } = kind;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes => [];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) => [];

    /// <summary>φ(a).</summary>
    public static Tensor Apply(ActivationKind kind, Tensor a) =>
        kind switch
        {
            ActivationKind.Relu => nn.functional.relu(a),
            ActivationKind.Tanh => a.tanh(),
            ActivationKind.Sigmoid => a.sigmoid(),
            ActivationKind.Gelu => nn.functional.gelu(a),
            ActivationKind.Softplus => nn.functional.softplus(a),
            ActivationKind.Silu => nn.functional.silu(a),
            _ => a.alias(),
        };

    /// <summary>φ′(a) elementwise (the one place every tangent, kernel and gradient rule reads it from).</summary>
    public static Tensor Slope(ActivationKind kind, Tensor a) =>
        kind switch
        {
            ActivationKind.Relu => a.relu().sign_(), // 1{a > 0} exactly, two cheap passes (compare-and-cast was 5× slower)
            ActivationKind.Tanh => a.tanh().Squared().neg_().PlusConstInPlace(1),
            ActivationKind.Sigmoid => SigmoidSlope(a.sigmoid()),
            ActivationKind.Gelu => GeluSlope(a),
            ActivationKind.Softplus => torch.where(
                a.GreaterThan(SoftplusThreshold),
                torch.ones_like(a),
                a.sigmoid()
            ),
            ActivationKind.Silu => SiluSlope(a),
            _ => torch.ones_like(a),
        };

    /// <summary>
    /// φ″(a) elementwise, as autograd's double backward has it (exact Hessian–vector products): relu and identity 0
    /// (relu's kink carries no curvature); tanh <c>−2 tanh(a)(1 − tanh²(a))</c>; sigmoid <c>σ(1 − σ)(1 − 2σ)</c>; GELU
    /// <c>φ(a)(2 − a²)</c> with φ the standard normal density; softplus <c>σ(a)(1 − σ(a))</c> (0 above the threshold
    /// 20, where libtorch's softplus is a itself); SiLU <c>σ(1 − σ)(2 + a(1 − 2σ))</c>.
    /// </summary>
    public static Tensor Curvature(ActivationKind kind, Tensor a)
    {
        switch (kind)
        {
            case ActivationKind.Tanh:
            {
                var t = a.tanh();
                return t.mul(t.Squared().neg_().PlusConstInPlace(1)).TimesInPlace(-2);
            }
            case ActivationKind.Sigmoid:
            {
                var s = a.sigmoid();
                return SigmoidSlope(s).mul_(s.Times(-2).PlusConstInPlace(1));
            }
            case ActivationKind.Gelu:
            {
                var pdf = a.Squared()
                    .TimesInPlace(-0.5)
                    .exp_()
                    .TimesInPlace(1 / Math.Sqrt(2 * Math.PI));
                return pdf.mul_(a.Squared().neg_().PlusConstInPlace(2));
            }
            case ActivationKind.Softplus:
                return torch.where(
                    a.GreaterThan(SoftplusThreshold),
                    torch.zeros_like(a),
                    SigmoidSlope(a.sigmoid())
                );
            case ActivationKind.Silu:
            {
                var s = a.sigmoid();
                return SigmoidSlope(s)
                    .mul_(a.mul(s.Times(-2).PlusConstInPlace(1)).PlusConstInPlace(2));
            }
            default: // relu, identity
                return torch.zeros_like(a);
        }
    }

    private static Tensor SigmoidSlope(Tensor s) => s.mul(s.neg().PlusConstInPlace(1));

    private static Tensor GeluSlope(Tensor a)
    {
        var cdf = a.Times(1 / Math.Sqrt(2)).erf_().PlusConstInPlace(1).TimesInPlace(0.5);
        var pdf = a.Squared().TimesInPlace(-0.5).exp_().TimesInPlace(1 / Math.Sqrt(2 * Math.PI));
        return cdf.PlusInPlace(pdf.mul_(a));
    }

    private static Tensor SiluSlope(Tensor a)
    {
        var s = a.sigmoid();
        return s.Plus(a.mul(SigmoidSlope(s)));
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => Apply(Kind, a);

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var z = Apply(Kind, a);
        if (da is null)
            return (z, null);
        Tensor dz = Kind switch
        {
            // relu'(a) = 1{a > 0} = sign(relu(a)) exactly (0 or 1): one op on z instead of compare, cast and multiply
            ActivationKind.Relu => da.mul(z.sign()),
            ActivationKind.Tanh => da.mul(z.Squared().neg_().PlusConstInPlace(1)),
            ActivationKind.Sigmoid => da.mul(SigmoidSlope(z)),
            ActivationKind.Identity => da.alias(),
            _ => da.mul(Slope(Kind, a)),
        };
        return (z, dz);
    }

    /// <inheritdoc />
    public Tensor? TangentGiven(
        Tensor a,
        Tensor z,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    ) =>
        da is null
            ? null
            : Kind switch
            {
                ActivationKind.Relu => da.mul(z.sign()),
                ActivationKind.Tanh => da.mul(z.Squared().neg_().PlusConstInPlace(1)),
                ActivationKind.Sigmoid => da.mul(SigmoidSlope(z)),
                ActivationKind.Identity => da.alias(),
                _ => da.mul(Slope(Kind, a)),
            };

    /// <inheritdoc />
    public string Describe() => Kind.ToString();
}
