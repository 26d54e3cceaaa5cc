using Telescope.Models;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.GbtVsNn;

/// <summary>
/// The factorised tangent kernel of an MLP (spec §1.5) for the gbt-vs-nn study:
/// <c>K(A, B) = Σ_l (Δ_l^A Δ_l^Bᵀ) ⊙ (A_{l−1}^A A_{l−1}^Bᵀ + 1)</c>, with <c>Δ_l</c> the backprop signal of
/// <c>f</c> at layer l's pre-activation and <c>A_{l−1}</c> its input. Scalar output, Dense layers with
/// bias and pointwise activations only. Unstable, study-private helper: it duplicates the MLP case of the
/// <c>kernels</c> branch's <c>Ntk.Compute</c>/<c>KernelFeatures</c> and should be replaced by it once
/// that is merged.
/// </summary>
internal sealed class MlpKernelBlock : IDisposable
{
    private readonly List<(Tensor delta, Tensor input)> _layers;

    private MlpKernelBlock(List<(Tensor, Tensor)> layers) => _layers = layers;

    /// <summary>Rows r.</summary>
    public long Rows => _layers[0].delta.shape[0];

    /// <summary>
    /// Per-layer <c>(Δ_l [r, w_l], A_{l−1} [r, w_{l−1}])</c> of <paramref name="net"/> at its current θ for
    /// rows <c>x [r, d]</c>, stored in <paramref name="contractIn"/> (default: the network's dtype; float32
    /// halves the cost of <see cref="Kernel"/> when only norms are needed).
    /// </summary>
    public static MlpKernelBlock Of(Network net, Tensor x, ScalarType? contractIn = null)
    {
        var dtype = contractIn ?? net.DType;
        if (net.Outputs != 1)
            throw new NotSupportedException(
                $"the factorised kernel here needs a scalar output, the network has {net.Outputs}"
            );
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var inputs = new List<Tensor>();
        var pre = new List<Tensor>(); // pre-activation after each Dense
        var acts = new List<ActivationKind?>(); // activation following Dense l (null: none)
        var weights = new List<Tensor>();
        int pi = 0;
        Tensor a = x;
        for (int l = 0; l < net.Layers.Count; l++)
        {
            switch (net.Layers[l])
            {
                case Dense { Bias: true } dense:
                    inputs.Add(a);
                    weights.Add(net.Parameters[pi]);
                    a = dense.Forward(a, [net.Parameters[pi], net.Parameters[pi + 1]]);
                    pi += 2;
                    pre.Add(a);
                    acts.Add(null);
                    break;
                case Activation act when pre.Count > 0 && acts[^1] is null:
                    acts[^1] = act.Kind;
                    a = act.Forward(a, []);
                    break;
                case var other:
                    throw new NotSupportedException(
                        $"the factorised MLP kernel does not support {other.Describe()} here (Dense with bias and one activation per layer only)"
                    );
            }
        }
        if (acts[^1] is { } last && last != ActivationKind.Identity)
            throw new NotSupportedException(
                "an output nonlinearity is not supported by this helper"
            );
        int depth = pre.Count;
        var deltas = new Tensor[depth];
        deltas[depth - 1] = torch.ones_like(pre[depth - 1]);
        for (int l = depth - 2; l >= 0; l--)
        {
            var back = deltas[l + 1].matmul(weights[l + 1]); // [r, w_l]
            var z = pre[l];
            deltas[l] = acts[l] is { } kind ? back.mul(Activation.Slope(kind, z)) : back;
        }
        var layers = new List<(Tensor, Tensor)>();
        for (int l = 0; l < depth; l++)
        {
            var d = deltas[l].detach().to_type(dtype).MoveToOuterDisposeScope();
            var i = inputs[l].detach().to_type(dtype).MoveToOuterDisposeScope();
            layers.Add((d, i));
        }
        return new MlpKernelBlock(layers);
    }

    /// <summary>The rows <paramref name="index"/> of this block (for example the current batch).</summary>
    public MlpKernelBlock Select(Tensor index) =>
        new(
            _layers
                .Select(p => (p.delta.index_select(0, index), p.input.index_select(0, index)))
                .ToList()
        );

    /// <summary><c>K(this, other)</c> <c>[r_this, r_other]</c>.</summary>
    public Tensor Kernel(MlpKernelBlock other)
    {
        using var scope = torch.NewDisposeScope();
        Tensor? k = null;
        for (int l = 0; l < _layers.Count; l++)
        {
            var dd = _layers[l].delta.matmul(other._layers[l].delta.t());
            var aa = _layers[l].input.matmul(other._layers[l].input.t()).PlusConstInPlace(1);
            var term = dd.mul_(aa);
            k = k is null ? term : k.PlusInPlace(term);
        }
        return k!.MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (d, i) in _layers)
        {
            d.Dispose();
            i.Dispose();
        }
    }
}
