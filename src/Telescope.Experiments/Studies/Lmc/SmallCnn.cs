using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>
/// The small CNN of the lmc study (spec §4.5 CPU variant), as a TorchSharp module:
/// <c>Conv(1→c₁,3,pad1)–[BN]–ReLU–MaxPool2–Conv(c₁→c₂,3,pad1)–[BN]–ReLU–MaxPool2–Linear(c₂·7·7→10)</c>.
/// <para>
/// Why a separate model type and not an <see cref="Models.ILayer"/>: ILayer is a pure function of explicit
/// parameters with a forward-mode tangent rule, built for the telescoping recorder. Batch norm is neither
/// pure (running statistics are mutable buffers) nor mode-free (batch statistics when training, running
/// statistics in eval), and the lmc study needs no tangents. TorchSharp's <c>BatchNorm2d</c> has exact
/// PyTorch semantics (momentum 0.1, ε = 1e-5, unbiased running variance), and every weight and buffer sits
/// in the module's <c>state_dict</c>, so "interpolate BN statistics like weights" (spec [CHOICE]) is one
/// loop over it.
/// </para>
/// </summary>
internal static class SmallCnn
{
    /// <summary>
    /// Held while libtorch's global generator is seeded and drawn from: two builds on two threads of one process (two
    /// lmc studies in one script or stress run) would otherwise interleave their draws and get each other's weights.
    /// </summary>
    private static readonly object GlobalGenerator = new();

    /// <summary>Build with initialisation drawn from <paramref name="seed"/> (PyTorch default initialisers).</summary>
    public static nn.Module<Tensor, Tensor> Build(bool batchNorm, int c1, int c2, long seed)
    {
        lock (GlobalGenerator)
            return BuildSeeded(batchNorm, c1, c2, seed);
    }

    private static nn.Module<Tensor, Tensor> BuildSeeded(bool batchNorm, int c1, int c2, long seed)
    {
        torch.manual_seed(seed);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv1", nn.Conv2d(1, c1, 3, padding: 1)),
        };
        if (batchNorm)
            layers.Add(("bn1", nn.BatchNorm2d(c1)));
        layers.Add(("relu1", nn.ReLU()));
        layers.Add(("pool1", nn.MaxPool2d(2)));
        layers.Add(("conv2", nn.Conv2d(c1, c2, 3, padding: 1)));
        if (batchNorm)
            layers.Add(("bn2", nn.BatchNorm2d(c2)));
        layers.Add(("relu2", nn.ReLU()));
        layers.Add(("pool2", nn.MaxPool2d(2)));
        layers.Add(("flat", nn.Flatten()));
        layers.Add(("fc", nn.Linear(c2 * 7 * 7, 10)));
        return nn.Sequential(layers.ToArray());
    }

    /// <summary>Detached copies of every parameter and buffer (weights, BN running statistics).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module<Tensor, Tensor> model)
    {
        using var _ = torch.no_grad();
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in model.state_dict())
        {
            var c = v.detach().clone();
            c.DetachFromDisposeScope();
            d[k] = c;
        }
        return d;
    }

    /// <summary>
    /// <c>α·a + (1−α)·b</c> for every floating entry (weights and BN running mean/variance); integer entries
    /// (BN's batch counter) are taken from <paramref name="a"/>.
    /// </summary>
    public static Dictionary<string, Tensor> Interpolate(
        IReadOnlyDictionary<string, Tensor> a,
        IReadOnlyDictionary<string, Tensor> b,
        double alpha
    )
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, va) in a)
        {
            if (!b.TryGetValue(k, out var vb))
                throw new ArgumentException($"state '{k}' is missing from the second model");
            d[k] = va.is_floating_point()
                ? va.Times(alpha).PlusScaledInPlace(vb, 1 - alpha)
                : va.clone();
        }
        return d;
    }
}
