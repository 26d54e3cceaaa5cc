/// R21–R24: scaling exponents, prefactors and the data increment (spec §6). Every claim of the `scaling` check is stated
/// by `ScalingCheck`'s own builders (its windows, GD windows and tolerances) at the check's declared defaults
/// (n_s = 2×10⁵, S, a₀), with α drawn from the theorem's range; each has a must-fail control.
module ScalingTests

open global.Xunit
open Telescope.Theory
open Telescope.Theory.Checks
open Harness

let defaults = TheoryCatalog.Defaults(ScalingCheck())

let s, a0, tol, ns =
    defaults["S"], defaults["a0"], defaults["tolerance"], int defaults["n_s"]

let r0 = a0 * a0

/// α ∈ [lo, hi], knob 0 at the middle.
type AlphaCase = { Alpha: float }

let alphaIn lo hi (k: int[]) : AlphaCase =
    {
        Alpha = lin lo ((lo + hi) / 2.0) hi k[0]
    }

/// The theorem's range of α, as the check declares it.
let specAlphas = alphaIn ScalingCheck.AlphaMin ScalingCheck.AlphaMax

/// α where the fits without the completion are off (the check's control range).
let smallAlphas = alphaIn ScalingCheck.AlphaMin ScalingCheck.CompletionControlAlpha

let freq (c: AlphaCase) = SkillFrequencies(c.Alpha, ns)

let time c =
    ScalingCheck.TimeScaling(freq c, s, r0, tol)

[<Fact>]
let ``R21 time exponent -alpha/(alpha+1) with completion, and the prefactor with I_alpha(K)`` () =
    check 1 specAlphas (fun c ->
        let t = time c
        claims [ t.Exponent; t.Prefactor ])

[<Fact>]
let ``R21 control: without the completion L_C the time exponent is off at small alpha`` () =
    mustFail 1 smallAlphas (fun c -> controls [ ScalingCheck.TimeScalingWithoutCompletionControl(freq c, s, r0, tol) ])

[<Fact>]
let ``R21 control: the exponent -alpha is rejected`` () =
    mustFail 1 specAlphas (fun c -> controls [ (time c).MinusAlphaControl ])

/// The check's GD windows (α, n_s, k_max): a simulation per window (each < 1 s), so an exhaustive theory rather than
/// 100 random cases.
let gdWindows: obj[] seq =
    ScalingCheck.GdWindows
    |> Seq.map (fun struct (alpha, gns, kmax) -> [| box alpha; box gns; box kmax |])

[<Theory>]
[<MemberData(nameof gdWindows)>]
let ``R21 discrete GD on the decoupled model recovers the time exponent`` (alpha: float, gns: int, kmax: int) =
    let row = ScalingCheck.TimeScalingGd(alpha, gns, kmax, s, a0, tol)
    Assert.True((claims [ row ]).Ok, $"{row}")
    // must-fail control: the same measured slope is not the exponent -alpha
    let control =
        Comparison("control_time_exponent_gd_minus_alpha", alpha, -alpha, row.Simulated, tol, true)

    Assert.False((controls [ control ]).Ok, $"{control}")

[<Fact>]
let ``R21 the check's GD windows are the spec's`` () =
    Assert.Equal(5, Seq.length ScalingCheck.GdWindows)

    for struct (alpha, gns, kmax) in ScalingCheck.GdWindows do
        Assert.InRange(alpha, ScalingCheck.AlphaMin, ScalingCheck.AlphaMax)
        Assert.True(kmax < gns, $"k_max {kmax} >= n_s {gns}")

[<Fact>]
let ``R22 data exponent -alpha/(alpha+1) with completion, and the prefactor Gamma(alpha/(alpha+1))`` () =
    check 1 specAlphas (fun c ->
        let d = ScalingCheck.DataScaling(freq c, s, r0, tol)
        claims [ d.Exponent; d.Prefactor ])

[<Fact>]
let ``R22 control: without completion the data exponent is off at small alpha`` () =
    mustFail 1 smallAlphas (fun c ->
        let f = Scaling.FitData(freq c, s, r0, false)
        within (abs (f.Measured - Scaling.DataExponent c.Alpha)) tol)

/// R22 increment (Errata E9): α ∈ [0.1, 1.5], A ∈ [0.3, 0.9], D ≥ 20 with (1 − A)^{D+1} ≤ 1e-6 (map, not filter).
type IncrementCase = { Alpha: float; A: float; D: float }

let increment (k: int[]) =
    let a = lin 0.3 ScalingCheck.IncrementA 0.9 k[1]
    let dMin = max 20.0 (ceil (log 1e-6 / log (1.0 - a)))

    {
        Alpha = lin ScalingCheck.AlphaMin 0.6 ScalingCheck.AlphaMax k[0]
        A = a
        D = dMin + float (intIn 0 200 k[2])
    }

let incrementRows c =
    ScalingCheck.DataIncrement(c.Alpha, c.A, c.D)

[<Fact>]
let ``R22 discrete increment -alpha/((alpha+1)D + 2 alpha + 1) matches quadrature`` () =
    check 3 increment (fun c -> claims [ (incrementRows c).Increment ])

[<Fact>]
let ``R22 control: the thesis increment -alpha/(1 + (alpha+1)D) (Eq 4.33) is rejected`` () =
    mustFail 3 increment (fun c -> controls [ (incrementRows c).ThesisControl ])

/// R22 one-shot learner on sampled data sets (the check's n_s and number of data sets): mean loss vs E_D[L], 4 standard
/// errors. α and D are drawn; the simulation seed is a knob.
type OneShotCase = { Alpha: float; D: int; Seed: int }

let oneShot (k: int[]) =
    {
        Alpha = lin 0.3 ScalingCheck.OneShotAlpha ScalingCheck.AlphaMax k[0]
        D = int (geo 10.0 100.0 1000.0 k[1])
        Seed = abs k[2]
    }

let oneShotRow c =
    ScalingCheck.OneShotLoss(SkillFrequencies(c.Alpha, ScalingCheck.OneShotNs), s, r0, c.D, Rng(c.Seed))

[<Fact>]
let ``R22 one-shot learner: sampled data sets match the expected loss`` () =
    checkWith seeded 3 oneShot (fun c -> claims [ oneShotRow c ])

[<Fact>]
let ``R22 control: the expected loss at twice the data set size is rejected`` () =
    mustFailWith seeded 3 oneShot (fun c ->
        let row = oneShotRow c
        let p = SkillFrequencies(c.Alpha, ScalingCheck.OneShotNs)
        let wrong = Scaling.ExpectedDataLoss(p, s, r0, 2.0 * float c.D)
        controls [ Comparison(row.Quantity, row.X, wrong, row.Simulated, row.Tolerance, true) ])

[<Fact>]
let ``R23 parameter exponent -alpha with completion and prefactor (N + 1/2)^-alpha`` () =
    check 1 specAlphas (fun c ->
        let p = ScalingCheck.ParameterScaling(freq c, s, tol)
        claims [ p.Exponent; p.Prefactor ])

[<Fact>]
let ``R23 control: exponent -alpha/(alpha+1) and no completion at alpha = 0.1 are rejected`` () =
    mustFail 1 specAlphas (fun c ->
        let p = ScalingCheck.ParameterScaling(freq c, s, tol)
        let e = p.Exponent

        controls
            [
                Comparison(e.Quantity, e.X, Scaling.TimeExponent c.Alpha, e.Simulated, tol, true)
            ])

    mustFail 1 (alphaIn ScalingCheck.AlphaMin 0.12) (fun c ->
        let f = Scaling.FitParameters(freq c, s, false)
        within (abs (f.Measured - Scaling.ParameterExponent c.Alpha)) tol)

[<Fact>]
let ``R23 training to convergence gives the parameter-law loss`` () =
    let small (k: int[]) =
        ({ Alpha = lin 0.1 0.6 1.5 k[0] }: AlphaCase), intIn 1 40 k[1]

    check 2 small (fun (c, n) ->
        let p = SkillFrequencies(c.Alpha, 60)
        let l = Scaling.ParameterLoss(p, s, n)
        within (abs (Scaling.ParameterLossByTraining(p, s, 0.01, n) - l)) (1e-9 * s * s))

/// R24 compute-optimal exponents (L*, N*, T*) within the tolerance, on the check's own compute grid.
let compute c =
    ScalingCheck.ComputeScaling(freq c, s, r0, tol)

[<Fact>]
let ``R24 compute-optimal exponents of L*, N*, T*`` () =
    check 1 (alphaIn 0.3 ScalingCheck.AlphaMax) (fun c -> claims (compute c).Exponents)

[<Fact>]
let ``R24 control: N* ~ C^(1/2) at the top of the alpha range is rejected`` () =
    mustFail 1 (alphaIn 1.4 ScalingCheck.AlphaMax) (fun c -> controls [ (compute c).OneHalfControl ])
