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

/// The `neural-collapse` check's builders (its horizon and tolerances) over its declared ranges; p is moved up to the
/// premise p ≥ C (a map, not a filter).
module Check =
    open Telescope.Theory.Checks

    let nc = NeuralCollapseCheck()

    let case =
        fromSpec nc.Parameters [ "C"; "m"; "p"; "sigma"; "a1"; "a2"; "seed" ]
        |> mapCase (fun v -> v.Add("p", max v["p"] v["C"]))

    let dims (v: Map<string, float>) =
        int v["C"], int v["m"], int v["p"], int v["seed"]

    [<Fact>]
    let ``neural-collapse R17 UFM collapses at the check's tolerance`` () =
        checkSpecWith (atMost 20) case (fun v ->
            let c, m, p, seed = dims v
            claims (NeuralCollapseCheck.Collapse(c, m, p, v["sigma"], seed)))

    [<Fact>]
    let ``neural-collapse R17 control: sigma = 1 does not collapse at the range's tolerance`` () =
        mustFailSpecWith (atMost 20) case (fun v ->
            let c, m, p, seed = dims v
            controls (NeuralCollapseCheck.LargeInitControl(c, m, p, seed)))

    let mp (v: Map<string, float>) =
        let c, m, _, seed = dims v
        NeuralCollapseCheck.MinimumProjectionRows(c, m, v["a1"], v["a2"], seed)

    [<Fact>]
    let ``neural-collapse R8 MP features: ETF Gram, zero scatter, C^2 factor, kappa_CKA = 0`` () =
        checkSpec case (mp >> claims)

    [<Fact>]
    let ``neural-collapse R8 control: factor 1, Eq 2.19 and a random kappa_CKA are rejected`` () =
        mustFailSpec case (mp >> controls)

    /// Issue 24: the controls the check leaves out at m = 1 are indeed uninformative there (NC1 of a sigma = 1 run is
    /// 0, the random-features kappa_CKA at C = 2 is 0), and at m >= 3 (or p > C) the check keeps them and names none.
    [<Fact>]
    let ``neural-collapse controls left out at m = 1 cannot be rejected there, and are kept at m >= 3`` () =
        for c in 2..4 do
            let big = Telescope.Theory.UfmProblem(c, 1, c + 1, 1.0, 7)
            let struct (h, w) = Telescope.Theory.NeuralCollapse.Train big
            let mt = Telescope.Theory.NeuralCollapse.Metrics(big, h, w)
            Assert.True(abs mt.Nc1 < 1e-12, $"NC1 at m = 1, C = {c}: {mt.Nc1}")
            Assert.Equal(2, NeuralCollapseCheck.UninformativeControls(1, c, c + 1).Count)

        let labels = [| 0; 1 |]
        let random = Telescope.Theory.LinAlg.Gaussian(Telescope.Theory.Rng 3, 2, 4)
        Assert.True(abs (Telescope.Theory.MinimumProjection.KappaCka(random, labels, 2, 0.7, 1.3)) < 1e-12)

        for m in 3..5 do
            Assert.Empty(NeuralCollapseCheck.UninformativeControls(m, 2, 2))

        Assert.Empty(NeuralCollapseCheck.UninformativeControls(2, 2, 3))
