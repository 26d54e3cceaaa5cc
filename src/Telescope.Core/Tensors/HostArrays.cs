using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tensors;

/// <summary>
/// Tensors from .NET arrays, always in libtorch's own (64-byte aligned) memory.
/// <c>torch.tensor(array)</c> wraps the pinned managed array, which is only 8-byte aligned; libtorch's
/// MKL matrix products give last-bit differences depending on an operand's address modulo 16, so the
/// same seed gave different bytes from run to run. Every tensor the engine makes from an array goes
/// through here and is copied once into an allocation of libtorch's.
/// </summary>
public static class HostArrays
{
    /// <summary>A tensor of <paramref name="shape"/> holding <paramref name="data"/>, as <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Tensor ToTensor(
        double[] data,
        long[] shape,
        ScalarType? dtype = null,
        Device? device = null
    )
    {
        using var alias = torch.tensor(data, shape);
        return Own(alias, dtype, device);
    }

    /// <summary>A tensor of <paramref name="shape"/> holding <paramref name="data"/>, as <paramref name="dtype"/> on <paramref name="device"/>.</summary>
    public static Tensor ToTensor(
        float[] data,
        long[] shape,
        ScalarType? dtype = null,
        Device? device = null
    )
    {
        using var alias = torch.tensor(data, shape);
        return Own(alias, dtype, device);
    }

    /// <summary>A one-dimensional int64 tensor (indices) holding <paramref name="data"/>.</summary>
    public static Tensor ToTensor(long[] data, Device? device = null)
    {
        using var alias = torch.tensor(data);
        return Own(alias, null, device);
    }

    /// <summary>Indices as a one-dimensional int64 tensor.</summary>
    public static Tensor Indices(IEnumerable<int> index, Device? device = null) =>
        ToTensor(index.Select(i => (long)i).ToArray(), device);

    private static Tensor Own(Tensor alias, ScalarType? dtype, Device? device)
    {
        var type = dtype ?? alias.dtype;
        var dev = device ?? CPU;
        // `to` returns the same storage when nothing changes; then copy explicitly
        return type == alias.dtype && dev.type == DeviceType.CPU
            ? alias.clone()
            : alias.to(type, dev);
    }
}
