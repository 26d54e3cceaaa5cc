using Telescope.Data;
using Telescope.Models;
using Telescope.Tensors;
using Telescope.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Telescope.Tests;

/// <summary>Small deterministic models and data for the tests (float64, CPU, fixed threads).</summary>
public static partial class Fixtures
{
    static Fixtures()
    {
        Native.TorchRuntime.SetThreads(2);
    }

    /// <summary>A synthetic binary task with M35's shape but small.</summary>
    public static (Dataset train, Dataset test) Data(
        int train = 60,
        int test = 40,
        long seed = 0
    ) => BinaryDigits.Synthetic(train, test, seed, d: 16);

    /// <summary>A network on CPU in float64.</summary>
    public static Network Net(ModelSpec spec, int[] inputShape, int outputs = 1, long seed = 0) =>
        spec.Build(inputShape, outputs, seed, ScalarType.Float64, torch.CPU);

    /// <summary>Random direction shaped like the parameters.</summary>
    public static Tensor[] Direction(Network net, long seed, double scale = 1.0)
    {
        var rng = new Rng(seed, 99);
        return net
            .Parameters.Select(p =>
            {
                var v = new double[p.numel()];
                for (int i = 0; i < v.Length; i++)
                    v[i] = scale * rng.NextGaussian();
                return HostArrays.ToTensor(v, p.shape, dtype: p.dtype);
            })
            .ToArray();
    }

    /// <summary>max |a − b| / max(max |b|, tiny).</summary>
    public static double RelErr(Tensor a, Tensor b) =>
        a.sub(b).abs().max().item<double>() / Math.Max(b.abs().max().item<double>(), 1e-300);

    /// <summary>
    /// Back-propagates the squared loss of <paramref name="net"/> on rows <paramref name="idx"/> of (x, y) into the
    /// parameters' gradients (added to what they hold; the caller zeroes them first).
    /// </summary>
    public static void SquaredLossBackward(Network net, Tensor x, Tensor y, Tensor idx) =>
        Loss.Compute(
                LossKind.Squared,
                net.Forward(x.index_select(0, idx)),
                y.index_select(0, idx),
                idx
            )
            .backward();

    /// <summary>Random inputs [n, …shape].</summary>
    public static Tensor Inputs(long seed, long n, params long[] shape)
    {
        var rng = new Rng(seed, 5);
        long count = n * shape.Aggregate(1L, (a, b) => a * b);
        var v = new double[count];
        for (int i = 0; i < v.Length; i++)
            v[i] = rng.NextGaussian();
        return HostArrays.ToTensor(v, [n, .. shape], dtype: ScalarType.Float64);
    }
}
