using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// The polynomial-regression model of Kumar et al. used for grokking (spec §4.3 panel 1), exactly:
/// <c>f_θ(x) = (1/n_h) Σ_{j=1..n_h} φ(θ_jᵀx)</c>, <c>φ(h) = h + (ε/2)h²</c>, readout fixed at 1/n_h (not
/// trained). Parameters <c>θ ∈ R^{n_h×d}</c>, initialised i.i.d. <c>N(0,1)</c> × α. Shapes
/// <c>[N, d] → [N, 1]</c>.
/// <list type="bullet">
/// <item>Gradient: <c>∂f/∂θ_j = (1/n_h)(1 + ε h_j(x)) x</c>, <c>h_j = θ_jᵀx</c>.</item>
/// <item>Tangent: <c>ḟ = mean_j[(1 + εH) ⊙ (X Δθᵀ + Ẋ θᵀ)]</c>.</item>
/// <item>Kernel: <c>K(X₁, X₂) = (X₁X₂ᵀ) ⊙ (A₁A₂ᵀ) / n_h²</c> with <c>A = 1 + εH</c> (per-output signal δ multiplies it).</item>
/// </list>
/// f is exactly quadratic in θ, so the one-step telescoping error is exactly ∝ γ² (T5).
/// </summary>
public sealed class QuadraticUnits(int inputs, int units, double epsilon) : ILayer, IStructuredLayer
{
    /// <summary>Input dimension d.</summary>
    public int Inputs { get; } =
        inputs > 0
            ? inputs
            : throw new ArgumentOutOfRangeException(nameof(inputs), "must be positive");

    /// <summary>Number of units n_h.</summary>
    public int Units { get; } =
        units > 0
            ? units
            : throw new ArgumentOutOfRangeException(nameof(units), "must be positive");

    /// <summary>Curvature ε of φ(h) = h + (ε/2)h².</summary>
    public double Epsilon { get; } = epsilon;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        [
            [Units, Inputs],
        ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha)
    {
        var w = new double[Units * Inputs];
        for (int i = 0; i < w.Length; i++)
            w[i] = alpha * rng.NextGaussian();
        return [w];
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        var h = a.matmul(p[0].t()); // [N, n_h]
        return h.Plus(h.Squared().TimesInPlace(Epsilon / 2)).mean([1], keepdim: true);
    }

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var h = a.matmul(p[0].t());
        var z = h.Plus(h.Squared().TimesInPlace(Epsilon / 2)).mean([1], keepdim: true);
        var dh = a.matmul(dp[0].t());
        if (da is not null)
            dh = dh.PlusInPlace(da.matmul(p[0].t()));
        var dz = h.Times(Epsilon).PlusConstInPlace(1).mul_(dh).mean([1], keepdim: true);
        return (z, dz);
    }

    /// <inheritdoc />
    public Tensor PerExampleGradient(Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        long n = a.shape[0],
            k = delta.shape[1];
        var g = a.matmul(p[0].t()).TimesInPlace(Epsilon).PlusConstInPlace(1).DivideInPlace(Units); // [N, n_h]
        var per = g.unsqueeze(2).mul(a.unsqueeze(1)).reshape(n, 1, -1); // [N, 1, n_h·d]
        return per.mul(delta.reshape(n, k, 1)); // [N, k, P]
    }

    /// <inheritdoc />
    public Tensor? KernelTerm(
        Tensor aA,
        Tensor deltaA,
        Tensor aB,
        Tensor deltaB,
        ReadOnlySpan<Tensor> p,
        bool trace
    )
    {
        var gA = aA.matmul(p[0].t()).TimesInPlace(Epsilon).PlusConstInPlace(1);
        var gB = aB.matmul(p[0].t()).TimesInPlace(Epsilon).PlusConstInPlace(1);
        var k0 = aA.matmul(aB.t()).mul_(gA.matmul(gB.t())).DivideInPlace((double)Units * Units); // [Na, Nb]
        long na = aA.shape[0],
            nb = aB.shape[0],
            k = deltaA.shape[1];
        var dA = deltaA.reshape(na, k);
        var dB = deltaB.reshape(nb, k);
        if (trace)
            return k0.mul_(dA.matmul(dB.t()));
        return k0.unsqueeze(2)
            .unsqueeze(3)
            .mul(dA.reshape(na, 1, k, 1).mul(dB.reshape(1, nb, 1, k)));
    }

    /// <inheritdoc />
    public string Describe() =>
        $"QuadraticUnits({Inputs}→{Units}, φ(h) = h + {Epsilon}/2·h², readout 1/{Units} fixed)";
}
