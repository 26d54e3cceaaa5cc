using Telescope.Data;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>The lmc study's inputs: Fashion-MNIST images standardised, optionally shifted and flipped, and their labels.</summary>
internal static class LmcData
{
    /// <summary>Fashion-MNIST pixel mean (of x/255 over the training set).</summary>
    public const double PixelMean = 0.2860;

    /// <summary>Fashion-MNIST pixel standard deviation (of x/255 over the training set).</summary>
    public const double PixelStd = 0.3530;

    /// <summary>Inputs <c>[b, 1, 28, 28]</c> for images <paramref name="index"/>, optionally shifted/flipped.</summary>
    public static Tensor Images(FashionMnist.Split s, IReadOnlyList<int> index, Rng? augment)
    {
        var x = new float[index.Count * 784];
        for (int k = 0; k < index.Count; k++)
        {
            int dx = 0,
                dy = 0;
            bool flip = false;
            if (augment is not null)
            {
                dx = augment.NextInt(5) - 2;
                dy = augment.NextInt(5) - 2;
                flip = augment.NextDouble() < 0.5;
            }
            int src = index[k] * 784;
            for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
            {
                int sr = r - dy,
                    sc = (flip ? 27 - c : c) - dx;
                double v =
                    sr is >= 0 and < 28 && sc is >= 0 and < 28
                        ? s.Images.Data[src + sr * 28 + sc] / 255.0
                        : 0.0;
                x[k * 784 + r * 28 + c] = (float)((v - PixelMean) / PixelStd);
            }
        }
        return HostArrays.ToTensor(x, [index.Count, 1, 28, 28]);
    }

    public static Tensor Labels(FashionMnist.Split s, IReadOnlyList<int> index) =>
        HostArrays.ToTensor(index.Select(i => (long)s.Labels[i]).ToArray());
}
