using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Optim;

/// <summary>
/// Heavy-ball SGD in PyTorch's in-place form (<c>torch.optim.SGD(momentum: μ)</c>, dampening 0):
/// <c>v ← μv + G</c>, then <c>θ ← θ − γ_t v</c> as one fused <c>add_(v, α = −γ_t)</c>, with γ_t from a
/// <see cref="LearningRateSchedule"/>. The update is the same as <see cref="Optimizer"/>'s
/// <see cref="OptimizerKind.Momentum"/>, but that one forms <c>Δθ = −γ_t v</c> first (the smoother
/// needs Δ) and then adds it, which rounds twice; this one rounds once, as the lmc study always has.
/// </summary>
public sealed class HeavyBall : IUpdateRule, IDisposable
{
    private readonly double _rate,
        _momentum;
    private readonly LearningRateSchedule _schedule;
    private readonly Tensor[] _velocity;

    /// <summary>A rule with zero velocity for parameters shaped like <paramref name="parameters"/>.</summary>
    public HeavyBall(
        double rate,
        double momentum,
        LearningRateSchedule schedule,
        IReadOnlyList<Tensor> parameters
    )
    {
        if (!(rate > 0) || double.IsInfinity(rate))
            throw new ArgumentException(
                $"learning rate must be a positive finite number, got {rate}"
            );
        if (!(momentum >= 0 && momentum < 1))
            throw new ArgumentException($"momentum must be in [0, 1), got {momentum}");
        _rate = rate;
        _momentum = momentum;
        _schedule = schedule;
        _velocity = parameters.Select(p => torch.zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    /// <inheritdoc />
    public long Step { get; private set; }

    /// <summary>The velocity buffers (the rule's state).</summary>
    public IReadOnlyList<Tensor> Velocity => _velocity;

    /// <summary>Detached copies of the velocity (to restore later).</summary>
    public Tensor[] SnapshotVelocity() =>
        _velocity.Select(v => v.detach().clone().DetachFromDisposeScope()).ToArray();

    /// <summary>Continue from step <paramref name="step"/> with copies of <paramref name="velocity"/>.</summary>
    public void Restore(long step, IReadOnlyList<Tensor> velocity)
    {
        if (velocity.Count != _velocity.Length)
            throw new ArgumentException("velocity does not match the parameters");
        Step = step;
        for (int i = 0; i < _velocity.Length; i++)
        {
            _velocity[i].Dispose();
            _velocity[i] = velocity[i].clone().DetachFromDisposeScope();
        }
    }

    /// <inheritdoc />
    public double Apply(IReadOnlyList<Tensor> parameters)
    {
        Step++;
        double lr = _schedule.RateAt(_rate, Step);
        using var _ = torch.no_grad();
        for (int i = 0; i < parameters.Count; i++)
        {
            var g = parameters[i].grad!;
            _velocity[i].TimesInPlace(_momentum).PlusInPlace(g);
            parameters[i].PlusScaledInPlace(_velocity[i], -lr);
        }
        return lr;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var v in _velocity)
            v.Dispose();
    }
}
