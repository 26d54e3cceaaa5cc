// Thesis ch. 1 at reduced scale (spec §11): gradient flow of over-parameterised linear models reaches the minimum-norm
// interpolant (R4, App. A.2) — Fig 1.2-style sine-basis fits (p = 10, n = 4) and the GF trajectory to it.
// The thesis uses α = ±4; there FFᵀ has condition number ~1e16 and RK4 gradient flow to the horizon 30/λ_min would
// need ~1e17 steps, so the GF-verified fits here use α = ±1 (same benign/malignant contrast, milder spectrum).
#load "Common.fsx"

open System
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Common

let config =
    [ "p", "10"; "n", "4"; "alpha", "-1 1"; "target", "sin(2 pi x)"; "seed", "5" ]

header "ch1: minimum-norm interpolation by gradient flow" config

/// Features φ_k(x) = k^α √2 sin(2πkx), k = 1..p.
let features alpha p (x: float) =
    [|
        for k in 1..p -> float k ** alpha * sqrt 2.0 * sin (2.0 * Math.PI * float k * x)
    |]

let rng = Rng(5)
let xs = Array.init 4 (fun _ -> rng.Uniform())
let target x = sin (2.0 * Math.PI * x)

let fitRows =
    [
        for i, alpha in List.indexed [ -1.0; 1.0 ] do
            let f = Matrix<float>.Build.DenseOfRowArrays(xs |> Array.map (features alpha 10))
            let y = Vector<float>.Build.DenseOfArray(xs |> Array.map target)
            let pr = MinNormProblem(f, y, Vector<float>.Build.Dense(10))
            let wMn = MinNorm.PseudoInverseSolution pr
            let wGf = (MinNorm.Simulate pr).Invoke(MinNorm.Horizon pr)
            // the fitted function on a grid: closed form (pseudo-inverse) vs GF end point
            for g in 0..100 do
                let x = float g / 100.0
                let phi = Vector<float>.Build.DenseOfArray(features alpha 10 x)
                yield point "fitted_function" x i (phi.DotProduct wMn) (phi.DotProduct wGf)
    ]

// the GF trajectory of a random over-parameterised problem vs its closed form w(t) (norm of w)
let pr = MinNormProblem.Random(5, 12, 0.0, 5)
let cf, sim = MinNorm.Trajectory pr, MinNorm.Simulate pr
let h = MinNorm.Horizon pr

let trajRows =
    [
        for n in 0..60 do
            let t = h * float n / 60.0
            yield point "norm_w" t 0 ((cf.Invoke t).L2Norm()) ((sim.Invoke t).L2Norm())

            yield
                point
                    "distance_to_pinv"
                    t
                    1
                    ((cf.Invoke t - MinNorm.PseudoInverseSolution pr).L2Norm())
                    ((sim.Invoke t - MinNorm.PseudoInverseSolution pr).L2Norm())
    ]

save "ch1_min_norm_fits" config 5L "x (fits, curve 0: alpha = -1, curve 1: alpha = 1)" false false fitRows
save "ch1_min_norm_flow" config 5L "t (eta*steps)" false false trajRows

// Fig 1.3/1.5-style learnability (R5): which eigen-components a ridgeless min-norm fit learns, ρ_k/(ρ_k + κ) against
// Monte Carlo fits with a Gaussian design, for the thesis' two-level spectrum (ρ_tail = n/(p − d): κ ≈ 1, top learned
// only by half — Errata E4), the corrected small-tail spectrum and a power law.
let learnRows =
    [
        let d, n, p = 5, 100, 2000

        for curve, rho in
            [
                1, Eigenlearning.TwoLevel(d, p, float n / float (p - d))
                2, Eigenlearning.TwoLevel(d, p, 0.05 * float (n - d) / float (p - d))
                3, Eigenlearning.PowerLaw(p, 1.5)
            ] do
            let pr = LearnabilityProblem(rho, n)
            let predicted = Eigenlearning.Learnability pr
            let ks = [| 1; 2; 3; 5; 6; 8; 10; 20; 50; 100; 200 |]
            let struct (mean, _) = Eigenlearning.Simulate(pr, ks, 20, 5 + curve)

            for j, k in Array.indexed ks do
                yield point "learnability_L_k" (float k) curve predicted[k - 1] mean[j]
    ]

save
    "ch1_learnability"
    [ "d", "5"; "n", "100"; "p", "2000"; "trials", "20"; "curves", "1 thesis tail, 2 small tail, 3 power law 1.5" ]
    6L
    "k (eigen-feature index)"
    true
    false
    learnRows
