using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tangents;

/// <summary>How to compute the batched Jacobian–vector product <c>J_θ(X) v</c>, <c>[N, k]</c>. All are exact.</summary>
public enum JvpMethod
{
    /// <summary>Tangent pass layer by layer (<see cref="Network.Tangent"/>): each layer's hand-written rule (about 2–3 forward passes, no graph), the generic per-layer double-backward rule for a layer that has none. The default.</summary>
    Forward,

    /// <summary>Double-backward trick on the whole network: g = J(u)ᵀ with a dummy u, then ∂(gᵀv)/∂u = Jv. Generic (any differentiable forward; uses no tangent rule), about 3–4 backward passes; chunked to bound the graph (one chunk when rows interact).</summary>
    DoubleBackward,

    /// <summary>One autograd backward per example and output: the naive oracle (slow; tests and benchmarks).</summary>
    PerExample,
}

/// <summary>Batched exact Jacobian–vector products <c>∇f_θ(x)ᵀ v</c> for all rows of X at once.</summary>
public static class Jvp
{
    /// <summary>
    /// <c>∇f_θ(X)ᵀ v</c>, shape <c>[N, k]</c>, evaluated at θ = <paramref name="theta"/> in direction
    /// <paramref name="v"/> (tensors shaped like the parameters).
    /// </summary>
    public static Tensor Compute(
        Network net,
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> v,
        JvpMethod method = JvpMethod.Forward,
        int chunk = 512
    ) =>
        method switch
        {
            JvpMethod.Forward => net.Tangent(x, theta, v).jvp,
            JvpMethod.DoubleBackward => DoubleBackward(net, x, theta, v, chunk),
            _ => PerExample(net, x, theta, v),
        };

    /// <summary>The double-backward trick (spec §1.4 B), in chunks of <paramref name="chunk"/> rows (the whole batch at once when <see cref="Network.RowsInteract"/>).</summary>
    public static Tensor DoubleBackward(
        Network net,
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> v,
        int chunk = 512
    )
    {
        var parts = new List<Tensor>();
        long n = x.shape[0];
        if (net.RowsInteract)
            chunk = (int)Math.Max(n, 1);
        for (long s = 0; s < n; s += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var xc = x.narrow(0, s, Math.Min(chunk, n - s));
            var leaves = theta.Select(t => t.detach().requires_grad_(true)).ToArray();
            using var enable = torch.enable_grad();
            var f = net.Forward(xc, leaves);
            var u = torch.zeros_like(f).requires_grad_(true);
            var g = torch.autograd.grad([f], leaves, [u], create_graph: true, allow_unused: true);
            Tensor? sum = null;
            for (int i = 0; i < leaves.Length; i++)
            {
                if (g[i] is null)
                    continue;
                var term = g[i].mul(v[i]).sum();
                sum = sum is null ? term : sum.Plus(term);
            }
            var jvp = sum is null
                ? torch.zeros_like(f)
                : torch.autograd.grad([sum], [u], allow_unused: true)[0] ?? torch.zeros_like(f);
            parts.Add(jvp.detach().MoveToOuterDisposeScope());
        }
        return torch.cat(parts.ToArray(), 0);
    }

    /// <summary>One backward pass per example and output (the naive loop the batched methods replace). When rows interact, one forward of the whole batch and one backward per row and output.</summary>
    public static Tensor PerExample(
        Network net,
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> v
    )
    {
        long n = x.shape[0];
        var result = new double[n * net.Outputs];
        PerOutputGradients(
            net,
            x,
            theta,
            (i, k, g) =>
            {
                double s = 0;
                for (int j = 0; j < g.Count; j++)
                    if (g[j] is not null)
                        s += g[j].mul(v[j]).sum().to_type(ScalarType.Float64).item<double>();
                result[i * net.Outputs + k] = s;
            }
        );
        return HostArrays.ToTensor(result, [n, net.Outputs], dtype: net.DType, device: net.Device);
    }

    /// <summary>The explicit Jacobian <c>J ∈ R^{N·k × P}</c> (row i·k + o is ∇f_o(x_i)ᵀ), by per-example backward passes (of the whole batch's forward when rows interact). Memory N·k·P: tests only.</summary>
    public static Tensor Jacobian(Network net, Tensor x, IReadOnlyList<Tensor> theta)
    {
        long n = x.shape[0];
        long[] offsets = new long[theta.Count + 1];
        for (int j = 0; j < theta.Count; j++)
            offsets[j + 1] = offsets[j] + theta[j].numel();
        // written in place row by row: no per-row cat and no final stack (each a copy of N·k·P numbers)
        var jac = torch.empty([n * net.Outputs, offsets[^1]], dtype: net.DType, device: net.Device);
        PerOutputGradients(
            net,
            x,
            theta,
            (i, k, g) =>
            {
                var row = jac.select(0, i * net.Outputs + k);
                for (int j = 0; j < g.Count; j++)
                {
                    var slot = row.narrow(0, offsets[j], offsets[j + 1] - offsets[j]);
                    if (g[j] is null)
                        slot.zero_();
                    else
                        slot.copy_(g[j].reshape(-1));
                }
            }
        );
        return jac;
    }

    /// <summary>
    /// ∇_θ f_k(x_i) for every row i and output k in turn, one backward pass each (of the whole batch's forward when rows
    /// interact), handed to <paramref name="use"/> as (i, k, gradient per parameter tensor; null where unused) inside a
    /// dispose scope of its own row.
    /// </summary>
    private static void PerOutputGradients(
        Network net,
        Tensor x,
        IReadOnlyList<Tensor> theta,
        Action<long, int, IList<Tensor>> use
    )
    {
        long n = x.shape[0];
        var leaves = theta.Select(t => t.detach().requires_grad_(true)).ToArray();
        using var enable = torch.enable_grad();
        var whole = net.RowsInteract ? net.Forward(x, leaves) : null;
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            var f = whole is null ? net.Forward(x.narrow(0, i, 1), leaves) : whole.narrow(0, i, 1);
            for (int k = 0; k < net.Outputs; k++)
                use(
                    i,
                    k,
                    torch.autograd.grad(
                        [f[0, k]],
                        leaves,
                        retain_graph: whole is not null || k + 1 < net.Outputs,
                        allow_unused: true
                    )
                );
        }
    }
}
