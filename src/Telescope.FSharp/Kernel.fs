namespace Telescope.FSharp

open TorchSharp
open Telescope.Kernels
open Telescope.Models
open Telescope.Smoothing

/// Empirical neural tangent kernels of a network at its current parameters θ (for a trained one, θ_T from
/// `Train.runKeeping`): K(x, x′) = Σ_o ∇_θ f_o(x)ᵀ ∇_θ f_o(x′), the kernel of the telescoping lens's per-step
/// increments ∇f_{θ_{t−1}}(x)ᵀΔθ_t (spec §0, §1.5). Inputs are `[N, features]` tensors on the network's device.
[<RequireQualifiedAccess>]
module Kernel =

    /// K(X_a, X_b) `[N_a, N_b]`, summed over outputs, by the structured per-layer method (δ_l ⊗ a_{l−1}) when every
    /// layer supports it, else explicit Jacobians.
    let ntk (net: Network) (xa: torch.Tensor) (xb: torch.Tensor) = Ntk.Compute(net, xa, xb)

    /// K(X_a, X_b) by a chosen method (`NtkMethod.Structured`, `Jacobian`, `PerExample`): all exact, for cross-checks
    /// and timing.
    let ntkBy (method: NtkMethod) (net: Network) (xa: torch.Tensor) (xb: torch.Tensor) =
        Ntk.Compute(net, xa, xb, method = method)

    /// The per-example Jacobian `[N, k, P]`: row `[i, o]` is ∇_θ f_o(x_i)ᵀ, parameters in `Network.Parameters` order.
    let jacobian (net: Network) (x: torch.Tensor) = Ntk.Jacobian(net, x)

/// Effective parameters of a linear smoother f̂(x) = s(x)·y + c(x) (spec §3.4): p(I₀) = (n/|I₀|) Σ_{j∈I₀} ‖s(x_j)‖²,
/// with n the number of training labels (not trace(S)).
[<RequireQualifiedAccess>]
module Smoother =

    /// p over the smoother rows `[|I₀|, n]` of the points I₀.
    let effectiveParameters (rows: torch.Tensor) (n: int) = EffectiveParameters.Of(rows, n)

    /// (p_train, p_test) of a stacked smoother `S [N, n]` whose first n rows are the training points.
    let effectiveParametersSplit (s: torch.Tensor) =
        let struct (train, test) = EffectiveParameters.Split s
        train, test
