using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A layer as a pure function of its input and an explicit parameter list, optionally with a
/// forward-mode (tangent) rule beside its forward map — the pair the telescoping recorder needs:
/// <c>z = g(a; p)</c> and <c>ż = ∂g/∂a · ȧ + ∂g/∂p · ṗ</c>. Parameters are passed in, never stored,
/// so the same layer can be evaluated at θ_{t−1}, θ_t or θ_0.
/// Shapes: the input is a batch <c>[N, …]</c>; the output <c>[N, …]</c>.
/// <para>
/// Only <see cref="ParameterShapes"/>, <see cref="Initialise"/>, <see cref="Forward"/> and
/// <see cref="Describe"/> are required: a layer that does not implement <see cref="Tangent"/> gets the
/// generic rule (<see cref="Tangents.GenericTangent"/>, the double-backward trick on this layer alone),
/// which is exact and works everywhere (training, f̃, f_lin, kernels); a hand-written rule is the fast
/// path. See docs/own-layer.md.
/// </para>
/// <para>
/// A layer whose rows do not interact may be called from several threads at once on disjoint row blocks
/// (<see cref="Tensors.RowWorkers"/>, at more than one intra-op thread), so it keeps no mutable state between calls.
/// </para>
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
    /// Default: the generic rule (<see cref="Tangents.GenericTangent.Of"/>: double backward through
    /// <see cref="Forward"/>; exact, about 3–4 passes of this layer).
    /// </summary>
    (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    ) => Tangents.GenericTangent.Of(this, a, da, p, dp);

    /// <summary>
    /// Whether an output row depends on other input rows (batch-statistics <see cref="BatchNorm"/>). Such a
    /// network is a function of the whole batch: JVPs are taken over the batch in one piece (never chunked or
    /// per example) and the structured kernel refuses it. Default false.
    /// </summary>
    bool RowsInteract => false;

    /// <summary>A short description, for run.json (for example <c>Dense(64→200)</c>).</summary>
    string Describe();
}
