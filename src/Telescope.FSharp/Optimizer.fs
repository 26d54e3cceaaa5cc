namespace Telescope.FSharp

open Telescope.Optim

/// Optimiser configurations (the C# `OptimizerSpec`, immutable; PyTorch semantics, documented on
/// `OptimizerKind`). The learning rate γ comes last so that a grid reads
/// `[ 1e-2; 1e-1 ] |> List.map Optimizer.sgd`.
[<RequireQualifiedAccess>]
module Optimizer =

    let private copy (s: OptimizerSpec) kind lr wd mu b1 b2 eps warmup =
        ignore s
        OptimizerSpec(kind, lr, wd, mu, b1, b2, eps, warmup)

    /// Plain SGD: Δθ = −γ G.
    let sgd (lr: float) = OptimizerSpec(OptimizerKind.Sgd, lr)

    /// Heavy-ball momentum μ (dampening 0).
    let momentum (mu: float) (lr: float) =
        OptimizerSpec(OptimizerKind.Momentum, lr, Momentum = mu)

    /// Nesterov momentum μ.
    let nesterov (mu: float) (lr: float) =
        OptimizerSpec(OptimizerKind.Nesterov, lr, Momentum = mu)

    /// Adam (β₁ = 0.9, β₂ = 0.999, ε = 1e-8).
    let adam (lr: float) = OptimizerSpec(OptimizerKind.Adam, lr)

    /// AdamW with decoupled weight decay λ.
    let adamw (weightDecay: float) (lr: float) =
        OptimizerSpec(OptimizerKind.AdamW, lr, WeightDecay = weightDecay)

    /// Set the (coupled, except for AdamW) weight decay λ.
    let withWeightDecay (weightDecay: float) (spec: OptimizerSpec) =
        copy spec spec.Kind spec.LearningRate weightDecay spec.Momentum spec.Beta1 spec.Beta2 spec.Epsilon spec.Warmup

    /// Set Adam's (β₁, β₂).
    let withBetas (beta1: float, beta2: float) (spec: OptimizerSpec) =
        copy spec spec.Kind spec.LearningRate spec.WeightDecay spec.Momentum beta1 beta2 spec.Epsilon spec.Warmup

    /// Linear warm-up over the first `steps` steps: γ_t = γ·min(1, t/steps).
    let withWarmup (steps: int) (spec: OptimizerSpec) =
        copy spec spec.Kind spec.LearningRate spec.WeightDecay spec.Momentum spec.Beta1 spec.Beta2 spec.Epsilon steps

    /// Set the learning rate γ.
    let withLearningRate (lr: float) (spec: OptimizerSpec) =
        copy spec spec.Kind lr spec.WeightDecay spec.Momentum spec.Beta1 spec.Beta2 spec.Epsilon spec.Warmup

    /// Every problem with the configuration (empty when valid).
    let problems (spec: OptimizerSpec) = spec.Problems() |> List.ofSeq

    /// `Ok spec` when valid, else `Error problems`.
    let validate (spec: OptimizerSpec) =
        match problems spec with
        | [] -> Ok spec
        | ps -> Error ps

    /// The short name used in tables: sgd, momentum, nesterov, ema, adam, adamw.
    let name (spec: OptimizerSpec) = spec.Name
