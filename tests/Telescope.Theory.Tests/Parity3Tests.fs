/// R33 as the `parity3` check states them: `Parity3Check`'s builders (its points, grid, steps and tolerances) over
/// cases drawn from the check's declared ranges.
module Parity3Tests

open global.Xunit
open Telescope.Theory
open Telescope.Theory.Checks
open Harness

let parity3 = Parity3Check()

/// S, init, t_max and seed over the check's ranges.
let case = fromSpec parity3.Parameters [ "S"; "init"; "t_max"; "seed" ]

let gradients (v: Map<string, float>) =
    Parity3Check.Gradients(v["S"], int v["seed"])

[<Fact>]
let ``parity3 R33 corrected ODEs match finite differences of the network`` () = checkSpec case (gradients >> claims)

[<Fact>]
let ``parity3 R33 control: thesis Eq C.15-C.18 are rejected`` () =
    mustFailSpec case (gradients >> controls)

/// The network's RK4 trajectory (the longest builder): at most 10 cases.
[<Fact>]
let ``parity3 R33 RK4 on the corrected ODEs follows the network and ends at (2S, 2S, 2S, -S)`` () =
    checkSpecWith (atMost 10) case (fun v ->
        claims (
            Seq.append
                (Parity3Check.Trajectory(v["S"], v["init"], v["t_max"]))
                (Parity3Check.EndPoint(v["S"], v["init"], v["t_max"]))
        ))

[<Fact>]
let ``parity3 R33 control: RK4 on the thesis ODEs does not follow the network`` () =
    mustFailSpecWith (atMost 10) case (fun v ->
        Parity3Check.Trajectory(v["S"], v["init"], v["t_max"], fun q s eta -> Parity3.FlowThesis(q, s, eta))
        |> Seq.map (fun r -> Comparison(r.Quantity, r.X, r.ClosedForm, r.Simulated, r.Tolerance, true))
        |> controls)
