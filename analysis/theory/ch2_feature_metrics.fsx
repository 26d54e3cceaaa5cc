// Thesis ch. 2 at reduced scale (spec §11, R6–R8): feature quality and utilization, effective dimension, and the
// minimum-projection (MP) operator's neural collapse — with seeded synthetic class tasks in place of ResNet/CIFAR
// (not feasible here; spec §11 lists the substitutes).
//  1. Utilization during training (Fig 2.1-style): a linear read-out trained by gradient flow on fixed features of a
//     C-class task; each output's eigen-coordinates follow R1, so the utilization Q̂_k(t) of every eigen-feature is a
//     closed form, checked against RK4. Quality Q*_k (both forms of Eq 2.3) is the end point's target.
//  2. Effective dimension (Fig 3.5/3.6-style): D_eff(ρ) and D_eff(Q̂) as the features become class-informative;
//     D_eff(Q̂) → about C for classification.
//  3. MP operator ⇒ NC (Prop. 2.5.1–2.5.2, Fig 2.3-style): features interpolated from random to MP; κ_CKA, within-
//     class scatter (NC1) and the centred-mean cosine (NC2) reach the MP values exactly at the MP end.
#load "Common.fsx"

open System
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Common

let classes, perClass, p, seed = 4, 40, 12, 7

let config =
    [
        "C", string classes
        "m", string perClass
        "p", string p
        "eta", "1"
        "seed", string seed
    ]

header "ch2: feature quality, utilization, effective dimension, MP operator and neural collapse" config

// 1. utilization over training: outputs F̂_t = Φ W_t, W_0 = 0, gradient flow on ½E‖ΦW − Y‖²
let task = ClassTask.Random(classes, perClass, p, 2.0, seed)
let ef = EigenFeatures.Of task.Phi
let y = task.Indicators()
let cStar = ef.E.TransposeThisAndMultiply y / float task.N // c*_{k,j} = ⟨e_k|f*_j⟩

/// Closed form (R1 per output, w(0) = 0): F̂_t = Σ_k e_k c*_k (1 − exp(−ρ_k t)).
let closedOutputs t =
    let c =
        Matrix<float>.Build.Dense(p, classes, fun k j -> cStar[k, j] * (1.0 - exp (-ef.Rho[k] * t)))

    ef.E * c

let flows =
    [|
        for j in 0 .. classes - 1 ->
            LinearModel.Flow(LinearModelProblem(task.Phi, y.Column j, Vector<float>.Build.Dense p, 1.0))
    |]

let simulatedOutputs t =
    Matrix<float>.Build.DenseOfColumnVectors [| for f in flows -> task.Phi * f.Invoke t |]

let slowest = 1.0 / ef.Rho[p - 1]
let times = Num.LogSpace(0.01 * slowest, 5.0 * slowest, 30)

let utilizationRows =
    [
        for t in times do
            let uc = FeatureMetrics.Utilization(ef, closedOutputs t)
            let us = FeatureMetrics.Utilization(ef, simulatedOutputs t)

            for k in [ 0; 1; 2; 3; 5; 8 ] do
                yield point "utilization_Q_hat_k" t (k + 1) uc[k] us[k]
    ]

let quality =
    let q1 = FeatureMetrics.Quality(ef, y)
    let q2 = FeatureMetrics.QualityByProjector(ef, y)

    [
        for k in 0 .. p - 1 -> point "quality_Q_star_k (projector vs sum form)" (float (k + 1)) 0 q2[k] q1[k]
    ]

// 2. effective dimension as the features become class-informative
let deffRows =
    [
        for signal in [ 0.0; 0.25; 0.5; 1.0; 1.5; 2.0; 3.0; 4.0; 6.0 ] do
            let t = ClassTask.Random(classes, perClass, p, signal, seed)
            let e = EigenFeatures.Of t.Phi
            let u = FeatureMetrics.Utilization(e, t.FittedOutputs())
            // the MP/classification expectation: C effective directions used by the outputs
            yield point "D_eff_of_utilization" signal 1 (float classes) (EffectiveDimension.Of u)
            yield point "D_eff_of_rho" signal 2 (float p) (EffectiveDimension.Of(e.Rho.ToArray()))
    ]

// 3. features interpolated from random to MP: Φ_λ = (1 − λ)Φ_random + λΦ_MP
let a1, a2, dim = 0.7, 1.3, classes + 4
let labels = Array.init (classes * perClass) (fun i -> i % classes)
let mp = MinimumProjection.Features(labels, classes, a1, a2, dim, seed)
let random = LinAlg.Gaussian(Rng(seed + 1), labels.Length, dim)
let etfCos = -1.0 / float (classes - 1)

let collapseRows =
    [
        for i in 0..20 do
            let lam = float i / 20.0
            let phi = (1.0 - lam) * random + lam * mp
            let means = MinimumProjection.ClassMeans(phi, labels, classes)
            let g = MinimumProjection.CentredMeanGram means
            let scatter = MinimumProjection.WithinClassScatter(phi, labels, means)

            let cosines =
                [
                    for a in 0 .. classes - 1 do
                        for b in a + 1 .. classes - 1 -> g[a, b] / sqrt (g[a, a] * g[b, b])
                ]

            yield point "kappa_CKA" lam 1 0.0 (MinimumProjection.KappaCka(phi, labels, classes, a1, a2))
            yield point "NC1_within_class_scatter" lam 2 0.0 scatter
            yield point "NC2_mean_centred_cosine" lam 3 etfCos (List.average cosines)
    ]

save
    "ch2_utilization_dynamics"
    config
    (int64 seed)
    "t (gradient-flow time, eta = 1)"
    true
    false
    (utilizationRows @ quality)

save "ch2_effective_dimension" config (int64 seed) "class signal (0: random features)" false false deffRows
save "ch2_mp_neural_collapse" config (int64 seed) "lambda (0: random features, 1: MP features)" false false collapseRows
