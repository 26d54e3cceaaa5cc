/// R17: neural collapse in the unconstrained features model (spec §4).
module NeuralCollapseTests

open global.Xunit
open Telescope.Theory
open Harness

/// Spec range: σ ≤ 0.03, C ≤ 4, m ≤ 5, p ≤ 8 (p ≥ C).
type Case =
    {
        C: int
        M: int
        P: int
        Sigma: float
        Seed: int
    }

let case sigma (k: int[]) =
    let c = intIn 2 4 k[0]

    {
        C = c
        M = intIn 1 5 k[1]
        P = c + intIn 0 (8 - c) k[2]
        Sigma = sigma k[3]
        Seed = abs k[4]
    }

/// Every metric ≤ 20(p − C + 1)·min(σ, 0.03)² and the final loss ≤ 1e-10: the collapse claimed at the theorem's
/// tolerance (corrected from the spec's 20σ², which this property falsified at C = 2, m = 3, p = 8, σ = 0.01).
let collapseVerdict c =
    let pr = UfmProblem(c.C, c.M, c.P, c.Sigma, c.Seed)
    let struct (h, w) = NeuralCollapse.Train pr
    let m = NeuralCollapse.Metrics(pr, h, w)
    let tol = NeuralCollapse.Tolerance(min c.Sigma 0.03, c.P, c.C)
    // the loss is scaled into the metric budget: loss ≤ 1e-10 ⇔ loss·tol/1e-10 ≤ tol
    within (max m.Max (m.Loss * tol / 1e-10)) tol

[<Fact>]
let ``R17 UFM collapses: every metric at most 20 (p - C + 1) sigma^2`` () =
    check 5 (case (geo 1e-3 0.01 0.03)) collapseVerdict

[<Fact>]
let ``R17 control: sigma = 1 (outside the range) does not collapse at the range's tolerance`` () =
    mustFail 5 (case (fun _ -> 1.0)) collapseVerdict

[<Fact>]
let ``R17 spec tolerance 20 sigma^2 is too tight for p > C (counterexample kept as a regression)`` () =
    let pr = UfmProblem(2, 5, 8, 0.01, 0)
    let struct (h, w) = NeuralCollapse.Train pr
    let m = NeuralCollapse.Metrics(pr, h, w)
    Assert.True(m.Nc1 > 20.0 * 0.01 * 0.01, sprintf "NC1 = %g" m.Nc1)
    Assert.True(m.Max <= NeuralCollapse.Tolerance(0.01, 8, 2))
