using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Optim;

/// <summary>
/// The update operator of an optimiser: with the non-linear state (Adam's φ_t) held fixed, the step
/// <c>Δθ_t</c> is a linear function of the gradient G and the weights W = θ_{t−1} (spec §2.1, §3.2).
/// This one class is used both by the real optimiser (tensors shaped like a parameter) and by the
/// smoother's affine decomposition (the same tensors with a trailing column dimension for
/// <c>[Q^S | Q^C]</c>), so the decomposition mirrors real training line by line (spec T16).
/// </summary>
public sealed class UpdateOperator
{
    private readonly OptimizerSpec _spec;
    private Tensor? _buffer; // momentum v, or first moment m

    /// <summary>An operator with empty state (v_0 = 0, m_0 = 0).</summary>
    public UpdateOperator(OptimizerSpec spec) => _spec = spec;

    /// <summary>The momentum / first-moment buffer (null before the first step).</summary>
    public Tensor? Buffer => _buffer;

    /// <summary>Restore the buffer (checkpoints).</summary>
    public void Restore(Tensor? buffer)
    {
        _buffer?.Dispose();
        _buffer = buffer?.detach().clone();
        _buffer?.DetachFromDisposeScope();
    }

    /// <summary>
    /// Δ_t for step <paramref name="t"/> (1-based) with rate γ_t = <paramref name="lr"/>, gradient
    /// <paramref name="g"/>, weights <paramref name="w"/> and, for Adam/AdamW, the elementwise
    /// <paramref name="invPhi"/> = 1/φ_t (broadcast over trailing columns). Updates the state.
    /// </summary>
    public Tensor Delta(long t, double lr, Tensor g, Tensor w, Tensor? invPhi = null)
    {
        var s = _spec;
        bool coupled = s.WeightDecay != 0 && s.Kind != OptimizerKind.AdamW;
        var gp = coupled ? g.PlusScaled(w, s.WeightDecay) : g;
        Tensor delta;
        switch (s.Kind)
        {
            case OptimizerKind.Sgd:
                delta = gp.Times(-lr);
                break;
            case OptimizerKind.Momentum:
            case OptimizerKind.Nesterov:
                SetBuffer(_buffer is null ? gp.clone() : _buffer.Times(s.Momentum).PlusInPlace(gp));
                delta =
                    s.Kind == OptimizerKind.Momentum
                        ? _buffer!.Times(-lr)
                        : gp.PlusScaled(_buffer!, s.Momentum).TimesInPlace(-lr);
                break;
            case OptimizerKind.EmaMomentum:
                SetBuffer(Ema(gp, s.Beta1));
                delta = _buffer!.Times(-lr / (1 - Math.Pow(s.Beta1, t)));
                break;
            default: // Adam, AdamW
                if (invPhi is null)
                    throw new ArgumentNullException(
                        nameof(invPhi),
                        "Adam/AdamW need 1/φ_t from the real optimiser state"
                    );
                SetBuffer(Ema(gp, s.Beta1));
                delta = _buffer!.mul(invPhi).TimesInPlace(-lr / (1 - Math.Pow(s.Beta1, t)));
                if (s.Kind == OptimizerKind.AdamW && s.WeightDecay != 0)
                    delta = delta.MinusInPlace(w.Times(lr * s.WeightDecay));
                break;
        }
        return delta;
    }

    private Tensor Ema(Tensor gp, double beta1) =>
        _buffer is null
            ? gp.Times(1 - beta1)
            : _buffer.Times(beta1).PlusScaledInPlace(gp, 1 - beta1);

    private void SetBuffer(Tensor b)
    {
        var old = _buffer;
        _buffer = b.detach();
        _buffer.DetachFromDisposeScope();
        old?.Dispose();
    }
}
