// Thesis ch. 5 at reduced scale (spec §11): Fig 5.1/5.2 time, data and parameter emergence of the multilinear model
// (n_s = 5, α = 0.6, S = 5): calibrated time emergence (R26, B = 1/22), D_c-shot data emergence (R27), N_c-basis
// parameter emergence (R28).
#load "Common.fsx"

open Telescope.Theory
open Telescope.Theory.Checks
open Common

let s, a0, b = 5.0, 0.01, 1.0 / 22.0
let freq = SkillFrequencies(0.6, 5)

let config =
    [
        "S", "5"
        "alpha", "0.6"
        "n_s", "5"
        "B", "1/22"
        "a0", "0.01"
        "D_c", "20"
        "N_c", "4"
    ]

header "ch5: emergence in time, data and parameters" config

// time emergence: R_k/S vs T for k = 1..5, closed form (B to the first power) vs RK4
let tmax = 1.3 * (log (s / (b * a0 * a0))) / (2.0 * freq[5] * b * s)

let timeRows =
    [
        for k in 1..5 do
            let cf = fn (Emergence.CalibratedSkill(freq[k], s, b, a0, 1.0))
            let sim = fn (Emergence.SimulateCalibratedSkill(freq[k], s, b, a0, 1.0))

            for i in 0..150 do
                let t = tmax * float i / 150.0
                yield point "time_emergence_R_over_S" t k (cf t) (sim t)
    ]

// data emergence of one skill with frequency P = 0.05: E_D[R/S] = Σ_d Binom(d; D, P) min(d, D_c)/D_c vs min-norm fits
let rng = Rng(123)

let dataRows =
    [
        for d in [ 25; 50; 100; 200; 300; 400; 600; 800; 1200 ] ->
            let sim =
                Array.init 300 (fun _ -> DcShot.SimulateStrengthInData(d, DcShotCheck.DataFrequency, 20, 1, rng))
                |> Array.average

            point
                "data_emergence_R_over_S"
                (float d)
                1
                (DcShot.ExpectedStrengthInData(d, DcShotCheck.DataFrequency, 20))
                sim
    ]

// D_c-shot: E[R]/S = d/D_c (reading A) against Monte Carlo; reading B (thesis Eq 5.5) as a second closed form
let dcRows =
    [
        for d in 1..20 do
            let fits = DcShot.Simulate(d, 20, s, 400, DcShotDesign.Gaussian, rng)
            let m = fits |> Array.averageBy (fun f -> f.StrengthOverS)
            yield point "dc_shot_R_over_S_reading_A" (float d) 1 (DcShot.ExpectedStrength(d, 20)) m
            yield point "dc_shot_R_over_S_reading_B_control" (float d) 2 (DcShot.StrengthReadingB(d, 20)) m
    ]

// parameter emergence: R_k/S vs N for N_c = 4
let paramRows =
    [
        for n in 1..17 do
            for k in 1..5 ->
                let sim =
                    Emergence.SimulateParameterEmergence(
                        n,
                        4,
                        k,
                        freq[k],
                        s,
                        1.0,
                        a0,
                        EmergenceCheck.ParameterHorizon(freq[k], s, a0, 4),
                        EmergenceCheck.ParameterSteps(freq[k], s, a0, 4)
                    )

                point "parameter_emergence_R_over_S" (float n) k (Emergence.ParameterEmergenceStrength(n, 4, k)) sim
    ]

save "ch5_time_emergence" config 0L "T (steps, eta = 1)" false false timeRows
save "ch5_data_emergence" config 123L "D (samples) / d (samples of the skill)" false false (dataRows @ dcRows)
save "ch5_parameter_emergence" config 0L "N (basis functions)" false false paramRows
