using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// Layer normalisation over the last dimension (width d), per row and position: <c>x̂ = (a − μ)/σ</c> with
/// <c>μ = mean(a)</c>, <c>σ = √(var(a) + ε)</c> (biased variance), then <c>z = γ ⊙ x̂ + β</c>, <c>γ, β ∈ R^d</c>
/// (initialised to α·1 and 0). Shapes <c>[N, …, d] → [N, …, d]</c> (for example <c>[N, T, d]</c>).
/// Rows do not interact. Tangent: <c>ẋ̂ = (ȧ − mean(ȧ) − x̂ ⊙ mean(x̂ ⊙ ȧ))/σ</c>,
/// <c>ż = γ̇ ⊙ x̂ + γ ⊙ ẋ̂ + β̇</c>. Structured kernel: <c>∂f/∂γ = Σ_pos δ ⊙ x̂</c>, <c>∂f/∂β = Σ_pos δ</c>.
/// </summary>
public sealed class LayerNorm(int width, double epsilon = 1e-5) : ILayer, IStructuredLayer
{
    /// <summary>Normalised width d (the last dimension).</summary>
    public int Width { get; } =
        width > 0
            ? width
            : throw new ArgumentOutOfRangeException(nameof(width), "must be positive");

    /// <summary>ε added to the variance.</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        [
            [Width],
            [Width],
        ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) =>
        [Enumerable.Repeat(alpha, Width).ToArray(), new double[Width]];

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) =>
        nn.functional.layer_norm(a, [Width], p[0], p[1], Epsilon);

    /// <summary>(x̂, 1/σ) of <paramref name="a"/> over its last dimension.</summary>
    private (Tensor xhat, Tensor rstd) Normalise(Tensor a)
    {
        var centred = a.Minus(a.mean([-1], keepdim: true));
        var rstd = centred.Squared().mean([-1], keepdim: true).PlusConstInPlace(Epsilon).rsqrt_();
        return (centred.mul_(rstd), rstd);
    }

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var z = Forward(a, p);
        var (xhat, rstd) = Normalise(a);
        var dz = xhat.mul(dp[0]).PlusInPlace(dp[1]); // γ̇ ⊙ x̂ + β̇
        if (da is not null)
        {
            var dxhat = da.Minus(da.mean([-1], keepdim: true))
                .MinusInPlace(xhat.mul(xhat.mul(da).mean([-1], keepdim: true)))
                .mul_(rstd);
            dz = dz.PlusInPlace(dxhat.mul_(p[0]));
        }
        return (z, dz);
    }

    /// <inheritdoc />
    public Tensor PerExampleGradient(Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        var (xhat, _) = Normalise(a);
        return AffineGradient(delta, xhat, [-1, Width], 2); // positions flattened
    }

    /// <summary>
    /// The per-example gradient <c>[N, k, 2C]</c> of a normalisation's affine map y = γ ⊙ x̂ + β: with δ
    /// <c>[N, k, …]</c> and x̂ <c>[N, …]</c> both seen as <c>[N, ·, <paramref name="view"/>]</c>, ∂f/∂γ = Σ δ ⊙ x̂ and
    /// ∂f/∂β = Σ δ, summed over dimension <paramref name="positions"/> (the positions that share one γ_c).
    /// </summary>
    internal static Tensor AffineGradient(Tensor delta, Tensor xhat, long[] view, long positions)
    {
        long n = delta.shape[0],
            k = delta.shape[1];
        var d = delta.reshape([n, k, .. view]);
        var gGamma = d.mul(xhat.reshape([n, 1, .. view])).sum([positions]);
        var gBeta = d.sum([positions]);
        return torch.cat([gGamma, gBeta], 2);
    }

    /// <inheritdoc />
    public string Describe() => $"LayerNorm({Width}, ε = {Epsilon})";
}
