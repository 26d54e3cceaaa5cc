using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Training;

/// <summary>
/// R copies of one MLP (a chain of <see cref="Dense"/> and pointwise <see cref="Activation"/> layers, optionally after
/// a flattening <see cref="Reshape"/>) held as one batched tensor program: each Dense layer's weights stacked as
/// <c>W ∈ R^{R×out×in}</c> and its bias as <c>b ∈ R^{R×1×out}</c>, so run r's layer is <c>z_r = a_r W_rᵀ + b_r</c> and
/// all R are one <c>bmm</c> (<c>[R, B, in] → [R, B, out]</c>; rows shared by all runs: one wide GEMM). The backward pass is written out (no autograd):
/// with <c>ρ = ∂L_r/∂z</c> of a Dense layer, <c>∂L_r/∂W_r = ρ_rᵀ a_r</c>, <c>∂L_r/∂b_r = Σ_rows ρ_r</c> and
/// <c>∂L_r/∂a_r = ρ_r W_r</c>; through an activation <c>ρ ← ρ ⊙ φ′(a)</c> (<see cref="Activation.Slope"/>). Runs
/// share no arithmetic: each slice of every tensor belongs to one run.
/// </summary>
public sealed class StackedMlp : IDisposable
{
    private readonly (ActivationKind? act, int dense)[] _stages; // an activation, or the index of a Dense layer
    private readonly Tensor[] _w;
    private readonly Tensor?[] _b;
    private readonly int[] _shapesOut,
        _shapesIn;
    private Tensor? _firstGradient; // ∂L/∂W of the first Dense layer, written in place every step (the largest tensor)

    /// <summary>Number of runs R.</summary>
    public int Runs { get; }

    /// <summary>Input width d (flattened).</summary>
    public int Inputs { get; }

    /// <summary>Outputs k.</summary>
    public int Outputs { get; }

    /// <summary>The stacked parameters in the networks' order (W₁, b₁, W₂, b₂, …): <c>[R, out, in]</c> and <c>[R, 1, out]</c>.</summary>
    public IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Whether a network can be stacked: Dense and pointwise Activation layers only, after at most one leading flattening Reshape.</summary>
    public static string? Unsupported(Network net) => Unsupported(net.Layers);

    /// <summary>The same test on a list of layers; <paramref name="who"/> opens the reason.</summary>
    internal static string? Unsupported(
        IReadOnlyList<ILayer> layers,
        string who = "batched runs support"
    )
    {
        for (int l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            if (layer is Dense or Activation)
                continue;
            if (l == 0 && layer is Reshape { Shape.Length: 1 })
                continue;
            return $"{who} MLPs of Dense and pointwise activation layers only, not {layer.Describe()}";
        }
        return layers.Any(l => l is Dense) ? null : "the network has no Dense layer";
    }

    /// <summary>Stack the current parameters of <paramref name="nets"/> (one architecture; each net is one run, in order). The nets are not kept.</summary>
    public StackedMlp(IReadOnlyList<Network> nets)
    {
        if (nets.Count == 0)
            throw new ArgumentException("no networks to stack");
        var first = nets[0];
        if (Unsupported(first) is { } why)
            throw new ArgumentException(why);
        string arch = first.Describe();
        if (nets.Any(n => n.Describe() != arch || n.DType != first.DType))
            throw new ArgumentException("the networks to stack differ in architecture or dtype");
        Runs = nets.Count;
        Outputs = first.Outputs;
        var stages = new List<(ActivationKind?, int)>();
        var dense = first.Layers.OfType<Dense>().ToArray();
        foreach (var layer in first.Layers)
            if (layer is Activation a)
                stages.Add((a.Kind, -1));
            else if (layer is Dense d)
                stages.Add((null, Array.IndexOf(dense, d)));
        _stages = stages.ToArray();
        Inputs = dense[0].Inputs;
        _shapesOut = dense.Select(d => d.Outputs).ToArray();
        _shapesIn = dense.Select(d => d.Inputs).ToArray();
        _w = new Tensor[dense.Length];
        _b = new Tensor?[dense.Length];
        var ps = new List<Tensor>();
        using (torch.no_grad())
        {
            int j = 0;
            for (int l = 0; l < dense.Length; l++)
            {
                int wi = j++;
                _w[l] = torch
                    .stack(nets.Select(n => n.Parameters[wi].detach()).ToArray(), 0)
                    .contiguous()
                    .DetachFromDisposeScope();
                ps.Add(_w[l]);
                if (dense[l].Bias)
                {
                    int bi = j++;
                    _b[l] = torch
                        .stack(nets.Select(n => n.Parameters[bi].detach()).ToArray(), 0)
                        .unsqueeze(1)
                        .contiguous()
                        .DetachFromDisposeScope();
                    ps.Add(_b[l]!);
                }
            }
        }
        Parameters = ps;
    }

    /// <summary>
    /// The outputs <c>[R, B, k]</c> of every run on its own rows <paramref name="x"/> <c>[R, B, d]</c>, or of every run on
    /// the same rows <c>[N, d]</c>.
    /// </summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var (f, _) = Run(x, keep: false);
        GC.KeepAlive(x);
        return f.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Forward pass keeping each stage's input for <see cref="Gradients"/>. <paramref name="x"/> is <c>[R, B, d]</c> (each run
    /// its own rows) or <c>[B, d]</c> (rows shared by all runs: the first layer is then one matrix product with the runs'
    /// weights side by side, <c>x [W_1; …; W_R]ᵀ</c>, a GEMM R times wider).
    /// </summary>
    internal (Tensor f, Tensor[] inputs) Run(Tensor x, bool keep)
    {
        var inputs = new Tensor[_stages.Length];
        var a = x;
        for (int s = 0; s < _stages.Length; s++)
        {
            inputs[s] = a;
            var (act, l) = _stages[s];
            a = act is { } kind ? Activation.Apply(kind, a) : Linear(a, l);
        }
        return (a, keep ? inputs : []);
    }

    // z = a Wᵀ + b (TorchSharp 0.107's baddbmm hands its operands to libtorch in the wrong order: bmm, then add)
    private Tensor Linear(Tensor a, int l) => Affine(a, _w[l], _b[l]);

    private static Tensor Affine(Tensor a, Tensor w, Tensor? b)
    {
        long r = w.shape[0],
            o = w.shape[1];
        var z =
            a.dim() == 2
                ? a.mm(w.view(r * o, w.shape[2]).t()).view(a.shape[0], r, o).transpose(0, 1) // [R, B, out]
                : a.bmm(w.transpose(1, 2));
        return b is null ? z : z.PlusInPlace(b);
    }

    /// <summary>
    /// The gradients of <c>Σ_r L_r</c> (each run's own loss) in <see cref="Parameters"/> order, from the stage inputs of
    /// <see cref="Run"/> and <paramref name="rho"/> = <c>∂L_r/∂f_r</c> <c>[R, B, k]</c>.
    /// </summary>
    internal Tensor[] Gradients(Tensor[] inputs, Tensor rho)
    {
        var gw = new Tensor[_w.Length];
        var gb = new Tensor?[_w.Length];
        int firstDense = Array.FindIndex(_stages, s => s.act is null);
        for (int s = _stages.Length - 1; s >= firstDense; s--)
        {
            var (act, l) = _stages[s];
            if (act is { } kind)
            {
                rho = rho.mul(Activation.Slope(kind, inputs[s]));
                continue;
            }
            if (s == firstDense)
                gw[l] = FirstGradient(inputs[s], rho);
            else
                gw[l] = rho.transpose(1, 2).bmm(inputs[s]);
            if (_b[l] is not null)
                gb[l] = rho.sum(1, keepdim: true);
            if (s > firstDense)
                rho = rho.bmm(_w[l]);
        }
        var grads = new List<Tensor>();
        for (int l = 0; l < _w.Length; l++)
        {
            grads.Add(gw[l]);
            if (gb[l] is { } g)
                grads.Add(g);
        }
        return grads.ToArray();
    }

    /// <summary>
    /// <c>∂L_r/∂W_r = ρ_rᵀ a_r</c> of the first Dense layer into one buffer kept across steps (a fresh tensor of this size
    /// is a new mapping and its page faults every step): with rows shared by all runs one GEMM
    /// <c>[R·out, B] × [B, in]</c>, else one in-place product per run. Valid until the next call.
    /// </summary>
    private Tensor FirstGradient(Tensor a, Tensor rho)
    {
        _firstGradient ??= torch.empty_like(_w[0]).DetachFromDisposeScope();
        var g = _firstGradient;
        if (a.dim() == 2)
            g.view(Runs * g.shape[1], g.shape[2])
                .addmm_(rho.transpose(0, 1).reshape(rho.shape[1], -1).t(), a, 0f, 1f);
        else
            for (int r = 0; r < Runs; r++)
                g[r].addmm_(rho[r].t(), a[r], 0f, 1f);
        return g;
    }

    /// <summary>
    /// Forward-mode pass of every run on the same rows <paramref name="x"/> <c>[N, d]</c>: <c>(f_r(x), ∇f_{θ_r}(x)ᵀΔθ_r)</c>,
    /// both <c>[R, N, k]</c>, at stacked parameters <paramref name="theta"/> in direction <paramref name="direction"/>
    /// (both shaped like <see cref="Parameters"/>). Dense: <c>ż = a ΔWᵀ + ȧ Wᵀ + Δb</c>; activation: <c>ż = φ′(a) ⊙ ȧ</c>
    /// (<see cref="Dense.Tangent"/>, <see cref="Activation.Tangent"/> run by run).
    /// </summary>
    public (Tensor f, Tensor jvp) Tangent(
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> direction
    )
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var (w, b) = Split(theta);
        var (dw, db) = Split(direction);
        Tensor a = x;
        Tensor? da = null;
        foreach (var (act, l) in _stages)
        {
            if (act is { } kind)
            {
                var z = Activation.Apply(kind, a);
                if (da is not null)
                    da =
                        kind == ActivationKind.Relu
                            ? da.mul(z.sign())
                            : da.mul(Activation.Slope(kind, a));
                a = z;
                continue;
            }
            var za = Affine(a, w[l], b[l]);
            var dz = Affine(a, dw[l], db[l]);
            if (da is not null)
                dz = dz.PlusInPlace(da.bmm(w[l].transpose(1, 2)));
            a = za;
            da = dz;
        }
        GC.KeepAlive(x);
        GC.KeepAlive(theta);
        GC.KeepAlive(direction);
        return (a.MoveToOuterDisposeScope(), (da ?? torch.zeros_like(a)).MoveToOuterDisposeScope());
    }

    private (Tensor[] w, Tensor?[] b) Split(IReadOnlyList<Tensor> theta)
    {
        if (theta.Count != Parameters.Count)
            throw new ArgumentException(
                $"expected {Parameters.Count} stacked tensors, got {theta.Count}"
            );
        var w = new Tensor[_w.Length];
        var b = new Tensor?[_w.Length];
        int j = 0;
        for (int l = 0; l < _w.Length; l++)
        {
            w[l] = theta[j++];
            if (_b[l] is not null)
                b[l] = theta[j++];
        }
        return (w, b);
    }

    /// <summary>Detached copies of the stacked parameters (θ_{t−1} for a tangent, checkpoints).</summary>
    public Tensor[] Snapshot()
    {
        using var _ = torch.no_grad();
        return Parameters.Select(p => p.detach().clone()).ToArray();
    }

    /// <summary>Run <paramref name="run"/>'s parameters as copies shaped like its network's (W <c>[out, in]</c>, b <c>[out]</c>), in no dispose scope.</summary>
    public Tensor[] Unstack(int run)
    {
        using var _ = torch.no_grad();
        var ps = new List<Tensor>();
        for (int l = 0; l < _w.Length; l++)
        {
            ps.Add(_w[l][run].clone().DetachFromDisposeScope());
            if (_b[l] is { } b)
                ps.Add(b[run].reshape(_shapesOut[l]).clone().DetachFromDisposeScope());
        }
        return ps.ToArray();
    }

    /// <summary>Widths of the Dense layers, input first: <c>[d, h₁, …, k]</c>.</summary>
    public IReadOnlyList<int> Widths => [_shapesIn[0], .. _shapesOut];

    /// <inheritdoc />
    public void Dispose()
    {
        _firstGradient?.Dispose();
        foreach (var w in _w)
            w.Dispose();
        foreach (var b in _b)
            b?.Dispose();
    }
}
