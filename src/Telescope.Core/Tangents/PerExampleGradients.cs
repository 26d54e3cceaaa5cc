using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tangents;

/// <summary>
/// Per-example gradients of a loss, <c>g_i = ∇_θ ℓ(f_θ(x_i), y_i) = J_θ(x_i)ᵀ r_i</c> with
/// <c>r_i = ∂ℓ/∂f(x_i) ∈ R^k</c> given by the caller (for ½‖f − y‖², <c>r = f − y</c>): what
/// <c>vmap(grad(loss))</c> computes in torch.func. Results are one tensor per parameter tensor, shaped
/// <c>[N, …parameter shape]</c> (N·P numbers in all).
/// </summary>
public static class PerExampleGradients
{
    /// <summary>
    /// Structured: one batched forward pass keeping every layer input <c>a_{l−1}</c>, then one batched
    /// backward pass of the signal <c>δ_L = r</c>, <c>δ_{l−1} = (δ_l W_l) ⊙ φ′(z_{l−1})</c>, and per dense
    /// layer the outer products <c>∇_{W_l} ℓ_i = δ_{l,i} a_{l−1,i}ᵀ</c>, <c>∇_{b_l} ℓ_i = δ_{l,i}</c>.
    /// Cost: the forward pass, one GEMM per layer for the signal, and N·P multiplications for the
    /// outer products. For chains of Dense, Activation and Reshape layers; any other network falls back
    /// to <see cref="Autograd"/>.
    /// </summary>
    public static Tensor[] Of(
        Network net,
        Tensor x,
        Tensor outputGradient,
        IReadOnlyList<Tensor>? theta = null
    )
    {
        theta ??= net.Parameters;
        if (!net.Layers.All(l => l is Dense or Activation or Reshape))
            return Autograd(net, x, outputGradient, theta);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var plain = theta.Select(t => t.detach()).ToArray();
        int count = net.Layers.Count;
        var ins = new Tensor[count];
        var offs = new int[count];
        Tensor a = x.detach();
        int off = 0;
        for (int l = 0; l < count; l++)
        {
            int np = net.Layers[l].ParameterShapes.Count;
            ins[l] = a;
            offs[l] = off;
            a = net.Layers[l].Forward(a, plain.AsSpan(off, np));
            off += np;
        }
        long n = x.shape[0];
        var grads = new Tensor[plain.Length];
        var delta = outputGradient.to(a.dtype); // [N, k]
        for (int l = count - 1; l >= 0; l--)
        {
            switch (net.Layers[l])
            {
                case Dense d:
                    grads[offs[l]] = delta.unsqueeze(2).mul(ins[l].unsqueeze(1)); // [N, out, in]
                    if (d.Bias)
                        grads[offs[l] + 1] = delta.clone();
                    if (l > 0)
                        delta = delta.matmul(plain[offs[l]]); // [N, out] × [out, in]
                    break;
                case Activation act:
                {
                    var z = ins[l];
                    var slope = Activation.Slope(act.Kind, z);
                    delta = delta.mul(slope);
                    break;
                }
                case Reshape:
                    delta = delta.reshape(ins[l].shape);
                    break;
            }
        }
        foreach (var g in grads)
            g.MoveToOuterDisposeScope();
        return grads;
    }

    /// <summary>
    /// Generic: one autograd backward pass of <c>f_θ(x_i)·r_i</c> per example (any differentiable
    /// network); the same numbers as <see cref="Of"/> to round-off. N backward passes.
    /// </summary>
    public static Tensor[] Autograd(
        Network net,
        Tensor x,
        Tensor outputGradient,
        IReadOnlyList<Tensor>? theta = null
    )
    {
        theta ??= net.Parameters;
        long n = x.shape[0];
        var leaves = theta.Select(t => t.detach().requires_grad_(true)).ToArray();
        var rows = leaves.Select(_ => new List<Tensor>()).ToArray();
        using var enable = torch.enable_grad();
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            var f = net.Forward(x.narrow(0, i, 1), leaves);
            var s = f.mul(outputGradient.narrow(0, i, 1).to(f.dtype)).sum();
            var g = torch.autograd.grad([s], leaves, allow_unused: true);
            for (int j = 0; j < leaves.Length; j++)
                rows[j]
                    .Add((g[j] ?? torch.zeros_like(leaves[j])).detach().MoveToOuterDisposeScope());
        }
        var result = rows.Select(r => torch.stack(r.ToArray())).ToArray();
        foreach (var r in rows)
        foreach (var t in r)
            t.Dispose();
        return result;
    }
}
