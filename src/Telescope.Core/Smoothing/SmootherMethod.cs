namespace Telescope.Smoothing;

/// <summary>How the smoother recursion (spec §3) is carried. Both are exact for the same trajectory.</summary>
public enum SmootherMethod
{
    /// <summary><see cref="SgdKernel"/> when the optimiser is plain SGD without weight decay, else <see cref="General"/>.</summary>
    Auto,

    /// <summary>
    /// Algorithm A2 (spec §3.2): the affine decomposition <c>[Q^S | Q^C]</c> of every parameter-space
    /// quantity is pushed through the same <see cref="Optim.UpdateOperator"/> that trains the network
    /// (momentum, coupled L2, Adam/AdamW with φ_t read from the real run; T16), then
    /// <c>[S | c] += J_{t−1}(X_all) [Δ^S | Δ^C]</c>. Needs the explicit Jacobian <c>[N, P]</c> and
    /// <c>O(P·n)</c> state per parameter (weights, plus the momentum buffer): about
    /// <c>2NPn + 2bPn</c> flops per step. Only feasible on CPU for small P·n.
    /// </summary>
    General,

    /// <summary>
    /// Algorithm A3 (spec §3.3), plain SGD only: <c>S += (γ_t/b_t) K_{t−1}(X_all, X_B)(E_B − S[B])</c>,
    /// <c>c −= (γ_t/b_t) K_{t−1}(X_all, X_B) c[B]</c> with the structured kernel; no Jacobian, no P×n
    /// state: <c>O(N b w + N b n)</c> flops per step.
    /// </summary>
    SgdKernel,
}
