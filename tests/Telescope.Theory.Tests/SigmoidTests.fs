/// R10–R13: two-layer scalar mode (spec §3). Tolerances from the spec's property checklist (§12).
module SigmoidTests

open System
open global.Xunit
open Telescope.Theory
open Harness

/// A balanced mode inside the spec's generator ranges: S ∈ [0.2, 5], λ ∈ [0.2, 3], R₀/S ∈ [1e-6, 0.09].
type BalancedCase =
    {
        S: float
        Lambda: float
        R0OverS: float
    }

let balanced (k: int[]) =
    {
        S = geo 0.2 1.0 5.0 k[0]
        Lambda = geo 0.2 1.0 3.0 k[1]
        R0OverS = geo 1e-6 1e-3 0.09 k[2]
    }

let modeOf c =
    BalancedMode(c.S, c.Lambda, c.R0OverS * c.S)

/// Spec R10 horizon: 3 ln(S/R₀)/(2λS) + 5/(λS).
let horizon c =
    3.0 * log (1.0 / c.R0OverS) / (2.0 * c.Lambda * c.S) + 5.0 / (c.Lambda * c.S)

/// max_t |R_cf(t) − R_RK4(t)| / S on 60 points of the horizon ≤ 1e-8 (spec R10).
let sigmoidVerdict (closed: BalancedCase -> float -> float) c =
    let sim = fn (Sigmoid.SimulateBalanced(modeOf c))
    within (maxDiff (grid (horizon c) 60) (closed c) sim / c.S) 1e-8

[<Fact>]
let ``R10 balanced sigmoid matches RK4 to 1e-8 S`` () =
    check 3 balanced (sigmoidVerdict (fun c -> fn (Sigmoid.Balanced(modeOf c))))

[<Fact>]
let ``R10 control: the linear-model exponential (no delay) is rejected`` () =
    mustFail 3 balanced (sigmoidVerdict (fun c -> fn (Sigmoid.LinearModel(modeOf c))))

/// Unequal init: a₀, b₀ ∈ [−1, 1], moved off the saddle by a map (|a₀ + b₀| ≥ 0.05), S, λ as above.
type UnequalCase =
    {
        A0: float
        B0: float
        S: float
        Lambda: float
    }

let unequal (k: int[]) =
    let a0 = lin -1.0 0.5 1.0 k[0]
    let b0 = lin -1.0 0.25 1.0 k[1]

    let b0 =
        if abs (a0 + b0) < 0.05 then
            b0 + 0.1 * float (sign (a0 + b0) ||| 1)
        else
            b0

    {
        A0 = a0
        B0 = b0
        S = geo 0.2 1.0 5.0 k[2]
        Lambda = geo 0.2 1.0 3.0 k[3]
    }

/// max over t ∈ [0, 10/λ] of |a − a_RK4|, |b − b_RK4| ≤ 1e-8 (spec R11).
let unequalVerdict (closed: UnequalMode -> Func<float, float[]>) c =
    let m = UnequalMode(c.A0, c.B0, c.S, c.Lambda)
    let cf = fn (closed m)
    let sim = fn (Sigmoid.SimulateUnequal m)

    let err =
        grid (10.0 / c.Lambda) 60
        |> List.map (fun t -> Array.map2 (fun x y -> abs (x - y)) (cf t) (sim t) |> Array.max)
        |> List.max

    within err 1e-8

[<Fact>]
let ``R11 unequal init follows Theorem 1 with rate 2 Omega`` () =
    check 4 unequal (unequalVerdict (fun m -> Sigmoid.Unequal m))

[<Fact>]
let ``R11 control: the thesis rate 4 Omega (Errata E1) is rejected`` () =
    mustFail 4 unequal (unequalVerdict (fun m -> Sigmoid.UnequalThesisRate m))

[<Fact>]
let ``R10 control: the balanced formula with R0 = a0 b0 for an unequal init is rejected`` () =
    // spec: a0 = 1, b0 = 0.01 with R0 = a0 b0 plugged in; S, lambda generated
    let case (k: int[]) =
        {
            A0 = 1.0
            B0 = 0.01
            S = geo 0.2 1.0 5.0 k[0]
            Lambda = geo 0.2 1.0 3.0 k[1]
        }

    mustFail 2 case (fun c ->
        let m = UnequalMode(c.A0, c.B0, c.S, c.Lambda)
        let wrong = fn (Sigmoid.Balanced(BalancedMode(c.S, c.Lambda, c.A0 * c.B0)))
        let sim = fn (Sigmoid.SimulateUnequal m)

        within
            (maxDiff (grid (10.0 / c.Lambda) 60) wrong (fun t -> let y = sim t in y[0] * y[1])
             / c.S)
            1e-8)

[<Fact>]
let ``R11 control: the saddle a0 = -b0 is outside Theorem 1 and rejected by the premise`` () =
    let c = unequal [| 37; 0; 0; 0 |]

    Assert.Throws<ArgumentException>(fun () -> UnequalMode(c.A0, -c.A0, c.S, c.Lambda).AsNetwork() |> ignore)
    |> ignore

/// R12(a): one GD step multiplies a² − b² by exactly 1 − η²g², g = λ(ab − S).
type GdStepCase =
    {
        A: float
        B: float
        S: float
        Lambda: float
        Eta: float
    }

let gdStep (k: int[]) =
    {
        A = lin -2.0 1.0 2.0 k[0]
        B = lin -2.0 0.2 2.0 k[1]
        S = geo 0.2 1.0 5.0 k[2]
        Lambda = geo 0.2 1.0 3.0 k[3]
        Eta = geo 1e-3 0.05 0.3 k[4]
    }

let driftVerdict (factor: float -> float -> float) c =
    let struct (a, b) = Sigmoid.GradientDescent(c.A, c.B, c.S, c.Lambda, c.Eta, 1)
    let g = c.Lambda * (c.A * c.B - c.S)
    let before = c.A * c.A - c.B * c.B
    let after = a[1] * a[1] - b[1] * b[1]
    within (abs (after - before * factor c.Eta g)) (1e-12 * (1.0 + abs before + c.A * c.A + c.B * c.B))

[<Fact>]
let ``R12a GD multiplies a2 - b2 by exactly 1 - eta^2 g^2`` () =
    check 5 gdStep (driftVerdict (fun eta g -> Sigmoid.DriftFactor(eta, g)))

[<Fact>]
let ``R12a control: "a2 - b2 conserved under GD" is rejected`` () =
    mustFail 5 gdStep (driftVerdict (fun _ _ -> 1.0))

/// R12(b): balanced GD from a = b = 0.01 converges iff ηλS < 1; checked at ηλS = 0.98 (and 1.02 as control).
type StabilityCase =
    {
        S: float
        Lambda: float
        EtaLambdaS: float
    }

let stability factor (k: int[]) =
    {
        S = geo 0.5 1.0 5.0 k[0]
        Lambda = geo 0.3 1.0 3.0 k[1]
        EtaLambdaS = factor
    }

/// |R − S|/S < 1e-6 after 2×10⁴ steps.
let convergesVerdict c =
    let eta = c.EtaLambdaS / (c.Lambda * c.S)
    let struct (a, b) = Sigmoid.GradientDescent(0.01, 0.01, c.S, c.Lambda, eta, 20000)
    let r = a[a.Length - 1] * b[b.Length - 1]
    let err = if Double.IsFinite r then abs (r - c.S) / c.S else infinity
    Assert.Equal(Sigmoid.BalancedGdStable(eta, c.Lambda, c.S), c.EtaLambdaS < 1.0)
    within err 1e-6

[<Fact>]
let ``R12b balanced GD converges at eta lambda S = 0.98`` () =
    check 2 (stability 0.98) convergesVerdict

[<Fact>]
let ``R12b control: balanced GD at eta lambda S = 1.02 does not converge`` () =
    mustFail 2 (stability 1.02) convergesVerdict

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

/// R12(d): GD step n tracks the sigmoid at t = nη within S·ηλS(0.15 ln K + 0.1), ηλS ≤ 0.1, checked at every step.
type TrackingCase =
    {
        S: float
        Lambda: float
        K: float
        EtaLambdaS: float
    }

let tracking (k: int[]) =
    {
        S = geo 0.2 1.0 5.0 k[0]
        Lambda = geo 0.2 1.0 3.0 k[1]
        K = geo 10.0 1e4 1e9 k[2]
        EtaLambdaS = geo 0.005 0.05 0.1 k[3]
    }

let trackingVerdict budgetFactor c =
    let r0 = c.S / (c.K + 1.0)
    let eta = c.EtaLambdaS / (c.Lambda * c.S)
    let m = BalancedMode(c.S, c.Lambda, r0)
    let cf = fn (Sigmoid.Balanced m)
    let steps = int (ceil ((1.5 * log c.K + 8.0) / c.EtaLambdaS))

    let struct (a, b) =
        Sigmoid.GradientDescent(sqrt r0, sqrt r0, c.S, c.Lambda, eta, steps)

    let err =
        Seq.init (steps + 1) (fun n -> abs (a[n] * b[n] - cf (float n * eta)))
        |> Seq.max

    within (err / c.S) (budgetFactor * Sigmoid.GdTrackingBound(eta, c.Lambda, c.S, c.K))

[<Fact>]
let ``R12d GD tracks gradient flow within the first-order budget`` () = check 4 tracking (trackingVerdict 1.0)

[<Fact>]
let ``R12d control: the budget divided by 10 is violated`` () =
    mustFail 4 tracking (trackingVerdict 0.1)

/// R13: emergence and saturation times against hitting times of the RK4 trajectory (relative 1e-7).
let timesVerdict (saturation: BalancedMode -> float -> float) c =
    let m = modeOf c
    let eps = 0.3

    if c.R0OverS >= eps then
        within 0.0 1.0
    else
        let hitE = Emergence.HittingTimeSimulated(m, eps)
        let hitS = Emergence.HittingTimeSimulated(m, 1.0 - eps) - hitE
        let te = Emergence.EmergenceTime(m, eps)
        let ts = saturation m eps
        within (max (abs (hitE - te) / te) (abs (hitS - ts) / ts)) 1e-7

[<Fact>]
let ``R13 emergence and saturation times match RK4 hitting times`` () =
    check 3 balanced (timesVerdict (fun m e -> Emergence.SaturationTime(m, e)))

[<Fact>]
let ``R13 control: saturation time with 2 lambda S in the denominator is rejected`` () =
    mustFail 3 balanced (timesVerdict (fun m e -> Emergence.SaturationTimeHalved(m, e)))
