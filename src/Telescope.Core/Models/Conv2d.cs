using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// 2-D convolution <c>z = W ⋆ a + b</c>, <c>W ∈ R^{out×in×k×k}</c>, stride 1, zero padding
/// <paramref name="padding"/>; shapes <c>[N, in, H, W] → [N, out, H′, W′]</c>. Initialisation
/// <c>U(±1/√(in·k²))</c> × α (PyTorch default). Tangent (conv is bilinear in (W, a)):
/// <c>ż = ΔW ⋆ a + Δb + W ⋆ ȧ</c>.
/// </summary>
public sealed class Conv2d(int inChannels, int outChannels, int kernel, int padding) : ILayer
{
    /// <summary>Input channels.</summary>
    public int InChannels { get; } = inChannels;

    /// <summary>Output channels.</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>Kernel side.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        [
            [OutChannels, InChannels, Kernel, Kernel],
            [OutChannels],
        ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha)
    {
        double bound = 1.0 / Math.Sqrt(InChannels * Kernel * Kernel);
        var w = new double[OutChannels * InChannels * Kernel * Kernel];
        for (int i = 0; i < w.Length; i++)
            w[i] = alpha * rng.Uniform(bound);
        var b = new double[OutChannels];
        for (int i = 0; i < b.Length; i++)
            b[i] = alpha * rng.Uniform(bound);
        return [w, b];
    }

    private Tensor Conv(Tensor a, Tensor w, Tensor? b) =>
        nn.functional.conv2d(a, w, b, padding: [Padding, Padding]);

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => Conv(a, p[0], p[1]);

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        var z = Conv(a, p[0], p[1]);
        var dz = Conv(a, dp[0], dp[1]);
        if (da is not null)
            dz = dz.PlusInPlace(Conv(da, p[0], null));
        return (z, dz);
    }

    /// <inheritdoc />
    public string Describe() =>
        $"Conv2d({InChannels}→{OutChannels}, {Kernel}×{Kernel}, pad {Padding})";
}
