using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A layer as a pure function of its input and an explicit parameter list, with a forward-mode
/// (tangent) rule beside its forward map — the pair the telescoping recorder needs:
/// <c>z = g(a; p)</c> and <c>ż = ∂g/∂a · ȧ + ∂g/∂p · ṗ</c>. Parameters are passed in, never stored,
/// so the same layer can be evaluated at θ_{t−1}, θ_t or θ_0.
/// Shapes: the input is a batch <c>[N, …]</c>; the output <c>[N, …]</c>.
/// </summary>
public interface ILayer
{
    /// <summary>Shapes of this layer's parameter tensors, in order (may be empty).</summary>
    IReadOnlyList<long[]> ParameterShapes { get; }

    /// <summary>Initial parameter values as flat row-major arrays (seeded; α scales every entry).</summary>
    double[][] Initialise(Rng rng, double alpha);

    /// <summary>z = g(a; p).</summary>
    Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p);

    /// <summary>
    /// Forward map and its directional derivative: returns <c>(z, ż)</c> with
    /// <c>ż = ∂g/∂a·ȧ + ∂g/∂p·ṗ</c>; <paramref name="da"/> null means ȧ = 0, and a null ż means ż = 0.
    /// </summary>
    (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    );

    /// <summary>A short description, for run.json (for example <c>Dense(64→200)</c>).</summary>
    string Describe();
}
