using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// Fully connected layer <c>z = a Wᵀ + b</c>, <c>W ∈ R^{out×in}</c>, <c>b ∈ R^{out}</c>; shapes
/// <c>[N, in] → [N, out]</c>. Default TorchSharp/PyTorch initialisation: every entry of W and b is
/// <c>U(−1/√in, 1/√in)</c>, then multiplied by α. Tangent: <c>ż = a ΔWᵀ + ȧ Wᵀ + Δb</c>.
/// </summary>
public sealed class Dense(int inputs, int outputs, bool bias = true) : ILayer, IPrimalTangent
{
    /// <summary>Input width.</summary>
    public int Inputs { get; } =
        inputs > 0
            ? inputs
            : throw new ArgumentOutOfRangeException(nameof(inputs), "must be positive");

    /// <summary>Output width.</summary>
    public int Outputs { get; } =
        outputs > 0
            ? outputs
            : throw new ArgumentOutOfRangeException(nameof(outputs), "must be positive");

    /// <summary>Whether the layer has a bias.</summary>
    public bool Bias { get; } = bias;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        Bias
            ?
            [
                [Outputs, Inputs],
                [Outputs],
            ]
            :
            [
                [Outputs, Inputs],
            ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha)
    {
        double bound = 1.0 / Math.Sqrt(Inputs);
        var w = new double[Outputs * Inputs];
        for (int i = 0; i < w.Length; i++)
            w[i] = alpha * rng.Uniform(bound);
        if (!Bias)
            return [w];
        var b = new double[Outputs];
        for (int i = 0; i < b.Length; i++)
            b[i] = alpha * rng.Uniform(bound);
        return [w, b];
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) =>
        nn.functional.linear(a, p[0], Bias ? p[1] : null);

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var z = nn.functional.linear(a, p[0], Bias ? p[1] : null);
        var dz = nn.functional.linear(a, dp[0], Bias ? dp[1] : null);
        if (da is null)
            return (z, dz);
        // dz += ȧ Wᵀ inside the GEMM where ȧ is a matrix (dz is ours): no temporary, no extra pass
        dz = da.dim() == 2 ? dz.addmm_(da, p[0].t()) : dz.PlusInPlace(da.matmul(p[0].t()));
        return (z, dz);
    }

    /// <inheritdoc />
    public Tensor? TangentGiven(
        Tensor a,
        Tensor z,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var dz = nn.functional.linear(a, dp[0], Bias ? dp[1] : null);
        if (da is null)
            return dz;
        return da.dim() == 2 ? dz.addmm_(da, p[0].t()) : dz.PlusInPlace(da.matmul(p[0].t()));
    }

    /// <inheritdoc />
    public string Describe() => $"Dense({Inputs}→{Outputs}{(Bias ? "" : ", no bias")})";
}
