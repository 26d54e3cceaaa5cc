using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>Which statistics a <see cref="BatchNorm"/> layer normalises with (the policy is documented in docs/own-layer.md).</summary>
public enum BatchNormStatistics
{
    /// <summary>
    /// The mean and (biased) variance of the rows passed in the same call, always (PyTorch's train mode, in every
    /// call). f is then a function of the whole batch: during training of the minibatch B_t, and for the
    /// recorder of the probe set, which <see cref="Telescoping.Trajectory"/> evaluates in one call (train and test
    /// probe rows together), so f_t, f̃_t and f_lin,t are those of the probe set normalised by its own statistics,
    /// and the JVP differentiates through those statistics. Rows interact: JVPs are never chunked and the structured
    /// kernel refuses the network.
    /// </summary>
    Batch,

    /// <summary>
    /// Fixed statistics held by the layer (<see cref="BatchNorm.SetStatistics"/>, <see cref="BatchNorm.Calibrate"/>),
    /// which are state, not θ: f is an ordinary per-row function of θ, so f̃ telescopes it exactly as any other
    /// layer, and the structured kernel applies. Changing the statistics during training changes f outside Δθ, and
    /// the telescoping error then measures exactly that drift.
    /// </summary>
    Running,
}

/// <summary>
/// Batch normalisation over channel dimension 1 of <c>[N, C]</c> or <c>[N, C, …]</c> inputs:
/// <c>x̂ = (a − μ_c)/√(σ²_c + ε)</c>, <c>z = γ_c x̂ + β_c</c> (γ, β ∈ R^C, initialised to α·1 and 0), with μ, σ²
/// from the batch (<see cref="BatchNormStatistics.Batch"/>; biased variance over N and the spatial dimensions) or
/// fixed (<see cref="BatchNormStatistics.Running"/>). Tangent: batch statistics
/// <c>ẋ̂ = (ȧ − mean(ȧ) − x̂ ⊙ mean(x̂ ⊙ ȧ))/σ</c> (means over the batch and spatial dimensions), fixed statistics
/// <c>ẋ̂ = ȧ/σ</c>; then <c>ż = γ̇ x̂ + γ ẋ̂ + β̇</c>. Structured kernel (fixed statistics only):
/// <c>∂f/∂γ_c = Σ_pos δ_c x̂_c</c>, <c>∂f/∂β_c = Σ_pos δ_c</c>.
/// </summary>
public sealed class BatchNorm(
    int channels,
    BatchNormStatistics statistics = BatchNormStatistics.Batch,
    double epsilon = 1e-5
) : ILayer, IStructuredLayer
{
    private double[] _mean = new double[channels];
    private double[] _variance = Enumerable.Repeat(1.0, channels).ToArray();

    /// <summary>Channels C (dimension 1).</summary>
    public int Channels { get; } =
        channels > 0
            ? channels
            : throw new ArgumentOutOfRangeException(nameof(channels), "must be positive");

    /// <summary>Batch or fixed statistics.</summary>
    public BatchNormStatistics Statistics { get; } = statistics;

    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; } = epsilon;

    /// <summary>The fixed per-channel mean (used with <see cref="BatchNormStatistics.Running"/>; default 0).</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The fixed per-channel variance (used with <see cref="BatchNormStatistics.Running"/>; default 1).</summary>
    public IReadOnlyList<double> Variance => _variance;

    /// <inheritdoc />
    public bool RowsInteract => Statistics == BatchNormStatistics.Batch;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        [
            [Channels],
            [Channels],
        ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) =>
        [Enumerable.Repeat(alpha, Channels).ToArray(), new double[Channels]];

    /// <summary>Set the fixed statistics (C means, C non-negative variances).</summary>
    public void SetStatistics(IReadOnlyList<double> mean, IReadOnlyList<double> variance)
    {
        if (mean.Count != Channels || variance.Count != Channels || variance.Any(v => !(v >= 0)))
            throw new ArgumentException(
                $"BatchNorm({Channels}): need {Channels} means and {Channels} non-negative variances"
            );
        _mean = mean.ToArray();
        _variance = variance.ToArray();
    }

    /// <summary>
    /// Set the fixed statistics of every <see cref="BatchNormStatistics.Running"/> BatchNorm among the network's
    /// top-level layers to the statistics of its input over <paramref name="x"/> (a forward pass at the
    /// current θ, layer by layer, so later layers see the calibrated earlier ones).
    /// </summary>
    public static void Calibrate(Network net, Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var a = net.Prepare(x);
        int off = 0;
        foreach (var layer in net.Layers)
        {
            int np = layer.ParameterShapes.Count;
            if (layer is BatchNorm { Statistics: BatchNormStatistics.Running } bn)
            {
                var (mean, variance) = bn.BatchStatistics(a);
                bn.SetStatistics(
                    mean.reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray(),
                    variance.reshape(-1).to_type(ScalarType.Float64).data<double>().ToArray()
                );
            }
            a = layer.Forward(a, net.Parameters.Skip(off).Take(np).Cast<Tensor>().ToArray());
            off += np;
        }
    }

    private long[] Dims(Tensor a)
    {
        if (a.dim() < 2 || a.shape[1] != Channels)
            throw new ArgumentException(
                $"BatchNorm({Channels}) needs inputs [N, {Channels}, …], got [{string.Join(", ", a.shape)}]"
            );
        return [0, .. Enumerable.Range(2, (int)a.dim() - 2).Select(i => (long)i)];
    }

    private long[] ChannelShape(Tensor a) =>
        [1, Channels, .. Enumerable.Repeat(1L, (int)a.dim() - 2)];

    private (Tensor mean, Tensor variance) BatchStatistics(Tensor a)
    {
        var dims = Dims(a);
        var mean = a.mean(dims, keepdim: true);
        var variance = a.Minus(mean).Squared().mean(dims, keepdim: true);
        return (mean, variance);
    }

    /// <summary>(x̂, 1/σ) at <paramref name="a"/> under this layer's statistics.</summary>
    private (Tensor xhat, Tensor rstd) Normalise(Tensor a)
    {
        Tensor mean,
            variance;
        if (Statistics == BatchNormStatistics.Batch)
            (mean, variance) = BatchStatistics(a);
        else
        {
            Dims(a);
            mean = HostArrays.ToTensor(_mean, ChannelShape(a), dtype: a.dtype, device: a.device);
            variance = HostArrays.ToTensor(
                _variance,
                ChannelShape(a),
                dtype: a.dtype,
                device: a.device
            );
        }
        var rstd = variance.PlusConst(Epsilon).rsqrt_();
        return (a.Minus(mean).mul_(rstd), rstd);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        var (xhat, _) = Normalise(a);
        var shape = ChannelShape(a);
        return xhat.mul(p[0].reshape(shape)).PlusInPlace(p[1].reshape(shape));
    }

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var (xhat, rstd) = Normalise(a);
        var shape = ChannelShape(a);
        var gamma = p[0].reshape(shape);
        var z = xhat.mul(gamma).PlusInPlace(p[1].reshape(shape));
        var dz = xhat.mul(dp[0].reshape(shape)).PlusInPlace(dp[1].reshape(shape));
        if (da is not null)
        {
            Tensor dxhat;
            if (Statistics == BatchNormStatistics.Batch)
            {
                var dims = Dims(a);
                dxhat = da.Minus(da.mean(dims, keepdim: true))
                    .MinusInPlace(xhat.mul(xhat.mul(da).mean(dims, keepdim: true)))
                    .mul_(rstd);
            }
            else
                dxhat = da.mul(rstd);
            dz = dz.PlusInPlace(dxhat.mul_(gamma));
        }
        return (z, dz);
    }

    /// <inheritdoc />
    public Tensor PerExampleGradient(Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        if (RowsInteract)
            throw new NotSupportedException(
                "BatchNorm with batch statistics has no per-example gradient: a row's output depends on the whole batch"
            );
        var (xhat, _) = Normalise(a);
        return LayerNorm.AffineGradient(delta, xhat, [Channels, -1], 3);
    }

    /// <inheritdoc />
    public string Describe() =>
        $"BatchNorm({Channels}, {(Statistics == BatchNormStatistics.Batch ? "batch statistics" : "fixed running statistics")})";
}
