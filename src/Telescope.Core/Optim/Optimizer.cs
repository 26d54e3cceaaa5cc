using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Optim;

/// <summary>
/// The optimiser that trains a network: per parameter tensor, Adam's second moment
/// <c>v_t = β₂v + (1−β₂)G′⊙G′</c> and <c>φ_t = √v_t/√(1−β₂ᵗ) + ε</c> (the only non-linear state,
/// computed here from the real gradient), then the linear <see cref="UpdateOperator"/> gives Δ and
/// <c>θ ← θ + Δ</c>. Matches TorchSharp's SGD/Adam/AdamW step for step (tested). The rate of step t is
/// <see cref="OptimizerSpec.RateAt"/> (γ with its warm-up) through the <see cref="Schedule"/>.
/// </summary>
public sealed class Optimizer : IUpdateRule, IDisposable
{
    private readonly UpdateOperator[] _ops;
    private readonly Tensor?[] _v;
    private readonly LearningRateSchedule? _schedule;

    /// <summary>The configuration.</summary>
    public OptimizerSpec Spec { get; }

    /// <summary>The learning-rate schedule (constant when none was given).</summary>
    public LearningRateSchedule Schedule => _schedule ?? LearningRateSchedule.Constant;

    /// <summary>Steps taken so far (t of the last step).</summary>
    public long Step { get; private set; }

    /// <summary>1/φ_t per parameter tensor from the last step (Adam/AdamW), for the smoother.</summary>
    public Tensor?[] LastInvPhi { get; }

    /// <summary>An optimiser for parameters shaped like <paramref name="parameterCount"/> tensors, with an optional schedule.</summary>
    public Optimizer(OptimizerSpec spec, int parameterCount, LearningRateSchedule? schedule = null)
    {
        var problems = spec.Problems().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
        Spec = spec;
        _schedule = schedule;
        _ops = Enumerable.Range(0, parameterCount).Select(_ => new UpdateOperator(spec)).ToArray();
        _v = new Tensor?[parameterCount];
        LastInvPhi = new Tensor?[parameterCount];
    }

    /// <summary>The per-tensor operators (their buffers are the momentum / first-moment state).</summary>
    public IReadOnlyList<UpdateOperator> Operators => _ops;

    /// <summary>Second-moment buffers (Adam/AdamW), for checkpoints.</summary>
    public IReadOnlyList<Tensor?> SecondMoments => _v;

    /// <summary>Restore state (checkpoints).</summary>
    public void Restore(
        long step,
        IReadOnlyList<Tensor?> buffers,
        IReadOnlyList<Tensor?> secondMoments
    )
    {
        Step = step;
        for (int i = 0; i < _ops.Length; i++)
        {
            _ops[i].Restore(buffers[i]);
            _v[i]?.Dispose();
            _v[i] = secondMoments[i]?.detach().clone();
            _v[i]?.DetachFromDisposeScope();
        }
    }

    /// <summary>One step on <paramref name="parameters"/> with their current <c>.grad</c>; returns γ_t.</summary>
    public double Apply(IReadOnlyList<Tensor> parameters)
    {
        Step++;
        long t = Step;
        double lr = Spec.RateAt(t);
        if (_schedule is not null)
            lr = _schedule.RateAt(lr, t);
        using var _ = torch.no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            var p = parameters[i];
            var g = p.grad ?? torch.zeros_like(p);
            Tensor? invPhi = null;
            if (Spec.Kind is OptimizerKind.Adam or OptimizerKind.AdamW)
            {
                var gp =
                    Spec.Kind == OptimizerKind.Adam && Spec.WeightDecay != 0
                        ? g.PlusScaled(p, Spec.WeightDecay)
                        : g;
                var v = _v[i] is null
                    ? gp.mul(gp).TimesInPlace(1 - Spec.Beta2)
                    : _v[i]!.Times(Spec.Beta2).AddProductInPlace(gp, gp, 1 - Spec.Beta2);
                v = v.detach();
                v.DetachFromDisposeScope();
                _v[i]?.Dispose();
                _v[i] = v;
                var denom = v.sqrt()
                    .DivideInPlace(Math.Sqrt(1 - Math.Pow(Spec.Beta2, t)))
                    .PlusConstInPlace(Spec.Epsilon);
                invPhi = denom.reciprocal();
                LastInvPhi[i]?.Dispose();
                LastInvPhi[i] = invPhi.detach().clone();
                LastInvPhi[i]!.DetachFromDisposeScope();
            }
            var delta = _ops[i].Delta(t, lr, g, p, invPhi);
            p.PlusInPlace(delta);
        }
        return lr;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in _v)
            v?.Dispose();
        foreach (var v in LastInvPhi)
            v?.Dispose();
    }
}
