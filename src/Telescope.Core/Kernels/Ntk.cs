using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Kernels;

/// <summary>
/// Empirical tangent kernels <c>K_θ(x, x′) = ∇f_θ(x)ᵀ∇f_θ(x′)</c> (the plain kernel of spec §0: no
/// learning rate, no batch factor) and explicit Jacobians, for any <see cref="Network"/>.
/// Shapes: <c>[N_a, N_b]</c> with <see cref="NtkOutputs.Trace"/> (for k = 1 that is the kernel itself),
/// <c>[N_a, N_b, k, k]</c> with <see cref="NtkOutputs.Full"/>. Evaluated at the θ given (default: the
/// network's current parameters) — for step t of a trajectory pass θ_{t−1} (spec §0).
/// </summary>
public static class Ntk
{
    /// <summary>The kernel between the rows of <paramref name="xa"/> and <paramref name="xb"/> (pass the same tensor for the symmetric train block).</summary>
    public static Tensor Compute(
        Network net,
        Tensor xa,
        Tensor xb,
        IReadOnlyList<Tensor>? theta = null,
        NtkMethod method = NtkMethod.Structured,
        NtkOutputs outputs = NtkOutputs.Trace,
        int chunk = 256
    )
    {
        theta ??= net.Parameters;
        bool trace = outputs == NtkOutputs.Trace;
        using var scope = torch.NewDisposeScope();
        Tensor k = method switch
        {
            NtkMethod.Structured => Structured(net, xa, xb, theta, trace),
            NtkMethod.Jacobian => ViaJacobian(net, xa, xb, theta, trace, chunk),
            _ => PerExampleLoop(net, xa, xb, theta, trace),
        };
        return k.MoveToOuterDisposeScope();
    }

    /// <summary>The structured kernel from precomputed features (reuse one forward/backward for several blocks).</summary>
    public static Tensor Compute(KernelFeatures a, KernelFeatures b, bool trace = true) =>
        a.Contract(b, trace);

    /// <summary>
    /// Explicit per-example Jacobian <c>[N, k, P]</c> (row <c>[i, o]</c> is <c>∇f_o(x_i)ᵀ</c>, parameters in the
    /// order of <see cref="Network.Parameters"/>). Structured (per-layer <c>δ_l ⊗ a_{l−1}</c>, spec §1.5) when
    /// every parameterised layer supports it, else one autograd backward per example and output.
    /// </summary>
    public static Tensor Jacobian(Network net, Tensor x, IReadOnlyList<Tensor>? theta = null)
    {
        theta ??= net.Parameters;
        using var scope = torch.NewDisposeScope();
        Tensor j = KernelFeatures.FullyStructured(net)
            ? KernelFeatures.Of(net, x, theta).Jacobian()
            : AutogradJacobian(net, x, theta);
        return j.MoveToOuterDisposeScope();
    }

    private static Tensor Structured(
        Network net,
        Tensor xa,
        Tensor xb,
        IReadOnlyList<Tensor> theta,
        bool trace
    )
    {
        if (!KernelFeatures.Supports(net, out var why))
            throw new NotSupportedException(
                $"NtkMethod.Structured: {why}; use NtkMethod.Jacobian (generic)"
            );
        var a = KernelFeatures.Of(net, xa, theta);
        var b = ReferenceEquals(xa, xb) ? a : KernelFeatures.Of(net, xb, theta);
        return a.Contract(b, trace);
    }

    /// <summary>Per-example Jacobian <c>[N, k, P]</c> by autograd, one backward per example and output (generic).</summary>
    public static Tensor AutogradJacobian(Network net, Tensor x, IReadOnlyList<Tensor> theta)
    {
        long n = x.shape[0];
        return Tangents.Jvp.Jacobian(net, x, theta).reshape(n, net.Outputs, -1);
    }

    private static Tensor Gram(Tensor ga, Tensor gb, bool trace)
    {
        // ga [Na, k, P], gb [Nb, k, P]
        long na = ga.shape[0],
            nb = gb.shape[0],
            k = ga.shape[1];
        if (trace)
            return Product(ga.reshape(na, -1), gb.reshape(nb, -1));
        return Product(ga.reshape(na * k, -1), gb.reshape(nb * k, -1))
            .reshape(na, k, nb, k)
            .permute(0, 2, 1, 3)
            .contiguous();
    }

    /// <summary>Columns of the inner dimension per float32 block of <see cref="Product"/>.</summary>
    private const long ProductBlock = 8192;

    /// <summary>
    /// <c>a bᵀ</c> for <c>a [m, d]</c>, <c>b [n, d]</c>. In float32 a long inner dimension d is split into blocks of
    /// <see cref="ProductBlock"/> columns whose float32 products are summed in float64, then rounded once: one float32
    /// product over d = k·P ≈ 2.7 million (the bench MLP's traced kernel) lost the small terms against the growing
    /// sum — 2e-4 relative low against the structured kernel and functorch, seen with libtorch's MKL on an AMD EPYC
    /// at m = n = 4. The result keeps the inputs' dtype.
    /// </summary>
    internal static Tensor Product(Tensor a, Tensor b)
    {
        long d = a.shape[1];
        if (a.dtype != ScalarType.Float32 || d <= ProductBlock)
            return a.matmul(b.t());
        Tensor? sum = null;
        for (long s = 0; s < d; s += ProductBlock)
        {
            long w = Math.Min(ProductBlock, d - s);
            using var part = a.narrow(1, s, w).matmul(b.narrow(1, s, w).t());
            var wide = part.to_type(ScalarType.Float64);
            if (sum is null)
                sum = wide;
            else
            {
                sum.PlusInPlace(wide);
                wide.Dispose();
            }
        }
        var result = sum!.to_type(ScalarType.Float32);
        sum.Dispose();
        return result;
    }

    internal static Tensor GramOfGradients(Tensor ga, Tensor gb, bool trace) => Gram(ga, gb, trace);

    private static Tensor ViaJacobian(
        Network net,
        Tensor xa,
        Tensor xb,
        IReadOnlyList<Tensor> theta,
        bool trace,
        int chunk
    )
    {
        var jb = AutogradJacobian(net, xb, theta);
        if (ReferenceEquals(xa, xb))
            return Gram(jb, jb, trace);
        var parts = new List<Tensor>();
        long n = xa.shape[0];
        for (long s = 0; s < n; s += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var ja = AutogradJacobian(net, xa.narrow(0, s, Math.Min(chunk, n - s)), theta);
            parts.Add(Gram(ja, jb, trace).MoveToOuterDisposeScope());
        }
        return torch.cat(parts.ToArray(), 0);
    }

    private static Tensor PerExampleLoop(
        Network net,
        Tensor xa,
        Tensor xb,
        IReadOnlyList<Tensor> theta,
        bool trace
    )
    {
        long na = xa.shape[0],
            nb = xb.shape[0];
        int k = net.Outputs;
        var result = trace
            ? torch.zeros([na, nb], dtype: net.DType, device: net.Device)
            : torch.zeros([na, nb, k, k], dtype: net.DType, device: net.Device);
        var leaves = theta.Select(t => t.detach().requires_grad_(true)).ToArray();
        var plain = theta.Select(t => t.detach()).ToArray();
        for (long i = 0; i < na; i++)
        {
            using var scope = torch.NewDisposeScope();
            Tensor f;
            using (torch.enable_grad())
                f = net.Forward(xa.narrow(0, i, 1), leaves);
            for (int o = 0; o < k; o++)
            {
                Tensor[] g;
                using (torch.enable_grad())
                    g = torch
                        .autograd.grad(
                            [f[0, o]],
                            leaves,
                            retain_graph: o + 1 < k,
                            allow_unused: true
                        )
                        .Select((t, j) => t ?? torch.zeros_like(leaves[j]))
                        .ToArray();
                var row = net.Tangent(xb, plain, g).jvp; // [Nb, k] = J_B g
                using var _ = torch.no_grad();
                if (trace)
                    result[i].PlusInPlace(row[.., o]);
                else
                    result[i, .., o, ..].copy_(row);
            }
        }
        return result;
    }
}
