/// R1–R3, R5, R6: linear models and their eigen-features (spec §1).
module LinearTests

open System
open global.Xunit
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Harness

/// n ∈ 8..60 points (n ≥ 4p, so Σ_Φ is well conditioned), p ∈ 1..6 correlated features, η ∈ [0.1, 3], init sd ∈ [0, 1], seed.
type Case =
    {
        N: int
        P: int
        Eta: float
        InitSd: float
        Seed: int
    }

let case (k: int[]) =
    let p = intIn 1 6 k[0]

    {
        N = max (4 * p) (intIn 8 60 k[1])
        P = p
        Eta = geo 0.1 0.7 3.0 k[2]
        InitSd = lin 0.0 0.0 1.0 (abs k[3])
        Seed = abs k[4]
    }

let problem c =
    LinearModelProblem.Random(c.N, c.P, c.Eta, c.InitSd, c.Seed)

let vmax (v: Vector<float>) = v.AbsoluteMaximum()

/// Largest |closed − simulated| over the comparison times, relative to the largest target coefficient.
let modesVerdict
    (closed: LinearModelProblem -> Func<float, Vector<float>>)
    (simulated: LinearModelProblem -> Func<float, Vector<float>>)
    c
    =
    let pr = problem c
    let cf, sim = closed pr, simulated pr
    let scale = max 1.0 (vmax (EigenFeatures.Of(pr.Phi).Coefficients pr.Target))

    within
        (LinearModel.Times pr
         |> Array.map (fun t -> vmax (cf.Invoke t - sim.Invoke t))
         |> Array.max)
        (1e-9 * scale)

[<Fact>]
let ``R1 each eigen-coordinate relaxes as c* + (c(0) - c*) exp(-eta rho_k t)`` () =
    check 5 case (modesVerdict LinearModel.Coefficients LinearModel.Simulate)

[<Fact>]
let ``R1 control: the layerwise rate 2 eta rho_k is rejected`` () =
    mustFail 5 case (modesVerdict LinearModel.CoefficientsLayerwiseRate LinearModel.Simulate)

[<Fact>]
let ``R1 control: the exponential law in raw (correlated) feature coordinates is rejected`` () =
    // p = 1 is diagonal and passes; shrinking must stop at p = 2
    mustFail 5 case (modesVerdict LinearModel.RawCoordinatesClaim LinearModel.SimulateRaw)

[<Fact>]
let ``R1 the part of f* outside span{e_k} is never learned`` () =
    check 5 case (fun c ->
        let pr = problem c
        let ef = EigenFeatures.Of pr.Phi
        let inSpan = ef.E * ef.Coefficients pr.Target
        let residual = pr.Target - inSpan
        let w = LinearModel.Flow pr
        let f = pr.Phi * w.Invoke(30.0 / (pr.Eta * ef.Rho[ef.Rho.Count - 1]))
        // f_t → the projection of f* on span{e}: what stays is exactly the orthogonal residual
        within ((pr.Target - f - residual).AbsoluteMaximum()) (1e-8 * max 1.0 (vmax pr.Target)))

/// R2: O is orthogonal, θ = Oᵀw reproduces f, ρ_k = Σ_j ⟨Φ_j|e_k⟩², ‖θ‖ = ‖w‖ — the largest violation.
let basisVerdict (theta: Matrix<float> -> Vector<float> -> Vector<float>) c =
    let pr = problem c
    let ef = EigenFeatures.Of pr.Phi
    let o = FeatureBasis.Rotation(pr.Phi, ef)
    let w = Vector<float>.Build.DenseOfArray(Rng(c.Seed + 1).Normals(c.P))
    let th = theta o w

    let ortho =
        (o.TransposeThisAndMultiply o - Matrix<float>.Build.DenseIdentity c.P).FrobeniusNorm()

    let f = (pr.Phi * w - FeatureBasis.Synthesize(ef, th)).AbsoluteMaximum()

    let rho =
        (FeatureBasis.RhoFromInnerProducts(pr.Phi, ef) - ef.Rho).AbsoluteMaximum()
        / ef.Rho[0]

    let norm = abs (th.L2Norm() - w.L2Norm())
    within (List.max [ ortho; f; rho; norm ]) 1e-10

[<Fact>]
let ``R2 theta = O' w: O orthogonal, f reproduced, rho_k = sum_j <Phi_j|e_k>^2`` () =
    check 5 case (basisVerdict (fun o w -> FeatureBasis.Theta(o, w)))

[<Fact>]
let ``R2 control: the thesis' theta = O w is rejected`` () =
    // p = 1 makes O = ±1 symmetric; shrinking stops at the first non-symmetric O
    mustFail 5 case (basisVerdict (fun o w -> FeatureBasis.ThetaMisprinted(o, w)))

/// R3: the SVD estimate's ρ matches Σ_Φ's spectrum (rel) and each e_k has unit L²(q) norm.
let nystromVerdict (estimate: Matrix<float> -> struct (Vector<float> * Matrix<float>)) c =
    let pr = problem c
    let ef = EigenFeatures.Of pr.Phi
    let struct (rho, e) = estimate pr.Phi
    let rhoErr = ((rho - ef.Rho).PointwiseDivide ef.Rho).AbsoluteMaximum()

    let normErr =
        [
            for k in 0 .. c.P - 1 -> abs (EigenFeatures.Inner(e.Column k, e.Column k) - 1.0)
        ]
        |> List.max

    within (max rhoErr normErr) 1e-10

[<Fact>]
let ``R3 Nystrom with rho = s^2/n and e = sqrt n u'Phi/s recovers the eigen-features`` () =
    check 5 case (nystromVerdict FeatureBasis.Nystrom)

[<Fact>]
let ``R3 control: the thesis' Algorithm 1 (rho = s^2, e = u'Phi/s) is rejected`` () =
    mustFail 5 case (nystromVerdict FeatureBasis.NystromMisprinted)

/// R5 power-law case: n ∈ 40..60, p ∈ 200..400, β ∈ [1.2, 2], target index k ∈ 1..20, seed.
type LearnCase =
    {
        N: int
        P: int
        Beta: float
        K: int
        Seed: int
    }

let learnCase (k: int[]) =
    {
        N = intIn 40 60 k[0]
        P = intIn 200 400 k[1]
        Beta = lin 1.2 1.5 2.0 k[2]
        K = intIn 1 20 k[3]
        Seed = abs k[4]
    }

/// |mean ĉ_k/c*_k − ρ_k/(ρ_k + κ)| over 20 trials ≤ 0.05 + 4 SE (spec R5, n ≥ 40; Monte Carlo noise added).
let learnVerdict (spectrum: LearnCase -> float[]) (predict: LearnabilityProblem -> int -> float) c =
    let pr = LearnabilityProblem(spectrum c, c.N)
    let struct (mean, se) = Eigenlearning.Simulate(pr, [| c.K |], 20, c.Seed)
    within (abs (mean[0] - predict pr c.K)) (Eigenlearning.Tolerance(0.05, se[0]))

let eigenlearning (pr: LearnabilityProblem) k = (Eigenlearning.Learnability pr)[k - 1]

[<Fact>]
let ``R5 learnability rho/(rho + kappa) on power-law spectra`` () =
    checkWith seeded 5 learnCase (learnVerdict (fun c -> Eigenlearning.PowerLaw(c.P, c.Beta)) eigenlearning)

/// Two-level spectra: d ∈ 2..8 top features, n ∈ 60..100, p ∈ 300..600; tail mass r·(n − d), k = 1 (top) or d + 1.
type TwoLevelCase =
    {
        D: int
        N: int
        P: int
        Top: bool
        Seed: int
    }

let twoLevelCase (k: int[]) =
    {
        D = intIn 2 8 k[0]
        N = intIn 60 100 k[1]
        P = intIn 300 600 k[2]
        Top = k[3] >= 0
        Seed = abs k[4]
    }

let twoLevel tailMass (c: TwoLevelCase) =
    Eigenlearning.TwoLevel(c.D, c.P, tailMass c / float (c.P - c.D))

let twoLevelVerdict band tailMass (predict: LearnabilityProblem -> int -> float) c =
    let pr = LearnabilityProblem(twoLevel tailMass c, c.N)
    let k = if c.Top then 1 else c.D + 1
    let struct (mean, se) = Eigenlearning.Simulate(pr, [| k |], 20, c.Seed)
    within (abs (mean[0] - predict pr k)) (Eigenlearning.Tolerance(band, se[0]))

[<Fact>]
let ``R5 two-level spectrum with a small tail (mass 0.05 (n - d)): top learned, tail (n - d)/(p - d)`` () =
    checkWith seeded 5 twoLevelCase (twoLevelVerdict 0.05 (fun c -> 0.05 * float (c.N - c.D)) eigenlearning)

[<Fact>]
let ``R5 the thesis spectrum rho_tail = n/(p - d) still obeys rho/(rho + kappa) (kappa near 1)`` () =
    checkWith seeded 5 twoLevelCase (twoLevelVerdict 0.05 (fun c -> float c.N) eigenlearning)

[<Fact>]
let ``R5 control: the thesis claim L_top = 1 for rho_tail = n/(p - d) is rejected`` () =
    mustFailWith
        seeded
        5
        (fun ks -> { twoLevelCase ks with Top = true })
        (twoLevelVerdict 0.1 (fun c -> float c.N) (fun _ _ -> 1.0))

[<Fact>]
let ``R5 kappa solves sum rho/(rho + kappa) = n`` () =
    check 5 learnCase (fun c ->
        let pr = LearnabilityProblem(Eigenlearning.PowerLaw(c.P, c.Beta), c.N)
        let kappa = Eigenlearning.Kappa pr
        within (abs ((pr.Rho |> Array.sumBy (fun r -> r / (r + kappa))) - float c.N)) 1e-9)

[<Fact>]
let ``R5 premise: no kappa exists with at most n non-zero eigenvalues`` () =
    Assert.Throws<ArgumentException>(fun () ->
        Eigenlearning.Kappa(LearnabilityProblem(Array.create 10 1.0, 10)) |> ignore)
    |> ignore

/// R6 spectra: 1..8 entries, each 0 or a positive value, scale s ∈ [1e-3, 1e3].
type SpectrumCase = { Rho: float[]; Scale: float }

let spectrumCase (k: int[]) =
    let len = intIn 1 8 k[0]

    {
        Rho =
            [|
                for i in 0 .. len - 1 ->
                    if i > 0 && k[1 + i] % 3 = 0 && k[1 + i] <> 0 then
                        0.0
                    else
                        geo 0.01 1.0 100.0 k[1 + i]
            |]
        Scale = geo 1e-3 1.0 1e3 k[9]
    }

/// Scale invariance, the bounds 1 ≤ D ≤ #non-zero, and D'_eff = 1 + D_eff(tail): the largest violation.
let effDimVerdict (deff: float[] -> float) c =
    let d = deff c.Rho
    let scaled = deff (c.Rho |> Array.map ((*) c.Scale))
    let nnz = c.Rho |> Array.filter (fun r -> r > 0.0) |> Array.length |> float
    let bounds = max 0.0 (1.0 - d) + max 0.0 (d - nnz)
    within (abs (scaled - d) / d + bounds) 1e-12

[<Fact>]
let ``R6 D_eff = exp(entropy of rho/sum rho) is scale invariant and within [1, #non-zero]`` () =
    check 10 spectrumCase (effDimVerdict (fun r -> EffectiveDimension.Of r))

[<Fact>]
let ``R6 control: the entropy of the unnormalised spectrum is rejected`` () =
    mustFail 10 spectrumCase (effDimVerdict (fun r -> EffectiveDimension.Unnormalised r))

[<Fact>]
let ``R6 d equal entries give d; D'_eff = 1 + D_eff(rho_2..)`` () =
    check 2 (fun k -> intIn 1 12 k[0], geo 1e-3 1.0 1e3 k[1]) (fun (d, v) ->
        let equal = EffectiveDimension.Of(Array.create d v)

        let withZeros =
            EffectiveDimension.Of(Array.append (Array.create d v) [| 0.0; 0.0 |])

        let spectrum = Array.append [| 10.0 * v |] (Array.create d v)
        let prime = EffectiveDimension.WithoutConstant spectrum

        within
            (abs (equal - float d)
             + abs (withZeros - float d)
             + abs (prime - (1.0 + float d)))
            (1e-12 * float d))

/// The `linear` check's builders (its grids and tolerances) over its declared ranges; n is moved up to the premise
/// n ≥ 4p and learn_p above learn_n (maps, not filters).
module Check =
    open Telescope.Theory.Checks

    let linear = LinearCheck()

    let case =
        fromSpec linear.Parameters [ "n"; "p"; "eta"; "init_sd"; "seed" ]
        |> mapCase (fun v -> v.Add("n", max v["n"] (4.0 * v["p"])))

    [<Fact>]
    let ``linear R1 eigen-coordinates relax exponentially (layerwise rate, raw coordinates as controls)`` () =
        checkSpecWith (atMost 30) case (fun v -> claims (LinearCheck.Modes(LinearCheck.ProblemOf v)))

    [<Fact>]
    let ``linear R1 control: the layerwise rate and raw coordinates are rejected`` () =
        mustFailSpecWith (atMost 30) case (fun v -> controls (LinearCheck.Modes(LinearCheck.ProblemOf v)))

    [<Fact>]
    let ``linear R2 R3 basis and Nystrom`` () =
        checkSpecWith (atMost 30) case (fun v -> claims (LinearCheck.Basis(LinearCheck.ProblemOf v, int v["seed"])))

    [<Fact>]
    let ``linear R2 R3 controls: theta = O w and the thesis' Algorithm 1 are rejected`` () =
        mustFailSpecWith (atMost 30) case (fun v ->
            controls (LinearCheck.Basis(LinearCheck.ProblemOf v, int v["seed"])))

    let learnCase =
        fromSpec linear.Parameters [ "learn_n"; "learn_p"; "beta"; "seed" ]
        |> mapCase (fun v -> v.Add("learn_p", max v["learn_p"] (v["learn_n"] + 1.0)))

    let learn (v: Map<string, float>) =
        LinearCheck.Learnability(int v["learn_n"], int v["learn_p"], v["beta"], int v["trials"], int v["seed"])

    [<Fact>]
    let ``linear R5 learnability rho/(rho + kappa) against min-norm fits`` () =
        checkSpecWith (seededAtMost 5) learnCase (learn >> claims)

    [<Fact>]
    let ``linear R5 control: L_top = 1 for the thesis spectrum is rejected`` () =
        mustFailSpecWith (seededAtMost 5) learnCase (learn >> controls)

    let classCase = fromSpec linear.Parameters [ "classes"; "seed" ]

    let quality (v: Map<string, float>) =
        Seq.append
            (LinearCheck.EffectiveDimensions())
            (LinearCheck.QualityAndUtilization(int v["classes"], int v["seed"]))

    [<Fact>]
    let ``linear R6 R7 effective dimensions, quality and utilization`` () = checkSpec classCase (quality >> claims)

    [<Fact>]
    let ``linear R6 R7 controls: unnormalised entropy and the squared utilization are rejected`` () =
        mustFailSpec classCase (quality >> controls)
