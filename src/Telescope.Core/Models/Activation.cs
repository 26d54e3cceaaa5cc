using Telescope.Tensors;
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
}

/// <summary>A parameter-free pointwise activation layer.</summary>
public sealed class Activation(ActivationKind kind) : ILayer
{
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
            _ => a.alias(),
        };

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
            ActivationKind.Relu => da.mul(a.GreaterThan(0).to_type(da.dtype)),
            ActivationKind.Tanh => da.mul(z.Squared().neg_().PlusConstInPlace(1)),
            ActivationKind.Sigmoid => da.mul(z.mul(z.neg().PlusConstInPlace(1))),
            _ => da.alias(),
        };
        return (z, dz);
    }

    /// <inheritdoc />
    public string Describe() => Kind.ToString();
}
