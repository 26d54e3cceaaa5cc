/// R10–R13: two-layer scalar mode (spec §3). Every claim is stated by `SigmoidCheck`'s own builders (its horizon, grids,
/// GD schedule and tolerances), over cases drawn from the check's declared parameter ranges; each has a must-fail control.
module SigmoidTests

open System
open global.Xunit
open Telescope.Theory
open Telescope.Theory.Checks
open Harness

let sigmoid = SigmoidCheck()

/// A balanced mode: S, λ, R₀/S over the check's ranges.
let balanced = fromSpec sigmoid.Parameters [ "S"; "lambda"; "R0_over_S" ]

let modeOf (v: Map<string, float>) = SigmoidCheck.BalancedOf v

[<Fact>]
let ``R10 balanced sigmoid matches RK4 on the horizon`` () =
    checkSpec balanced (fun v -> claims (SigmoidCheck.Balanced(modeOf v)))

[<Fact>]
let ``R10 control: the linear-model exponential (no delay) is rejected`` () =
    mustFailSpec balanced (fun v -> controls (SigmoidCheck.LinearExponentialControl(modeOf v)))

/// Moves b₀ off the saddle by a map (never a filter): |a₀ + b₀| < margin → b₀ ± 2·margin, staying in [−1, 1].
let offSaddle (v: Map<string, float>) =
    let m = SigmoidCheck.SaddleMargin
    let a0, b0 = v["a0"], v["b0"]

    if abs (a0 + b0) < m then
        v.Add("b0", (if b0 <= 1.0 - 2.0 * m then b0 + 2.0 * m else b0 - 2.0 * m))
    else
        v

/// Unequal init: a₀, b₀, S, λ over the check's ranges, off the saddle.
let unequal =
    fromSpec sigmoid.Parameters [ "a0"; "b0"; "S"; "lambda" ] |> mapCase offSaddle

let unequalOf (v: Map<string, float>) = SigmoidCheck.UnequalOf v

[<Fact>]
let ``R11 unequal init follows Theorem 1 with rate 2 Omega`` () =
    checkSpec unequal (fun v -> claims (SigmoidCheck.Unequal(unequalOf v)))

[<Fact>]
let ``R11 control: the thesis rate 4 Omega (Errata E1) is rejected`` () =
    mustFailSpec unequal (fun v -> controls (SigmoidCheck.UnequalThesisRateControl(unequalOf v)))

[<Fact>]
let ``R10 control: the balanced formula with R0 = a0 b0 for an unequal init is rejected`` () =
    // the check's default init a0 = 1, b0 = 0.01 (the spec's case); S, lambda generated
    let case = fromSpec sigmoid.Parameters [ "S"; "lambda" ]

    mustFailSpec case (fun v ->
        let u = unequalOf v
        Assert.True(SigmoidCheck.BalancedFormulaControlApplies u)
        controls (SigmoidCheck.BalancedFormulaUnequalInitControl u))

[<Fact>]
let ``R11 control: the saddle a0 = -b0 is outside Theorem 1 and rejected by the premise`` () =
    let v = unequal.Case [| 37; 0; 0; 0 |]
    let v = v.Add("b0", -v["a0"])

    Assert.Throws<ArgumentException>(fun () -> UnequalMode(v["a0"], v["b0"], v["S"], v["lambda"]).AsNetwork() |> ignore)
    |> ignore

    bad (fun () -> box (SigmoidCheck.UnequalOf v))

/// GD from the unequal init with the check's schedule (η from ηλS, steps covering the horizon).
let gd =
    fromSpec sigmoid.Parameters [ "a0"; "b0"; "S"; "lambda"; "R0_over_S"; "eta_lambda_S" ]
    |> mapCase offSaddle

let scheduleOf (v: Map<string, float>) =
    SigmoidCheck.ScheduleOf(modeOf v, v["eta_lambda_S"])

[<Fact>]
let ``R12a GD multiplies a2 - b2 by exactly 1 - eta^2 g^2 at every step`` () =
    checkSpec gd (fun v -> claims (SigmoidCheck.GdDrift(unequalOf v, scheduleOf v)))

[<Fact>]
let ``R12a control: "a2 - b2 conserved under GD" is rejected`` () =
    mustFailSpec gd (fun v ->
        claims (SigmoidCheck.GdDrift(unequalOf v, scheduleOf v, Func<float, float, float>(fun _ _ -> 1.0))))

/// R12(b): balanced GD from a = b = 0.01 converges iff ηλS < 1 (checked at the check's two factors).
let stability = fromSpec sigmoid.Parameters [ "S"; "lambda" ]

let stableAgrees factor (v: Map<string, float>) =
    let s, lam = v["S"], v["lambda"]
    Assert.Equal(Sigmoid.BalancedGdStable(factor / (lam * s), lam, s), factor < 1.0)

[<Fact>]
let ``R12b balanced GD converges just below eta lambda S = 1`` () =
    checkSpec stability (fun v ->
        stableAgrees SigmoidCheck.StableFactor v
        claims [ SigmoidCheck.GdConverges(v["S"], v["lambda"]) ])

[<Fact>]
let ``R12b control: balanced GD just above eta lambda S = 1 does not converge`` () =
    mustFailSpec stability (fun v ->
        stableAgrees SigmoidCheck.UnstableFactor v
        controls [ SigmoidCheck.GdDivergesControl(v["S"], v["lambda"]) ])

/// R12(c): general width and output scale; η = 0.8Z/(λΩ) converges, η = 1.05Z/(λS) cannot (any init).
type GeneralGdCase =
    {
        P: int
        Z: float
        Lambda: float
        S: float
        Seed: int
        Factor: float
    }

let generalGd factor (k: int[]) =
    let p = intIn 1 6 k[0]

    {
        P = p
        Z = [| 1.0; 2.0; sqrt (float p) |][intIn 0 2 k[1]]
        Lambda = geo 0.3 1.0 2.0 k[2]
        S = geo 0.5 1.0 4.0 k[3]
        Seed = abs k[4]
        Factor = factor
    }

let generalConverges useOmega c =
    let rng = Rng(c.Seed)
    let a = rng.Normals(c.P, 0.3)
    let b = rng.Normals(c.P, 0.3)
    b[0] <- b[0] + 0.2 * float (sign (a[0] + b[0]) ||| 1)
    let net = ScalarNetwork(a, b, c.Z, c.S)
    let scale = if useOmega then net.Omega else c.S
    let eta = c.Factor * c.Z / (c.Lambda * scale)

    match LazyRich.GradientDescent(net, c.Lambda, eta, 20000) with
    | null -> within infinity 1e-6
    | y ->
        let struct (th, _) = LazyRich.Moments(net, y)
        within (abs (th - c.S) / c.S) 1e-6

[<Fact>]
let ``R12c GD at eta = 0.8 Z/(lambda Omega) converges`` () =
    check 5 (generalGd 0.8) (generalConverges true)

[<Fact>]
let ``R12c control: GD at eta = 1.05 Z/(lambda S) never converges`` () =
    mustFail 5 (generalGd 1.05) (generalConverges false)

/// R12(d): GD step n tracks the sigmoid at t = nη within S·ηλS(0.15 ln K + 0.1), ηλS ≤ 0.1 (worst step included).
let tracking =
    fromSpec sigmoid.Parameters [ "S"; "lambda"; "R0_over_S"; "eta_lambda_S" ]

let trackingRows (v: Map<string, float>) =
    (SigmoidCheck.GdTracking(modeOf v, v["eta_lambda_S"])).Rows

[<Fact>]
let ``R12d GD tracks gradient flow within the first-order budget`` () =
    checkSpec tracking (trackingRows >> claims)

[<Fact>]
let ``R12d control: the budget divided by 10 is violated`` () =
    mustFailSpec tracking (fun v ->
        trackingRows v
        |> Seq.map (fun c -> Comparison(c.Quantity, c.X, c.ClosedForm, c.Simulated, c.Tolerance / 10.0, true))
        |> controls)

/// R13: emergence and saturation times at the check's levels against hitting times of the RK4 trajectory.
let times (v: Map<string, float>) =
    SigmoidCheck.TimeLevels
    |> Seq.filter (fun eps -> eps > v["R0_over_S"])
    |> Seq.collect (fun eps -> SigmoidCheck.Times(modeOf v, eps))
    |> List.ofSeq

[<Fact>]
let ``R13 emergence and saturation times match RK4 hitting times`` () = checkSpec balanced (times >> claims)

[<Fact>]
let ``R13 control: saturation time with 2 lambda S in the denominator is rejected`` () =
    mustFailSpec balanced (times >> controls)
