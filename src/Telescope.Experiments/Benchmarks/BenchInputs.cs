using Telescope.Models;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// The inputs the tensor benches share, so that each times the same work: the MLP 784–256–256–k (initialised by seed
/// 0), N points uniform in [0, 1]^784 (<see cref="Rng"/>(1, 0)) and a small direction Δθ in parameter space (standard
/// normal, generator seed 7, × 10⁻³).
/// </summary>
internal static class BenchInputs
{
    /// <summary>The MLP 784–256–256–<paramref name="outputs"/>, initialised by seed 0.</summary>
    internal static Network Mlp(int outputs, ScalarType dtype, Device device) =>
        new ModelSpec(ModelKind.Mlp, [256, 256]).Build([784], outputs, 0, dtype, device);

    /// <summary><paramref name="n"/> points uniform in [0, 1]^784, <c>[n, 784]</c>.</summary>
    internal static Tensor Points(int n, ScalarType dtype, Device device)
    {
        var rng = new Rng(1, 0);
        var xs = new double[(long)n * 784];
        for (long i = 0; i < xs.LongLength; i++)
            xs[i] = rng.NextDouble();
        return HostArrays.ToTensor(xs, [n, 784], dtype: dtype, device: device);
    }

    /// <summary>Δθ: one standard-normal tensor per parameter (generator seed 7), × 10⁻³.</summary>
    internal static Tensor[] Direction(Network net, ScalarType dtype, Device device) =>
        net
            .Parameters.Select(p =>
                torch
                    .randn(p.shape, dtype: dtype, device: device, generator: new torch.Generator(7))
                    .TimesInPlace(1e-3)
            )
            .ToArray();
}
