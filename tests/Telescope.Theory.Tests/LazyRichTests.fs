/// R29–R32: the width-p scalar network, exact γ(t), γ₊, laziness (spec §8).
module LazyRichTests

open System
open global.Xunit
open Telescope.Theory
open Harness

/// Spec R30 generator: p ∈ 1..8, Z ∈ {1, √p, p, 0.5}, S ∈ [−2, 4], init sd ∈ [0.05, 1.5], seeded init; the first
/// component is moved off the saddle by a map (|a₁ + b₁| ≥ 0.1·sd) so Σ₀ + S₀ > 0 holds by construction.
type NetworkCase =
    {
        P: int
        Z: float
        S: float
        InitSd: float
        Seed: int
    }

let network (k: int[]) =
    let p = intIn 1 8 k[0]

    {
        P = p
        Z = [| 1.0; sqrt (float p); float p; 0.5 |][intIn 0 3 k[1]]
        S = lin -2.0 1.0 4.0 k[2]
        InitSd = geo 0.05 0.5 1.5 k[3]
        Seed = abs k[4]
    }

let build c =
    let rng = Rng(c.Seed)
    let a = rng.Normals(c.P, c.InitSd)
    let b = rng.Normals(c.P, c.InitSd)

    if abs (a[0] + b[0]) < 0.1 * c.InitSd then
        b[0] <- b[0] + 0.2 * c.InitSd * float (sign (a[0] + b[0]) ||| 1)

    ScalarNetwork(a, b, c.Z, c.S)

/// Every parameter and θ against RK4 on 60 points of [0, 12Z/(2Ω)] ≤ 1e-8 (spec R30).
let stateVerdict (closed: ScalarNetwork -> Func<float, float[]>) c =
    let net = build c
    let cf = fn (closed net)
    let sim = fn (LazyRich.Simulate net)

    let err =
        grid (12.0 * net.Z / (2.0 * net.Omega)) 60
        |> List.map (fun t ->
            let x, y = cf t, sim t
            let struct (tx, _) = LazyRich.Moments(net, x)
            let struct (ty, _) = LazyRich.Moments(net, y)
            max (Array.map2 (fun u v -> abs (u - v)) x y |> Array.max) (abs (tx - ty)))
        |> List.max

    within err 1e-8

[<Fact>]
let ``R30 Theorem 1 (rate 2 Omega/Z) matches RK4 on every parameter`` () =
    check 5 network (stateVerdict (fun n -> LazyRich.State n))

[<Fact>]
let ``R30 control: the thesis rate 4 Omega/Z (Errata E1) is rejected`` () =
    mustFail 5 network (stateVerdict (fun n -> LazyRich.StateThesisEq612 n))

[<Fact>]
let ``R30 control: the saddle a(0) + b(0) = 0 violates the premise and is rejected`` () =
    let c = network [| 40; 0; 0; 0; 7 |]
    let a = Rng(c.Seed).Normals(c.P, c.InitSd)

    Assert.Throws<ArgumentException>(fun () -> ScalarNetwork(a, Array.map (fun x -> -x) a, c.Z, c.S) |> ignore)
    |> ignore

/// θ(t), Σ(t) closed forms against RK4, tolerance 1e-8·max(1, |closed form|) as the `gamma-plus` check's rows: Σ grows
/// with p·sd²/Z (≈ 50 at p = 8, sd = 1.27, Z = 0.5), where an absolute 1e-8 is below RK4's round-off.
[<Fact>]
let ``R30 theta(t) and Sigma(t) match RK4`` () =
    check 5 network (fun c ->
        let net = build c
        let th, sg = fn (LazyRich.Theta net), fn (LazyRich.Sigma net)
        let sim = fn (LazyRich.Simulate net)
        let rel (cf: float) (x: float) = abs (cf - x) / max 1.0 (abs cf)

        let err =
            grid (12.0 * net.Z / (2.0 * net.Omega)) 40
            |> List.map (fun t ->
                let struct (ts, ss) = LazyRich.Moments(net, sim t)
                max (rel (th t) ts) (rel (sg t) ss))
            |> List.max

        within err 1e-8)

/// R31: γ(t) at a long horizon equals γ₊ (1e-6), Σ(∞) = Ω, and γ moves monotonically (up iff S > S₀).
[<Fact>]
let ``R31 gamma reaches gamma_plus and Sigma reaches Omega`` () =
    check 5 network (fun c ->
        let net = build c
        let far = 40.0 * net.Z / (2.0 * net.Omega)
        let y = (fn (LazyRich.Simulate net)) far
        let j = [ 0 .. c.P - 1 ] |> List.maxBy (fun i -> abs (net.A0[i] + net.B0[i]))
        let g = ((y[j] + y[c.P + j]) / (net.A0[j] + net.B0[j])) ** 2.0
        let struct (_, sg) = LazyRich.Moments(net, y)
        within (max (abs (g - LazyRich.GammaPlus net)) (abs (sg - net.Omega))) 1e-6)

/// Monotone: number of grid steps where γ moves against sign(S − S₀).
let monotoneVerdict (claimedUp: ScalarNetwork -> bool) c =
    let net = build c
    let g = fn (LazyRich.Gamma net)
    let ts = grid (12.0 * net.Z / (2.0 * net.Omega)) 200
    let up = claimedUp net

    let violations =
        List.pairwise ts
        |> List.filter (fun (t0, t1) -> if up then g t1 < g t0 - 1e-12 else g t1 > g t0 + 1e-12)
        |> List.length

    within (float violations) 0.0

[<Fact>]
let ``R31 gamma is monotone, increasing iff S > S0`` () =
    check 5 network (monotoneVerdict (fun n -> n.S > n.S0))

[<Fact>]
let ``R31 control: "gamma increasing" when S < S0 is rejected`` () =
    // S below S0: the network of the first five knobs with S replaced by S0 − δ, δ ∈ [0.05, 2] (sixth knob)
    let case (k: int[]) =
        let c = network k[0..4]
        let n0 = build { c with S = 0.0 }

        { c with
            S = n0.S0 - geo 0.05 0.5 2.0 k[5]
        }

    mustFail 6 case (monotoneVerdict (fun _ -> true))

/// Lower bound γ₊ ≥ S/Σ₀ (S > 0), spec generator: p ≤ 20, Z ∈ [0.1, 10], S ~ Exp(1) (here S ∈ [0.01, 5]).
type BoundCase =
    {
        P: int
        Z: float
        S: float
        Seed: int
        Balanced: bool
    }

let boundCase balanced (k: int[]) =
    {
        P = intIn 1 20 k[0]
        Z = geo 0.1 1.0 10.0 k[1]
        S = geo 0.01 1.0 5.0 k[2]
        Seed = abs k[3]
        Balanced = balanced
    }

let boundNet c =
    let rng = Rng(c.Seed)
    let a = rng.Normals(c.P, 1.0) |> Array.map abs

    let b =
        if c.Balanced then
            Array.copy a
        else
            rng.Normals(c.P, 1.0) |> Array.map (fun x -> abs x + 0.1)

    ScalarNetwork(a, b, c.Z, c.S)

[<Fact>]
let ``R31 gamma_plus >= S/Sigma0, with equality for a = b`` () =
    check 4 (boundCase false) (fun c ->
        let n = boundNet c
        within (max 0.0 (LazyRich.GammaPlusLowerBound n - LazyRich.GammaPlus n)) 1e-12)

    check 4 (boundCase true) (fun c ->
        let n = boundNet c
        within (abs (LazyRich.GammaPlusLowerBound n - LazyRich.GammaPlus n)) (1e-12 * LazyRich.GammaPlus n))

[<Fact>]
let ``R31 control: gamma_plus = S/Sigma0 claimed as equality for unbalanced init is rejected`` () =
    mustFail 4 (boundCase false) (fun c ->
        let n = boundNet c
        within (abs (LazyRich.GammaPlusLowerBound n - LazyRich.GammaPlus n)) (1e-12 * LazyRich.GammaPlus n))

/// R32 laziness: Σ₀ ∈ [e⁻⁶, e³], S₀/Σ₀ ∈ (−1, 1), S ∈ [e⁻⁴, e²] (p = Z = 1 realises any (Σ₀, S₀)).
type LazyCase = { Sigma0: float; Rho: float; S: float }

let lazyCase (k: int[]) =
    {
        Sigma0 = exp (lin -6.0 0.0 3.0 k[0])
        Rho = lin -0.95 0.0 0.95 k[1]
        S = exp (lin -4.0 0.0 2.0 k[2])
    }

let lazyNet c =
    let u = sqrt (2.0 * c.Sigma0 * (1.0 + c.Rho))
    let v = sqrt (2.0 * c.Sigma0 * (1.0 - c.Rho))
    ScalarNetwork([| (u + v) / 2.0 |], [| (u - v) / 2.0 |], 1.0, c.S)

[<Fact>]
let ``R32 laziness deviation is at most 0.25 |ln gamma_plus|`` () =
    check 3 lazyCase (fun c ->
        let n = lazyNet c
        within (LazyRich.LazinessDeviation n) (0.25 * abs (log (LazyRich.GammaPlus n))))

[<Fact>]
let ``R32 control: "lazy" (dev <= 0.01) is rejected for gamma_plus >= 10`` () =
    let rich (k: int[]) =
        {
            Sigma0 = exp (lin -6.0 -4.5 -3.0 k[0])
            Rho = lin -0.95 0.0 0.95 k[1]
            S = exp (lin 0.0 1.0 2.0 k[2])
        }

    mustFail 3 rich (fun c ->
        let n = lazyNet c
        Assert.True(LazyRich.GammaPlus n >= 10.0)
        within (LazyRich.LazinessDeviation n) 0.01)

/// R29: ±1 init: modes with aᵢ(0)bᵢ(0) > 0 scale as aᵢ² ∝ γ, those with aᵢ(0)bᵢ(0) < 0 as 1/γ (S of either sign).
/// Note: the spec classifies by aᵢbᵢS > 0 ("aligned"); that equals the sign of aᵢbᵢ only for S > 0. For S < 0 the
/// aligned modes (aᵢbᵢ < 0) scale as 1/γ — they still grow, because γ then decreases.
type SignCase = { P: int; S: float; Seed: int }

let signCase (k: int[]) =
    {
        P = intIn 2 12 k[0]
        S = (if k[1] >= 0 then 1.0 else -1.0) * geo 0.5 2.0 8.0 (abs k[1])
        Seed = abs k[2]
    }

let alignedVerdict swap c =
    let rng = Rng(c.Seed)
    let a = Array.init c.P (fun _ -> if rng.Bit() = 0 then -1.0 else 1.0)
    let b = Array.init c.P (fun _ -> if rng.Bit() = 0 then -1.0 else 1.0)
    a[0] <- b[0] // at least one mode with a + b ≠ 0, so Σ₀ + S₀ > 0 (Z = 1)
    let net = ScalarNetwork(a, b, 1.0, c.S)
    let g = fn (LazyRich.Gamma net)
    let sim = fn (LazyRich.Simulate net)

    let err =
        grid 1.0 20
        |> List.map (fun t ->
            let y = sim t

            [
                for i in 0 .. c.P - 1 ->
                    let aligned = a[i] * b[i] > 0.0
                    let scale = if aligned <> swap then g t else 1.0 / g t
                    abs (y[i] * y[i] - a[i] * a[i] * scale)
            ]
            |> List.max)
        |> List.max

    within err 1e-8

[<Fact>]
let ``R29 aligned modes grow with gamma, anti-aligned shrink with 1/gamma`` () = check 3 signCase (alignedVerdict false)

[<Fact>]
let ``R29 control: the aligned scaling applied to anti-aligned modes is rejected`` () =
    mustFail 3 signCase (alignedVerdict true)
