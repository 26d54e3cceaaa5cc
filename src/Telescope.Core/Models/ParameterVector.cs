using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// The flat view θ ∈ R^P of a list of parameter tensors (concatenated in order, row-major), and back.
/// </summary>
internal static class ParameterVector
{
    /// <summary>Concatenate tensors into one flat vector <c>[P]</c> (detached).</summary>
    public static Tensor Flatten(IEnumerable<Tensor> tensors) =>
        torch.cat(tensors.Select(t => t.detach().reshape(-1)).ToArray());

    /// <summary>θ of a network as a flat vector.</summary>
    public static Tensor Read(Network net) => Flatten(net.Parameters);

    /// <summary>Write a flat vector into the network's parameters.</summary>
    public static void Write(Network net, Tensor theta)
    {
        if (theta.numel() != net.ParameterCount)
            throw new ArgumentException(
                $"flat vector has {theta.numel()} entries, the network has P = {net.ParameterCount}"
            );
        net.Load(Split(theta, net.Parameters));
    }

    /// <summary>Split a flat vector into tensors shaped like <paramref name="like"/>.</summary>
    public static Tensor[] Split(Tensor flat, IReadOnlyList<Tensor> like)
    {
        var parts = new Tensor[like.Count];
        long o = 0;
        for (int i = 0; i < like.Count; i++)
        {
            long n = like[i].numel();
            parts[i] = flat.narrow(0, o, n).reshape(like[i].shape);
            o += n;
        }
        return parts;
    }

    /// <summary>The gradients ∂L/∂θ as one flat vector (zeros where a gradient is missing).</summary>
    public static Tensor Gradient(Network net) =>
        torch.cat(
            net.Parameters.Select(p =>
                    p.grad is { } g ? g.reshape(-1) : torch.zeros(p.numel(), p.dtype, p.device)
                )
                .ToArray()
        );

    /// <summary>Euclidean norm of a list of tensors viewed as one vector.</summary>
    public static double Norm(IEnumerable<Tensor> tensors)
    {
        double s = 0;
        foreach (var t in tensors)
            s += t.to_type(ScalarType.Float64).Squared().sum().item<double>();
        return Math.Sqrt(s);
    }
}
