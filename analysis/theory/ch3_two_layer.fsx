// Thesis ch. 3 at reduced scale (spec §11): Fig 3.3 linear vs diagonal (two-layer) modes, Fig 3.4 stage-like
// multilinear dynamics (α = 0.6, S = 5), and the saturation/GD-stability facts of R10–R12.
#load "Common.fsx"

open Telescope.Theory
open Common

let config = [ "S", "5"; "alpha", "0.6"; "n_s", "5"; "R0", "1e-4"; "eta", "1" ]
header "ch3: sigmoidal (layerwise) vs exponential (linear) modes; stage-like multilinear learning" config
let s, r0 = 5.0, 1e-4
let freq = SkillFrequencies(0.6, 5)

// Fig 3.3: modes with intensities λ_k = P_s(k): diagonal network (sigmoid, R10) vs linear model (exponential, Eq 3.10)
let horizon = 1.2 * Scaling.EmergenceTime(freq, 5, s, r0, 1.0)
let ts = [ for i in 0..120 -> horizon * float i / 120.0 ]

let rows =
    [
        for k in 1..5 do
            let m = BalancedMode(s, freq[k], r0)
            let cf, sim = fn (Sigmoid.Balanced m), fn (Sigmoid.SimulateBalanced m)
            let lin = fn (Sigmoid.LinearModel m)

            for t in ts do
                yield point "R_diagonal_over_S" t k (cf t / s) (sim t / s)
                // linear model θ_k: closed form Eq 3.10 vs its own RK4 (dθ/dt = −λ(θ − S))
                let thetaSim =
                    (Rk4.Integrate((fun _ y dy -> dy[0] <- -freq[k] * (y[0] - s)), [| r0 |], max t 1e-12, 200))[0]

                yield point "theta_linear_over_S" t k (lin t / s) (thetaSim / s)
    ]

// Fig 3.4: multilinear model trained by GD on sampled sparse parity; loss drops of P_s(k)S²/2 in frequency order
let task = SparseParity(freq, 15, 3, s)
let data = task.Sample(4000, Rng(123))
let counts = task.Counts data
let eta = 0.02
let steps = 12000
let hist = Multilinear.TrainGd(task, data, 5, 0.01, eta, steps)
let cf = fn (Multilinear.SkillStrengths(counts, data.Length, 5, s, r0, eta))
let loss = fn (Multilinear.Loss(freq, counts, data.Length, 5, s, r0, eta))

let rowsMl =
    [
        for n in 0..100..steps do
            let rc = cf (float n)

            for k in 1..5 do
                yield point "R_multilinear_gd_over_S" (float n) k (rc[k - 1] / s) (hist[n][k - 1] / s)

            let l = [ for k in 1..5 -> freq[k] * 0.5 * (s - hist[n][k - 1]) ** 2.0 ] |> List.sum
            yield point "loss_multilinear_gd" (float n) 0 (loss (float n)) l
    ]

// stage-like threshold ε*_k for consecutive skills (R14), K = 1e4 (spec: 0.0096, 0.053, 0.21, …)
let rowsEps =
    [
        for k in 1..4 ->
            let mi, mn =
                BalancedMode(s, freq[k], s / 1e4), BalancedMode(s, freq[k + 1], s / 1e4)

            let bis =
                Emergence.StageLikeThresholdByBisection(mi, mn, fun m l -> Emergence.HittingTimeSimulated(m, l))

            point "eps_star" (float k) 0 (Emergence.StageLikeThreshold(mi.K, freq[k], freq[k + 1])) bis
    ]

save "ch3_modes" config 123L "t (eta*steps)" false false rows

save
    "ch3_multilinear"
    (config
     @ [
         "D", "4000"
         "eta_gd", "0.02"
         "d_k", (counts |> Array.map string |> String.concat " ")
     ])
    123L
    "GD step"
    false
    false
    rowsMl

save "ch3_stage_like" (config @ [ "K", "1e4" ]) 0L "skill k" false true rowsEps
