/// R7–R8: feature quality and utilization; the minimum-projection operator and neural collapse (spec §2).
module FeatureMetricsTests

open System
open global.Xunit
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Harness

/// A balanced task: C ∈ 2..5 classes, m ∈ 2..12 points per class, p ∈ 1..8 features (n = C·m ≥ 2p), signal, seed.
type Case =
    {
        C: int
        M: int
        P: int
        Signal: float
        Seed: int
    }

let case (k: int[]) =
    let c = intIn 2 5 k[0]
    let p = intIn 1 8 k[2]

    {
        C = c
        M = max (intIn 2 12 k[1]) ((2 * p + c - 1) / c)
        P = p
        Signal = lin 0.0 1.0 3.0 k[3]
        Seed = abs k[4]
    }

let task c =
    ClassTask.Random(c.C, c.M, c.P, c.Signal, c.Seed)

let gap (a: float[]) (b: float[]) =
    Array.map2 (fun x y -> abs (x - y)) a b |> Array.max

[<Fact>]
let ``R7 quality: sum_i <e_k|f*_i>^2 = <e_k|P_H* e_k>/C and 0 <= Pi*(p) <= 1`` () =
    check 5 case (fun c ->
        let t = task c
        let ef = EigenFeatures.Of t.Phi
        let y = t.Indicators()
        let q1 = FeatureMetrics.Quality(ef, y)
        let q2 = FeatureMetrics.QualityByProjector(ef, y)
        let total = (FeatureMetrics.Cumulative q1)[c.P - 1]
        within (gap q1 q2 + max 0.0 (total - 1.0) + max 0.0 -(q1 |> Array.min)) 1e-10)

[<Fact>]
let ``R7 quality: Pi*(p) = 1 when the class indicators lie in the feature span`` () =
    check 5 case (fun c ->
        let t = task c
        // features = [indicators | the task's features]: every f*_i is in span{e} (n = C·m ≥ max(2C, 2p) ≥ C + p: full rank)
        let phi = t.Indicators().Append t.Phi
        let ef = EigenFeatures.Of phi
        let total = FeatureMetrics.Quality(ef, t.Indicators()) |> Array.sum
        within (abs (total - 1.0)) 1e-10)

/// Utilization of the least-squares outputs (bias b added to every output): |Π̂(p) − 1|.
let utilizationVerdict (utilization: EigenFeatures * Matrix<float> -> float[]) bias c =
    let t = task c
    let ef = EigenFeatures.Of t.Phi
    let u = utilization (ef, t.FittedOutputs bias)
    within (abs ((u |> Array.sum) - 1.0)) 1e-10

[<Fact>]
let ``R7 utilization <e_k|P_H e_k>/dim H sums to 1 when H lies in span{e}`` () =
    check 5 case (utilizationVerdict FeatureMetrics.Utilization 0.0)

[<Fact>]
let ``R7 control: the thesis' squared utilization (Eq 2.5) does not sum to 1`` () =
    mustFail 5 case (utilizationVerdict FeatureMetrics.UtilizationSquared 0.0)

[<Fact>]
let ``R7 control: outputs with a bias outside the feature span (premise violated) do not sum to 1`` () =
    mustFail 5 case (utilizationVerdict FeatureMetrics.Utilization 0.5)

/// MP features: C ∈ 2..5, m ∈ 1..10, a₁, a₂ ∈ [0.1, 3], extra dimensions 0..4, seed.
type MpCase =
    {
        C: int
        M: int
        A1: float
        A2: float
        Dim: int
        Seed: int
    }

let mpCase (k: int[]) =
    let c = intIn 2 5 k[0]

    {
        C = c
        M = intIn 1 10 k[1]
        A1 = geo 0.1 0.7 3.0 k[2]
        A2 = geo 0.1 1.3 3.0 k[3]
        Dim = c + 1 + intIn 0 4 k[4]
        Seed = abs k[5]
    }

let labels c =
    Array.init (c.C * c.M) (fun i -> i % c.C)

let mpFeatures c =
    MinimumProjection.Features(labels c, c.C, c.A1, c.A2, c.Dim, c.Seed)

let randomFeatures c =
    LinAlg.Gaussian(Rng(c.Seed), c.C * c.M, c.Dim)

let indicator c i =
    Vector<float>.Build.Dense(c.C * c.M, fun x -> if x % c.C = i then 1.0 else 0.0)

/// NC2 and NC1 of MP features: centred-mean Gram = C a₂(δ − 1/C), within-class scatter 0.
let nc2Verdict (closed: int -> float -> int -> int -> float) c =
    let phi = mpFeatures c
    let means = MinimumProjection.ClassMeans(phi, labels c, c.C)
    let g = MinimumProjection.CentredMeanGram means

    let err =
        [
            for i in 0 .. c.C - 1 do
                for j in 0 .. c.C - 1 -> abs (g[i, j] - closed c.C c.A2 i j)
        ]
        |> List.max

    within (err + MinimumProjection.WithinClassScatter(phi, labels c, means)) 1e-10

[<Fact>]
let ``R8 MP features collapse: centred class means form a simplex ETF C a2 (delta - 1/C), NC1 scatter 0`` () =
    check 6 mpCase (nc2Verdict (fun c a2 i j -> MinimumProjection.CentredMeanGramClosedForm(c, a2, i, j)))

[<Fact>]
let ``R8 control: the Gram a2 (delta - 1/C) (Eq 2.19's constant) is rejected`` () =
    mustFail 6 mpCase (nc2Verdict (fun c a2 i j -> MinimumProjection.MpIdentityMisprinted(c, a2, i, j)))

/// μ_iᵀμ_j = factor·⟨f̂_i|T f̂_j⟩ for any features (MP or random), relative error.
let meanInnerVerdict (factor: int -> float) features c =
    let phi: Matrix<float> = features c
    let k = phi * phi.Transpose()
    let means = MinimumProjection.ClassMeans(phi, labels c, c.C)

    let err =
        [
            for i in 0 .. c.C - 1 do
                for j in 0 .. c.C - 1 ->
                    let lhs = means.Row(i).DotProduct(means.Row j)

                    let rhs =
                        factor c.C * MinimumProjection.OperatorInner(k, indicator c i, indicator c j)

                    abs (lhs - rhs) / (1.0 + abs lhs)
        ]
        |> List.max

    within err 1e-10

[<Fact>]
let ``R8 class means: mu_i' mu_j = C^2 <f_i|T f_j> (MP and random features)`` () =
    check 6 mpCase (meanInnerVerdict (fun c -> MinimumProjection.MeanInnerFactor c) mpFeatures)
    check 6 mpCase (meanInnerVerdict (fun c -> MinimumProjection.MeanInnerFactor c) randomFeatures)

[<Fact>]
let ``R8 control: the thesis' factor 1 (Eq 2.18) is rejected`` () =
    mustFail 6 mpCase (meanInnerVerdict (fun c -> MinimumProjection.MeanInnerFactorMisprinted c) mpFeatures)

/// ⟨C f̂_i|T_MP[C f̂_j − 1]⟩ = closed(i, j) and ⟨1|T_MP[C f̂_j − 1]⟩ = 0, T_MP from the MP features' own kernel.
let mpIdentityVerdict (closed: int -> float -> int -> int -> float) c =
    let phi = mpFeatures c
    let k = phi * phi.Transpose()
    let one = Vector<float>.Build.Dense(c.C * c.M, 1.0)

    let err =
        [
            for i in 0 .. c.C - 1 do
                for j in 0 .. c.C - 1 do
                    let u = float c.C * indicator c j - one

                    yield
                        abs (
                            MinimumProjection.OperatorInner(k, float c.C * indicator c i, u)
                            - closed c.C c.A2 i j
                        )

                    yield abs (MinimumProjection.OperatorInner(k, one, u))
        ]
        |> List.max

    within err 1e-10

[<Fact>]
let ``R8 MP identity <C f_i|T_MP[C f_j - 1]> = a2 (C delta_ij - 1), <1|T_MP[C f_j - 1]> = 0`` () =
    check 6 mpCase (mpIdentityVerdict (fun c a2 i j -> MinimumProjection.MpIdentity(c, a2, i, j)))

[<Fact>]
let ``R8 control: the thesis' a2 (delta_ij - 1/C) (Eq 2.19) is rejected`` () =
    mustFail 6 mpCase (mpIdentityVerdict (fun c a2 i j -> MinimumProjection.MpIdentityMisprinted(c, a2, i, j)))

/// κ_CKA = 1 − CKA(K, K_MP) ≤ 0.1 (the MF regime) — true for MP features (κ = 0 to round-off).
let ckaVerdict features c =
    within (MinimumProjection.KappaCka(features c, labels c, c.C, c.A1, c.A2)) 0.1

[<Fact>]
let ``R8 CKA: MP features are at kappa_CKA = 0, in the MF regime`` () =
    check 6 mpCase (fun c -> within (abs (MinimumProjection.KappaCka(mpFeatures c, labels c, c.C, c.A1, c.A2))) 1e-10)
    check 6 mpCase (ckaVerdict mpFeatures)

[<Fact>]
let ``R8 control: random features are not in the MF regime (kappa_CKA < 0.1 rejected)`` () =
    mustFail 6 mpCase (ckaVerdict randomFeatures)

[<Fact>]
let ``R8 CKA is 1 for a kernel with itself and symmetric`` () =
    check 6 mpCase (fun c ->
        let a = randomFeatures c
        let b = mpFeatures c
        let ka, kb = a * a.Transpose(), b * b.Transpose()

        within
            (abs (MinimumProjection.Cka(ka, ka) - 1.0)
             + abs (MinimumProjection.Cka(ka, kb) - MinimumProjection.Cka(kb, ka)))
            1e-10)
