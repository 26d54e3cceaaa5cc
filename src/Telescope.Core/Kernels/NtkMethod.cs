namespace Telescope.Kernels;

/// <summary>
/// How to compute the empirical tangent kernel <c>K_θ(x, x′) = ∇f_θ(x)ᵀ∇f_θ(x′)</c>. All three are exact
/// (they agree to round-off; T8); they differ in cost and in which models they accept.
/// Symbols: N_a, N_b rows, k outputs, P parameters, w = Σ layer widths.
/// </summary>
public enum NtkMethod
{
    /// <summary>
    /// Per-layer contractions of activations and back-propagated signals (spec §1.5; what neural-tangents
    /// calls structured derivatives): for a dense layer <c>(Δ^A Δ^Bᵀ) ⊙ (A^A A^Bᵀ + 1)</c>, for a
    /// convolution and for <see cref="Models.IStructuredLayer"/>s their per-layer per-example gradients.
    /// Cost about <c>2 N_a N_b Σ_l (k·w_l + w_{l−1})</c> flops plus k backward passes; memory
    /// <c>O((N_a + N_b)·k·w + N_a N_b)</c>; the full Jacobian is never formed. The default. A parameterised
    /// layer that is not Dense, Conv2d or an IStructuredLayer gets its term from its per-example gradient by
    /// autograd (one backward of that layer per row and output). Throws NotSupportedException when rows
    /// interact (batch-statistics BatchNorm).
    /// </summary>
    Structured,

    /// <summary>
    /// Generic: the explicit Jacobian <c>J ∈ R^{N·k×P}</c> by one autograd backward per example and output,
    /// then one GEMM <c>J_A J_Bᵀ</c> (A in row chunks). Any differentiable model. Cost
    /// <c>(N_a + N_b) k</c> backward passes + <c>2 N_a N_b k² P</c> flops; memory <c>(N_b + chunk)·k·P</c>
    /// numbers, which is what makes it impractical for large N·P. The test oracle.
    /// </summary>
    Jacobian,

    /// <summary>
    /// Per-example loop with no Jacobian stored: for each row of A and output o, one backward pass gives
    /// <c>g = ∇f_o(x_i)</c>, then a batched forward-mode JVP over B gives the kernel row <c>J_B g</c>.
    /// Memory <c>O(P + N_b k)</c>; cost <c>N_a k</c> × (backward + JVP over N_b rows). Slow; for
    /// benchmarks and as a memory-frugal fallback.
    /// </summary>
    PerExample,
}

/// <summary>What to do with k &gt; 1 outputs. For k = 1 both give the same numbers; only the shape differs.</summary>
public enum NtkOutputs
{
    /// <summary>Sum over outputs, <c>Σ_o ∇f_o(x)ᵀ∇f_o(x′)</c>: shape <c>[N_a, N_b]</c> (neural-tangents' default <c>trace_axes=(-1,)</c>). Cheapest.</summary>
    Trace,

    /// <summary>Every output pair, <c>K[i, j, o, o′] = ∇f_o(x_i)ᵀ∇f_{o′}(x_j)</c>: shape <c>[N_a, N_b, k, k]</c>; k² times the memory of Trace.</summary>
    Full,
}
