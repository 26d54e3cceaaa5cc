using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Kernels;

/// <summary>
/// Per-example gradient of one layer's parameters from its input <c>a [N, …in]</c> and the back-propagated
/// signal <c>δ [N, k, …out]</c> at its output: row <c>[i, o]</c> is <c>∂(Σ δ[i, o] ⊙ z_i)/∂p</c>, shape
/// <c>[N, k, P_layer]</c> (parameter tensors concatenated, row-major). Dense and Conv2d by their closed
/// forms, <see cref="IStructuredLayer"/>s by their own rule, any other layer by autograd (generic).
/// Rows must not interact.
/// </summary>
public static class LayerGradients
{
    /// <summary>The per-example gradient <c>[N, k, P_layer]</c>.</summary>
    public static Tensor Of(ILayer layer, Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        long n = a.shape[0],
            k = delta.shape[1];
        switch (layer)
        {
            case Dense d when a.dim() == 2:
            {
                var gw = delta.unsqueeze(3).mul(a.reshape(n, 1, 1, -1)).reshape(n, k, -1); // δ ⊗ a
                return d.Bias ? torch.cat([gw, delta], 2) : gw;
            }
            case Dense d:
            {
                // applied at every position of [N, …, in]: Σ_pos δ_pos ⊗ a_pos
                var dd = delta.reshape(n, k, -1, d.Outputs); // [N, k, Q, out]
                var aa = a.reshape(n, 1, -1, d.Inputs); // [N, 1, Q, in]
                var gw = dd.transpose(2, 3).matmul(aa).reshape(n, k, -1); // [N, k, out·in]
                return d.Bias ? torch.cat([gw, dd.sum([2])], 2) : gw;
            }
            case Conv2d c:
            {
                // ∂f/∂W[co, ci, u, v] = Σ_q δ[co, q] · patch_q[ci, u, v]; ∂f/∂b[co] = Σ_q δ[co, q]
                var patches = nn.functional.unfold(
                    a,
                    (c.Kernel, c.Kernel),
                    padding: (c.Padding, c.Padding)
                ); // [N, ci·k², Q]
                var dd = delta.reshape(n, k * c.OutChannels, -1); // [N, k·co, Q]
                var gw = dd.matmul(patches.transpose(1, 2)).reshape(n, k, -1); // [N, k, co·ci·k²]
                var gb = dd.sum(2).reshape(n, k, c.OutChannels);
                return torch.cat([gw, gb], 2);
            }
            case IStructuredLayer s:
                return s.PerExampleGradient(a, delta, p);
            default:
                return Autograd(layer, a, delta, p);
        }
    }

    /// <summary>
    /// Generic: one forward of the layer per row and one backward per row and output (N·k backward passes of
    /// this layer only; the rest of the network keeps its structured rules).
    /// </summary>
    public static Tensor Autograd(ILayer layer, Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        long n = a.shape[0],
            k = delta.shape[1];
        var leaves = new Tensor[p.Length];
        for (int j = 0; j < p.Length; j++)
            leaves[j] = p[j].detach().requires_grad_(true);
        long size = leaves.Sum(t => t.numel());
        var result = torch.zeros([n, k, size], dtype: delta.dtype, device: delta.device);
        using var enable = torch.enable_grad();
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            var z = layer.Forward(a.narrow(0, i, 1).detach(), leaves);
            for (long o = 0; o < k; o++)
            {
                var target = z.mul(delta[i, o].unsqueeze(0)).sum();
                if (!target.requires_grad)
                    continue;
                var g = torch.autograd.grad(
                    [target],
                    leaves,
                    retain_graph: o + 1 < k,
                    allow_unused: true
                );
                var flat = torch.cat(
                    g.Select((t, j) => (t ?? torch.zeros_like(leaves[j])).reshape(-1)).ToArray()
                );
                using var _ = torch.no_grad();
                result[i, o].copy_(flat);
            }
        }
        return result;
    }
}
