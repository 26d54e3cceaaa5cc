/// R4: gradient flow from zero init reaches the minimum-norm interpolant (spec §1). The claims are `MinNormCheck.Flow`'s
/// rows (its grid, horizon and tolerance), over cases drawn from the check's declared ranges.
module MinNormTests

open global.Xunit
open Telescope.Theory
open Telescope.Theory.Checks
open Harness

let minNorm = MinNormCheck()

/// n, p, init sd and seed over the check's ranges; p moved up to the check's premise p ≥ n + 4 (a map, not a filter).
let case =
    fromSpec minNorm.Parameters [ "n"; "p"; "init_sd"; "seed" ]
    |> mapCase (fun v -> v.Add("p", max v["p"] (v["n"] + float MinNormCheck.ExtraFeatures)))

/// The rows of the zero-init and the Gaussian-init problem (same F and y).
let flows (v: Map<string, float>) =
    let struct (zero, rand) = MinNormCheck.ProblemsOf v
    MinNormCheck.Flow(zero, "zero_init"), MinNormCheck.Flow(rand, "random_init")

[<Fact>]
let ``R4 zero init ends at the pseudo-inverse solution`` () =
    check case.Knobs case.Case (fun v ->
        let zero, _ = flows v
        // from zero init the end point is F+y itself, so the rows that are a control for a non-zero init hold here
        let v1, v2 = claims zero.EndPoint, controls zero.PinvControl
        if v1.Ok then v2 else v1)

[<Fact>]
let ``R4 non-zero init keeps its null-space component`` () =
    checkSpec case (fun v -> claims (snd (flows v)).EndPoint)

[<Fact>]
let ``R4 control: F+y compared with a non-zero init is rejected`` () =
    mustFailSpec case (fun v -> controls (snd (flows v)).PinvControl)

[<Fact>]
let ``R4 closed-form trajectory w(t) matches RK4 from either init`` () =
    checkSpec case (fun v ->
        let zero, rand = flows v
        claims (Seq.append zero.Trajectory rand.Trajectory))

[<Fact>]
let ``R4 control: the zero-init trajectory for a non-zero init is rejected`` () =
    mustFailSpec case (fun v ->
        let zero, rand = flows v

        Seq.map2
            (fun (z: Comparison) (r: Comparison) ->
                Comparison(r.Quantity, r.X, z.ClosedForm, r.Simulated, r.Tolerance, true, r.Output))
            zero.Trajectory
            rand.Trajectory
        |> controls)
