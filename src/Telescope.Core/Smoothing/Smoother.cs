using Telescope.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Smoothing;

/// <summary>
/// The smoother view of a trained network under squared loss with a scalar output (spec §3):
/// <c>f̂_t(x) = s_t(x)·y + c_t(x)</c> for every tracked point, produced by the telescoping recursion with
/// the residuals fed to the optimiser taken as <c>y − f̂_{t−1}</c> on the training rows (paper Eq. 7).
/// State: <c>S [N, n]</c> (train rows first; <c>S[0:n]</c> is the paper's n×n train smoother) and
/// <c>c [N]</c>, float64, with <c>S_0 = 0</c>, <c>c_0 = f_{θ_0}(X_all)</c>. Memory does not grow with T.
/// Call <see cref="Step"/> once per optimiser step, after the real step (it only reads θ_{t−1}, the
/// batch, γ_t and Adam's 1/φ_t from it). Cross-entropy and k &gt; 1 outputs are not implemented (§3.5).
/// </summary>
public sealed class Smoother : IDisposable
{
    private readonly Network _net;
    private readonly Tensor _xAll;
    private readonly int _n;
    private readonly OptimizerSpec _spec;
    private readonly UpdateOperator[] _ops = [];
    private readonly Tensor[] _w = []; // W_{t−1} = [W^S | W^C] per tensor, shape [..., n+1]
    private readonly long[] _sizes = [];
    private Tensor _s,
        _c;

    /// <summary>Which recursion is used (never <see cref="SmootherMethod.Auto"/>).</summary>
    public SmootherMethod Method { get; }

    /// <summary>S_t <c>[N, n]</c> (float64; do not modify).</summary>
    public Tensor S => _s;

    /// <summary>c_t <c>[N]</c> (float64; do not modify).</summary>
    public Tensor C => _c;

    /// <summary>Number of training labels n (= the first n rows of X_all).</summary>
    public int TrainCount => _n;

    /// <summary>The reason a configuration cannot be smoothed (null when it can): §3.5 and the §3.3 fast-path premise.</summary>
    public static string? Unsupported(
        Network net,
        Training.LossKind loss,
        OptimizerSpec spec,
        SmootherMethod method
    )
    {
        if (loss != Training.LossKind.Squared)
            return "the smoother view is defined for squared loss only (spec §3.5): with cross-entropy the labels enter with coefficient −1 and no (I − S) feedback, a different object that the paper does not use; it is not implemented in v1";
        if (net.Outputs != 1)
            return $"the smoother view needs a scalar output (k = 1, spec §3), the network has k = {net.Outputs}";
        if (
            method == SmootherMethod.SgdKernel
            && (spec.Kind != OptimizerKind.Sgd || spec.WeightDecay != 0)
        )
            return $"SmootherMethod.SgdKernel (Algorithm A3) assumes plain SGD without weight decay; the optimiser is {spec.Name} with λ = {spec.WeightDecay}: use SmootherMethod.General (A2)";
        return null;
    }

    /// <summary>
    /// Start the recursion at θ_0 (the network's current parameters). <paramref name="xAll"/> holds the n
    /// training rows first (in training-set order, so batch indices address them), then the test rows.
    /// </summary>
    public Smoother(
        Network net,
        Tensor xAll,
        int trainCount,
        Training.LossKind loss,
        OptimizerSpec spec,
        SmootherMethod method = SmootherMethod.Auto
    )
    {
        if (method == SmootherMethod.Auto)
            method =
                spec.Kind == OptimizerKind.Sgd && spec.WeightDecay == 0
                    ? SmootherMethod.SgdKernel
                    : SmootherMethod.General;
        if (Unsupported(net, loss, spec, method) is { } why)
            throw new NotSupportedException(why);
        if (trainCount < 1 || trainCount > xAll.shape[0])
            throw new ArgumentException($"trainCount {trainCount} must be in 1..{xAll.shape[0]}");
        if (method == SmootherMethod.SgdKernel && !KernelFeatures.Supports(net, out var w))
            throw new NotSupportedException(
                $"SmootherMethod.SgdKernel needs the structured kernel: {w}"
            );
        _net = net;
        _xAll = xAll;
        _n = trainCount;
        _spec = spec;
        Method = method;
        using (torch.no_grad())
            _c = net.Forward(xAll).to_type(ScalarType.Float64).reshape(-1).detach();
        _s = torch.zeros(
            [xAll.shape[0], trainCount],
            dtype: ScalarType.Float64,
            device: net.Device
        );
        _c.DetachFromDisposeScope();
        _s.DetachFromDisposeScope();
        if (method == SmootherMethod.General)
        {
            _ops = net.Parameters.Select(_ => new UpdateOperator(spec)).ToArray();
            _sizes = net.Parameters.Select(p => p.numel()).ToArray();
            _w = net
                .Parameters.Select(p =>
                {
                    var t = torch.zeros(
                        [.. p.shape, trainCount + 1],
                        dtype: ScalarType.Float64,
                        device: net.Device
                    );
                    t.select(-1, trainCount).copy_(p.detach());
                    t.DetachFromDisposeScope();
                    return t;
                })
                .ToArray();
        }
    }

    /// <summary>
    /// One step t of the recursion (A2 or A3), with the kernel/Jacobian at <paramref name="thetaPrev"/> =
    /// θ_{t−1}, the batch <paramref name="batch"/> (training indices), γ_t = <paramref name="lr"/> and, for
    /// Adam/AdamW, the real optimiser's 1/φ_t per tensor (<see cref="Optimizer.LastInvPhi"/>). Rows
    /// <c>S[B]</c>, <c>c[B]</c> are read before they are updated; every row (also outside B) is updated.
    /// </summary>
    public void Step(
        long t,
        double lr,
        IReadOnlyList<Tensor> thetaPrev,
        IReadOnlyList<int> batch,
        IReadOnlyList<Tensor?>? invPhi = null
    )
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var idx = HostArrays.ToTensor(batch.Select(i => (long)i).ToArray(), device: _net.Device);
        int b = batch.Count;
        // R = E_B − S[B, :]  [b, n];   M = [−R | c_B] / b  [b, n+1]  so that G = J_Bᵀ M = [G^S | G^C]
        var r = _s.index_select(0, idx).neg();
        r.index_put_(
            r.index(torch.arange(b, device: _net.Device), idx).PlusConst(1),
            torch.arange(b, device: _net.Device),
            idx
        );
        var cB = _c.index_select(0, idx);
        Tensor upd; // [N, n+1] = J_all [Δ^S | Δ^C]
        if (Method == SmootherMethod.SgdKernel)
        {
            var feats = KernelFeatures.Of(_net, _xAll, thetaPrev);
            var kb = feats.Contract(feats.Rows(idx)).to_type(ScalarType.Float64); // K_{t−1}(X_all, X_B)  [N, b]
            upd = kb.matmul(torch.cat([r, cB.neg().unsqueeze(1)], 1)).TimesInPlace(lr / b);
        }
        else
        {
            var j = Ntk.Jacobian(_net, _xAll, thetaPrev)
                .to_type(ScalarType.Float64)
                .reshape(_xAll.shape[0], -1); // [N, P]
            var m = torch.cat([r.neg(), cB.unsqueeze(1)], 1).div_(b);
            var g = j.index_select(0, idx).t().matmul(m); // [P, n+1]
            var parts = new Tensor[_ops.Length];
            long off = 0;
            for (int i = 0; i < _ops.Length; i++)
            {
                var shape = _w[i].shape;
                var gi = g.narrow(0, off, _sizes[i]).reshape(shape);
                var ip = invPhi?[i]?.to_type(ScalarType.Float64).unsqueeze(-1);
                var delta = _ops[i].Delta(t, lr, gi, _w[i], ip); // the optimiser's own rule, applied to [G^S | G^C]
                _w[i].PlusInPlace(delta);
                parts[i] = delta.reshape(_sizes[i], -1);
                off += _sizes[i];
            }
            upd = j.matmul(torch.cat(parts, 0));
        }
        _s.PlusInPlace(upd.narrow(1, 0, _n));
        _c.PlusInPlace(upd.select(1, _n));
    }

    /// <summary>f̂_t = S_t y + c_t for every tracked point, <c>[N]</c> float64; <paramref name="y"/> is the n training labels.</summary>
    public Tensor Predict(Tensor y) =>
        _s.matmul(y.to_type(ScalarType.Float64).reshape(-1)).Plus(_c);

    /// <summary>(p_train, p_test) of the current smoother (spec §3.4).</summary>
    public (double train, double test) EffectiveParameters() =>
        Smoothing.EffectiveParameters.Split(_s);

    /// <summary>
    /// The recursion's state, for checkpoints: S_t, c_t and, for A2, the per-tensor W_t = [W^S | W^C] and
    /// the mirrored optimiser buffers (momentum / first moment, null before the first step). These are
    /// the live tensors: serialise them before the next <see cref="Step"/>.
    /// </summary>
    internal SmootherState Export() => new(_s, _c, _w, _ops.Select(o => o.Buffer).ToArray());

    /// <summary>
    /// Continue from an exported state (bit for bit: the tensors are copied in). Throws
    /// <see cref="InvalidDataException"/> when its shapes or method do not match this smoother's.
    /// </summary>
    internal void Import(SmootherState state)
    {
        if (
            !state.S.shape.SequenceEqual(_s.shape)
            || !state.C.shape.SequenceEqual(_c.shape)
            || state.W.Length != _w.Length
            || state.Buffers.Length != _ops.Length
            || state.W.Zip(_w).Any(p => !p.First.shape.SequenceEqual(p.Second.shape))
        )
            throw new InvalidDataException(
                "the smoother state does not match this smoother (different model, data or method)"
            );
        using var _ = torch.no_grad();
        _s.copy_(state.S);
        _c.copy_(state.C);
        for (int i = 0; i < _w.Length; i++)
        {
            _w[i].copy_(state.W[i]);
            _ops[i].Restore(state.Buffers[i]);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _s.Dispose();
        _c.Dispose();
        foreach (var w in _w)
            w.Dispose();
    }
}

/// <summary>What <see cref="Smoother.Export"/> returns and <see cref="Smoother.Import"/> takes.</summary>
/// <param name="S">S_t <c>[N, n]</c>.</param>
/// <param name="C">c_t <c>[N]</c>.</param>
/// <param name="W">Per parameter tensor, W_t <c>[..., n+1]</c> (empty for A3).</param>
/// <param name="Buffers">Per parameter tensor, the mirrored optimiser buffer or null (empty for A3).</param>
internal sealed record SmootherState(Tensor S, Tensor C, Tensor[] W, Tensor?[] Buffers);
