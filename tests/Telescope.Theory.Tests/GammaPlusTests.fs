/// R29–R32 as the `gamma-plus` check states them: `GammaPlusCheck`'s builders (its grid, horizons and relative
/// tolerances) over cases drawn from the check's declared ranges. Each property builds a fresh `Setup`, so no simulator
/// state is shared between properties.
module GammaPlusTests

open global.Xunit
open Telescope.Theory
open Telescope.Theory.Checks
open Harness

let gammaPlus = GammaPlusCheck()

/// p, Z, S, init sd and seed over the check's ranges.
let case = fromSpec gammaPlus.Parameters [ "p"; "Z"; "S"; "init_sd"; "seed" ]

let setup (v: Map<string, float>) = GammaPlusCheck.SetupOf v

/// The rows with another closed form (a must-fail control row at each row's coordinate).
let recast (closed: Comparison -> float) (rows: Comparison seq) =
    rows
    |> Seq.map (fun r -> Comparison(r.Quantity, r.X, closed r, r.Simulated, r.Tolerance, true, r.Output, r.Relation))

[<Fact>]
let ``gamma-plus R30 gamma(t) matches RK4 within the relative tolerance`` () =
    checkSpec case (fun v -> claims (GammaPlusCheck.Gamma(setup v)))

[<Fact>]
let ``gamma-plus R30 control: the thesis rate 4 Omega/Z (Errata E1) is rejected`` () =
    mustFailSpec case (fun v -> controls (GammaPlusCheck.ThesisRateControl(setup v)))

[<Fact>]
let ``gamma-plus R30 theta, Sigma and every parameter match RK4`` () =
    checkSpec case (fun v ->
        let s = setup v
        claims (Seq.append (GammaPlusCheck.Moments s) (GammaPlusCheck.State s)))

[<Fact>]
let ``gamma-plus R30 control: the thesis-rate state is rejected on every parameter`` () =
    mustFailSpec case (fun v ->
        let s = setup v
        let thesis = fn (LazyRich.StateThesisEq612 s.Net)

        GammaPlusCheck.State s
        |> recast (fun r -> (thesis r.X)[r.Output.Value - 1 + (if r.Quantity = "b" then s.Net.P else 0)])
        |> controls)

[<Fact>]
let ``gamma-plus R31 gamma reaches gamma_plus and Sigma reaches Omega`` () =
    checkSpec case (fun v -> claims (GammaPlusCheck.Limit(setup v)))

[<Fact>]
let ``gamma-plus R31 control: the lower bound S/Sigma0 as the limit is rejected`` () =
    mustFailSpec case (fun v ->
        let s = setup v

        GammaPlusCheck.Limit s
        |> Seq.filter (fun r -> r.Quantity = "gamma_plus")
        |> recast (fun _ -> LazyRich.GammaPlusLowerBound s.Net)
        |> controls)

[<Fact>]
let ``gamma-plus R31 Sigma^2 - theta^2 is conserved`` () =
    checkSpec case (fun v -> claims (GammaPlusCheck.Conserved(setup v)))

[<Fact>]
let ``gamma-plus R31 control: Sigma^2 + theta^2 claimed conserved is rejected`` () =
    mustFailSpec case (fun v ->
        let s = setup v

        GammaPlusCheck.Conserved s
        |> Seq.map (fun r ->
            let struct (th, sg) = LazyRich.Moments(s.Net, s.Sim.Invoke r.X)
            let struct (th0, sg0) = LazyRich.Moments(s.Net, s.Sim.Invoke 0.0)
            Comparison(r.Quantity, r.X, sg0 * sg0 + th0 * th0, sg * sg + th * th, r.Tolerance, true))
        |> controls)

[<Fact>]
let ``gamma-plus R31 gamma_plus >= S/Sigma0 and R32 laziness bound`` () =
    checkSpec case (fun v ->
        let s = setup v
        claims [ GammaPlusCheck.LowerBound s.Net; GammaPlusCheck.Laziness s.Net ])

[<Fact>]
let ``gamma-plus R32 control: the bound 0.01 |ln gamma_plus| (25 times tighter) is rejected`` () =
    mustFailSpec case (fun v ->
        controls (recast (fun r -> 0.04 * r.ClosedForm) [ GammaPlusCheck.Laziness (setup v).Net ]))

/// Issue 13 item 1: γ ≈ 91 at p = 2, Z = 3 (inside the ranges) failed an absolute 1e-8; the tolerance is relative.
[<Fact>]
let ``gamma-plus passes at p = 2, Z = 3`` () =
    let v =
        TheoryCatalog.Validate(
            gammaPlus,
            [
                System.Collections.Generic.KeyValuePair("p", 2.0)
                System.Collections.Generic.KeyValuePair("Z", 3.0)
            ]
        )

    Assert.True(TheoryCatalog.Passes(TheoryCatalog.Compute(gammaPlus, v)))

/// Issue 24: the R32 laziness row's bound, pinned. Its closed form is 0.25 |ln gamma_plus| with gamma_plus read off
/// the RK4 simulation at the long horizon (independent of LazyRich.GammaPlus), to 1e-5 relative.
[<Fact>]
let ``gamma-plus R32 the laziness bound is 0.25 |ln gamma_plus| of the simulated limit`` () =
    checkSpec case (fun v ->
        let s = setup v
        let row = GammaPlusCheck.Laziness s.Net
        let bound = 0.25 * abs (log (s.GammaSimulated s.Far))
        within (abs (row.ClosedForm - bound)) (1e-5 * max bound 1e-3))

/// Issue 24: the bound is nearly attained inside the declared ranges, so a bound loosened tenfold (2.5 |ln gamma_plus|)
/// is seen: over 100 seeded cases some deviation exceeds a tenth of the check's bound (R32's bound is empirical and
/// sharp to well within a factor 10 there).
[<Fact>]
let ``gamma-plus R32 the laziness bound is attained to within a factor 10 somewhere in the ranges`` () =
    let rng = System.Random 24

    let ratios =
        [
            for _ in 1..100 ->
                let v = TheorySampler.Draw(gammaPlus, rng)
                let row = GammaPlusCheck.Laziness (GammaPlusCheck.SetupOf v).Net

                if row.ClosedForm > 0.0 then
                    row.Simulated / row.ClosedForm
                else
                    0.0
        ]

    let best = List.max ratios

    Assert.True(
        best > 0.1,
        $"largest deviation / bound over 100 cases is {best:G4}: the bound is loose by more than 10x"
    )
