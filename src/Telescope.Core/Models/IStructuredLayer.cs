using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A layer that knows the structure of its own per-example parameter gradient, so the structured
/// tangent kernel (<see cref="Kernels.NtkMethod.Structured"/>) can contract it without the full
/// Jacobian (spec §1.5). <see cref="Dense"/> and <see cref="Conv2d"/> are handled by the kernel code
/// directly; new parameterised layers implement this interface (for example <see cref="QuadraticUnits"/>).
/// Shapes: <c>a</c> is the layer input <c>[N, …in]</c>; <c>delta</c> is the back-propagated signal
/// <c>∂f_o/∂z</c> at the layer output, <c>[N, k, …out]</c> (one slice per network output o).
/// </summary>
public interface IStructuredLayer
{
    /// <summary>Per-example gradient of every output with respect to this layer's parameters, <c>[N, k, P_layer]</c>, flattened in parameter order (row-major per tensor).</summary>
    Tensor PerExampleGradient(Tensor a, Tensor delta, ReadOnlySpan<Tensor> p);

    /// <summary>
    /// This layer's term of the tangent kernel, <c>Σ_{params} ∂f(A)/∂p · ∂f(B)/∂p</c>, computed in factorised
    /// form: <c>[N_a, N_b]</c> traced over outputs when <paramref name="trace"/>, else <c>[N_a, N_b, k, k]</c>.
    /// Null (the default) falls back to contracting <see cref="PerExampleGradient"/>.
    /// </summary>
    Tensor? KernelTerm(
        Tensor aA,
        Tensor deltaA,
        Tensor aB,
        Tensor deltaB,
        ReadOnlySpan<Tensor> p,
        bool trace
    ) => null;
}
