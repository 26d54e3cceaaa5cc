using static TorchSharp.torch;

namespace Telescope.Optim;

/// <summary>
/// An optimiser as the training loop sees it: one in-place step on parameters holding their
/// gradients. <see cref="Optimizer"/> (the telescoping engine's) and <see cref="HeavyBall"/> implement it.
/// </summary>
public interface IUpdateRule
{
    /// <summary>Steps taken so far (t of the last step).</summary>
    long Step { get; }

    /// <summary>Step t = <see cref="Step"/> + 1 on <paramref name="parameters"/> with their current <c>.grad</c>; returns γ_t.</summary>
    double Apply(IReadOnlyList<Tensor> parameters);
}
