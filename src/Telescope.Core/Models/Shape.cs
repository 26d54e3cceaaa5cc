using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>Max pooling with a square window and equal stride; tangent: <c>ż</c> picks ȧ at the arg-max (as autograd).</summary>
public sealed class MaxPool2d(int window) : ILayer
{
    /// <summary>Window side and stride.</summary>
    public int Window { get; } = window;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes => [];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) => [];

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) =>
        nn.functional.max_pool2d(a, Window, Window);

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var (z, idx) = nn.functional.max_pool2d_with_indices(a, [Window, Window], [Window, Window]);
        if (da is null)
            return (z, null);
        var dz = da.flatten(2).gather(2, idx.flatten(2)).view_as(z);
        return (z, dz);
    }

    /// <inheritdoc />
    public string Describe() => $"MaxPool2d({Window})";
}

/// <summary>Reshape each example to <paramref name="shape"/> (for example 64 → 1×8×8, or C×H×W → C·H·W). Linear, so <c>ż = reshape(ȧ)</c>.</summary>
public sealed class Reshape(params long[] shape) : ILayer
{
    /// <summary>Per-example target shape.</summary>
    public long[] Shape { get; } = shape;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes => [];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) => [];

    private Tensor Apply(Tensor a) => a.reshape([a.shape[0], .. Shape]);

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => Apply(a);

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    ) => (Apply(a), da is null ? null : Apply(da));

    /// <inheritdoc />
    public string Describe() => $"Reshape({string.Join('×', Shape)})";
}

/// <summary>
/// Fixed (untrained) random features <c>φ(a Rᵀ)</c>, <c>R ∈ R^{features×in}</c> with
/// <c>R_ij ~ N(0, 1/in)</c> drawn from its own seed. Followed by a <see cref="Dense"/> layer this is a
/// model linear in its parameters, for which <c>f̃_t = f_lin,t = f_t</c> exactly (spec §1.1 (c), T2).
/// The tangent is zero whenever the input tangent is.
/// </summary>
public sealed class FixedFeatures : ILayer
{
    private readonly double[] _r;
    private readonly object _gate = new();
    private readonly List<Tensor> _projections = []; // R in each (dtype, device) asked for; never replaced

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Number of features.</summary>
    public int Features { get; }

    /// <summary>The nonlinearity applied to the projection.</summary>
    public ActivationKind Kind { get; }

    /// <summary>Draw the projection from <paramref name="seed"/>.</summary>
    public FixedFeatures(int inputs, int features, ActivationKind kind, long seed)
    {
        Inputs = inputs;
        Features = features;
        Kind = kind;
        var rng = new Rng(seed, stream: 77);
        _r = new double[features * inputs];
        double s = 1.0 / Math.Sqrt(inputs);
        for (int i = 0; i < _r.Length; i++)
            _r[i] = s * rng.NextGaussian();
    }

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes => [];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) => [];

    /// <summary>
    /// R in <paramref name="like"/>'s dtype and device, made once and kept for the layer's life: row blocks
    /// (<see cref="Tensors.RowWorkers"/>) call the layer from several threads at once, so a projection in use is never
    /// replaced or disposed. Copied into libtorch's aligned memory (<see cref="HostArrays"/>), not a pin of <c>_r</c>.
    /// </summary>
    private Tensor R(Tensor like)
    {
        var (dtype, device) = (like.dtype, like.device);
        lock (_gate)
        {
            foreach (var r in _projections)
                if (
                    r.dtype == dtype
                    && r.device_type == device.type
                    && r.device_index == device.index
                )
                    return r;
            var made = HostArrays
                .ToTensor(_r, [Features, Inputs], dtype: dtype, device: device)
                .DetachFromDisposeScope();
            _projections.Add(made);
            return made;
        }
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) =>
        Activation.Apply(Kind, a.matmul(R(a).t()));

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        if (da is null)
            return (Forward(a, p), null);
        var pre = a.matmul(R(a).t());
        var (z, dz) = new Activation(Kind).Tangent(pre, da.matmul(R(a).t()), [], []);
        return (z, dz);
    }

    /// <inheritdoc />
    public string Describe() => $"FixedFeatures({Inputs}→{Features}, {Kind}, untrained)";
}
