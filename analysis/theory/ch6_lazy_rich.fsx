// Thesis ch. 6 at reduced scale (spec §11 / R29–R32): γ(t) of the width-p scalar network for several target scales and
// output scales (lazy ↔ rich), γ₊ against S/Σ₀, target downscaling and the laziness bound.
#load "Common.fsx"

open Telescope.Theory
open Telescope.Theory.Checks
open Common

let config =
    [ "p", "8"; "init_sd", "0.5"; "seed", "7"; "S", "0.01 0.1 1 10"; "Z", "1" ]

header "ch6: lazy vs rich dynamics" config
let rng = Rng(7)
let a0, b0 = rng.Normals(8, 0.5), rng.Normals(8, 0.5)

let gammaRows =
    [
        for i, s in List.indexed [ 0.01; 0.1; 1.0; 10.0 ] do
            // the gamma-plus check's setup: its horizon 12Z/(2 Omega) and its simulated gamma (one shared simulator)
            let net = ScalarNetwork(a0, b0, 1.0, s)
            let g = GammaPlusCheck.Setup(net, LazyRich.Simulate net)
            let cf = fn (LazyRich.Gamma net)
            let horizon = g.Horizon

            for n in 0..80 do
                let t = horizon * float n / 80.0
                yield point "gamma" (t / horizon) i (cf t) (g.GammaSimulated t)

            let struct (th, _) = LazyRich.Moments(net, g.Sim.Invoke(4.0 * horizon))
            yield point "theta_end_over_S" s i 1.0 (th / s)
    ]

// γ₊ against S (downscaling: γ₊ − 1 ≈ S/Σ₀ for small S) and the laziness deviation against 0.25|ln γ₊|
let sweepRows =
    [
        for s in Num.LogSpace(1e-3, 1e2, 25) do
            let net = ScalarNetwork(a0, b0, 1.0, s)
            let gp = LazyRich.GammaPlus net
            let g = GammaPlusCheck.Setup(net, LazyRich.Simulate net)
            yield point "gamma_plus" s 1 gp (g.GammaSimulated g.Far)
            yield point "S_over_Sigma0_lower_bound" s 2 gp (LazyRich.GammaPlusLowerBound net)
            yield point "laziness_deviation_vs_bound" s 3 (0.25 * abs (log gp)) (LazyRich.LazinessDeviation net)
    ]

save "ch6_gamma" config 7L "t / (12/(2 Omega)); theta rows: S" false false gammaRows
save "ch6_gamma_plus" config 7L "S (target scale)" true true sweepRows
