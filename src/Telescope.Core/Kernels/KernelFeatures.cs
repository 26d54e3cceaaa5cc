using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Kernels;

/// <summary>
/// What the structured kernel needs about a set of rows X at θ (spec §1.5): for every parameterised
/// layer l, its input activations <c>A_{l−1} [N, …in]</c> and the back-propagated signals
/// <c>Δ_l = ∂f_o/∂z_l [N, k, …out]</c> at its output, one slice per network output o. Δ_l is read off
/// one backward pass per output of <c>Σ_rows f_o</c> with respect to zero "probe" tensors added to each
/// layer output; this is exact because rows do not interact (no batch statistics, no dropout). A
/// parameterised layer without a structured rule contributes through <see cref="LayerGradients.Autograd"/>.
/// Memory <c>O(N·k·Σ_l w_l)</c>. Immutable; rows can be selected with <see cref="Rows"/>.
/// </summary>
public sealed class KernelFeatures
{
    private readonly Network _net;
    private readonly IReadOnlyList<Tensor> _theta;
    private readonly int[] _layers; // indices of parameterised layers
    private readonly int[] _offsets; // first parameter tensor of each parameterised layer
    private readonly Tensor[] _inputs; // A_{l−1}
    private readonly Tensor[] _deltas; // Δ_l [N, k, out…]

    private KernelFeatures(
        Network net,
        IReadOnlyList<Tensor> theta,
        int[] layers,
        int[] offsets,
        Tensor[] inputs,
        Tensor[] deltas
    )
    {
        _net = net;
        _theta = theta;
        _layers = layers;
        _offsets = offsets;
        _inputs = inputs;
        _deltas = deltas;
    }

    /// <summary>Number of rows N.</summary>
    public long Count => _inputs.Length == 0 ? 0 : _inputs[0].shape[0];

    /// <summary>Numbers held: <c>Σ_l numel(A_{l−1}) + numel(Δ_l)</c> (the memory of these features, in elements).</summary>
    public long Numbers => _inputs.Sum(t => t.numel()) + _deltas.Sum(t => t.numel());

    /// <summary>Whether every parameterised layer of <paramref name="net"/> has a structured rule.</summary>
    public static bool Supports(Network net) => Supports(net, out _);

    /// <summary>
    /// Whether the structured kernel applies: rows must not interact (no batch statistics). A parameterised
    /// layer without a structured rule (Dense, Conv2d, <see cref="IStructuredLayer"/>) is handled generically
    /// (<see cref="LayerGradients.Autograd"/>); <paramref name="why"/> names the first layer that couples rows.
    /// </summary>
    public static bool Supports(Network net, out string why)
    {
        foreach (var l in net.Layers)
            if (l.RowsInteract)
            {
                why =
                    $"layer {l.Describe()} couples the rows of a batch (batch statistics), so the kernel of a row depends on the whole batch";
                return false;
            }
        why = "";
        return true;
    }

    /// <summary>Whether every parameterised layer has a structured rule (no generic autograd term).</summary>
    public static bool FullyStructured(Network net) =>
        Supports(net)
        && net.Layers.All(l =>
            l.ParameterShapes.Count == 0 || l is Dense or Conv2d or IStructuredLayer
        );

    /// <summary>
    /// Forward at θ, then the signals: for chains of Dense, Activation and Reshape layers by one batched
    /// analytic backward pass over all k outputs at once (<c>Δ_{l−1} = (Δ_l W_l) ⊙ φ′(z_{l−1})</c>, one GEMM
    /// <c>[N·k, w_l] × [w_l, w_{l−1}]</c> per layer); otherwise by k autograd backward passes. Detached results.
    /// </summary>
    public static KernelFeatures Of(Network net, Tensor x, IReadOnlyList<Tensor> theta)
    {
        var plain = theta.Select(t => t.detach()).ToArray();
        if (net.Layers.All(l => l is Dense or Activation or Reshape))
            return Analytic(net, x, plain);
        var layers = new List<int>();
        var offsets = new List<int>();
        var inputs = new List<Tensor>();
        var probes = new List<Tensor>();
        Tensor f;
        using (torch.enable_grad())
        {
            Tensor a = x.detach();
            int off = 0;
            for (int l = 0; l < net.Layers.Count; l++)
            {
                var layer = net.Layers[l];
                int np = layer.ParameterShapes.Count;
                var p = plain.AsSpan(off, np);
                if (np > 0)
                {
                    layers.Add(l);
                    offsets.Add(off);
                    inputs.Add(a.detach());
                    var z = layer.Forward(a, p);
                    var e = torch.zeros_like(z).requires_grad_(true);
                    probes.Add(e);
                    a = z.Plus(e);
                }
                else
                    a = layer.Forward(a, p);
                off += np;
            }
            f = a;
        }
        int k = (int)f.shape[1];
        var perOutput = new List<Tensor[]>();
        for (int o = 0; o < k; o++)
        {
            using var _ = torch.enable_grad();
            var g = torch.autograd.grad(
                [f[.., o].sum()],
                probes,
                retain_graph: o + 1 < k,
                allow_unused: true
            );
            perOutput.Add(
                g.Select((t, i) => (t ?? torch.zeros_like(probes[i])).detach()).ToArray()
            );
        }
        var deltas = new Tensor[probes.Count];
        for (int i = 0; i < probes.Count; i++)
            deltas[i] = torch.stack(perOutput.Select(g => g[i]).ToArray(), 1); // [N, k, out…]
        return new KernelFeatures(
            net,
            plain,
            layers.ToArray(),
            offsets.ToArray(),
            inputs.ToArray(),
            deltas
        );
    }

    private static KernelFeatures Analytic(Network net, Tensor x, Tensor[] plain)
    {
        using var _ = torch.no_grad();
        int count = net.Layers.Count;
        var ins = new Tensor[count];
        var offs = new int[count];
        Tensor a = x.detach();
        int off = 0;
        for (int l = 0; l < count; l++)
        {
            var layer = net.Layers[l];
            int np = layer.ParameterShapes.Count;
            ins[l] = a;
            offs[l] = off;
            a = layer.Forward(a, plain.AsSpan(off, np));
            off += np;
        }
        long n = x.shape[0];
        int k = (int)a.shape[1];
        var delta = torch.eye(k, dtype: a.dtype, device: a.device).unsqueeze(0).expand(n, k, k); // ∂f_o/∂f = e_o
        var layers = new List<int>();
        var offsets = new List<int>();
        var inputs = new List<Tensor>();
        var deltas = new List<Tensor>();
        int first = Enumerable
            .Range(0, count)
            .FirstOrDefault(l => net.Layers[l].ParameterShapes.Count > 0);
        for (int l = count - 1; l >= first; l--) // below the first parameterised layer no signal is needed
        {
            switch (net.Layers[l])
            {
                case Dense d:
                    layers.Add(l);
                    offsets.Add(offs[l]);
                    inputs.Add(ins[l]);
                    deltas.Add(delta.contiguous());
                    if (l > first)
                        delta = delta.matmul(plain[offs[l]]); // [N, k, out] × [out, in]
                    break;
                case Activation act:
                {
                    var z = ins[l];
                    var slope = Activation.Slope(act.Kind, z);
                    delta = delta.mul(slope.unsqueeze(1));
                    break;
                }
                case Reshape:
                    delta = delta.reshape([n, k, .. ins[l].shape.Skip(1)]);
                    break;
            }
        }
        layers.Reverse();
        offsets.Reverse();
        inputs.Reverse();
        deltas.Reverse();
        return new KernelFeatures(
            net,
            plain,
            layers.ToArray(),
            offsets.ToArray(),
            inputs.ToArray(),
            deltas.ToArray()
        );
    }

    /// <summary>The same features restricted to the rows <paramref name="index"/> (int64 tensor).</summary>
    public KernelFeatures Rows(Tensor index) =>
        new(
            _net,
            _theta,
            _layers,
            _offsets,
            _inputs.Select(t => t.index_select(0, index)).ToArray(),
            _deltas.Select(t => t.index_select(0, index)).ToArray()
        );

    private ReadOnlySpan<Tensor> Params(int i) =>
        _theta.Skip(_offsets[i]).Take(_net.Layers[_layers[i]].ParameterShapes.Count).ToArray();

    /// <summary>
    /// <c>K(this, other)</c>: <c>[N_a, N_b]</c> traced over outputs when <paramref name="trace"/>, else
    /// <c>[N_a, N_b, k, k]</c>. Dense layers: <c>Σ_o (Δ^A_o Δ^B_oᵀ) ⊙ (A^A A^Bᵀ + 1)</c>.
    /// </summary>
    public Tensor Contract(KernelFeatures other, bool trace = true)
    {
        Tensor? k = null;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _net.Layers[_layers[i]];
            Tensor term = layer switch
            {
                Dense d when _inputs[i].dim() == 2 => DenseTerm(
                    d,
                    _inputs[i],
                    _deltas[i],
                    other._inputs[i],
                    other._deltas[i],
                    trace
                ),
                IStructuredLayer s => s.KernelTerm(
                    _inputs[i],
                    _deltas[i],
                    other._inputs[i],
                    other._deltas[i],
                    Params(i),
                    trace
                )
                    ?? Ntk.GramOfGradients(
                        s.PerExampleGradient(_inputs[i], _deltas[i], Params(i)),
                        s.PerExampleGradient(other._inputs[i], other._deltas[i], Params(i)),
                        trace
                    ),
                _ => Ntk.GramOfGradients(
                    LayerGradient(i, _inputs[i], _deltas[i]),
                    LayerGradient(i, other._inputs[i], other._deltas[i]),
                    trace
                ),
            };
            k = k is null ? term : k.PlusInPlace(term);
        }
        if (k is not null)
            return k;
        long na = Count,
            nb = other.Count;
        int ko = _net.Outputs;
        return trace
            ? torch.zeros([na, nb], dtype: _net.DType, device: _net.Device)
            : torch.zeros([na, nb, ko, ko], dtype: _net.DType, device: _net.Device);
    }

    private static Tensor DenseTerm(Dense d, Tensor aA, Tensor dA, Tensor aB, Tensor dB, bool trace)
    {
        long na = aA.shape[0],
            nb = aB.shape[0],
            k = dA.shape[1];
        var gram = aA.matmul(aB.t()); // A^A A^Bᵀ  [Na, Nb]
        if (d.Bias)
            gram = gram.PlusConstInPlace(1);
        if (trace)
            return dA.reshape(na, -1).matmul(dB.reshape(nb, -1).t()).mul_(gram); // Σ_o Δ_o Δ_oᵀ
        var dd = dA.reshape(na * k, -1)
            .matmul(dB.reshape(nb * k, -1).t())
            .reshape(na, k, nb, k)
            .permute(0, 2, 1, 3);
        return dd.mul(gram.unsqueeze(2).unsqueeze(3));
    }

    /// <summary>Per-example gradient <c>[N, k, P_l]</c> of parameterised layer i (its parameter tensors concatenated).</summary>
    private Tensor LayerGradient(int i, Tensor a, Tensor delta) =>
        LayerGradients.Of(_net.Layers[_layers[i]], a, delta, Params(i));

    /// <summary>The explicit Jacobian <c>[N, k, P]</c>, assembled layer by layer (spec §1.5, "explicit Jacobian when needed").</summary>
    public Tensor Jacobian() =>
        torch.cat(
            Enumerable
                .Range(0, _layers.Length)
                .Select(i => LayerGradient(i, _inputs[i], _deltas[i]))
                .ToArray(),
            2
        );
}
