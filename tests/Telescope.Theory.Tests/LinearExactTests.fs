/// R1–R8 exact identities and premises: each misprinted (control) form is a specific wrong formula (off by the factor
/// the errata name, or right exactly where the misprint does not matter), constructions mean what they say, and
/// premises outside a theorem's range are rejected.
module LinearExactTests

open System
open global.Xunit
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Harness

let close (tol: float) (expected: float) (actual: float) =
    Assert.True(abs (expected - actual) <= tol, sprintf "expected %g, got %g (tolerance %g)" expected actual tol)

[<Fact>]
let ``premises of the linear family reject out-of-range parameters`` () =
    bad (fun () -> LinearModelProblem.Random(3, 4, 1.0, 0.0, 1))
    bad (fun () -> LinearModelProblem.Random(5, 0, 1.0, 0.0, 1))
    bad (fun () -> LinearModelProblem.Random(10, 2, 0.0, 0.0, 1))
    bad (fun () -> LinearModelProblem.Random(10, 2, nan, 0.0, 1))
    // a repeated feature column: Σ_Φ is rank deficient
    let phi = Matrix<float>.Build.Dense(10, 2, fun i _ -> float i)
    bad (fun () -> EigenFeatures.Of phi)
    bad (fun () -> LearnabilityProblem(Array.create 10 1.0, 0).Validate())
    bad (fun () -> LearnabilityProblem(Array.create 10 1.0, 10).Validate())
    bad (fun () -> LearnabilityProblem(Array.append (Array.create 5 1.0) (Array.zeroCreate 10), 5).Validate())
    bad (fun () -> LearnabilityProblem([| 1.0; -1.0; 1.0 |], 1).Validate())
    bad (fun () -> LearnabilityProblem([| 1.0; nan; 1.0 |], 1).Validate())
    bad (fun () -> LearnabilityProblem([| 1.0; infinity; 1.0 |], 1).Validate())
    let ok = LearnabilityProblem(Array.create 10 1.0, 3)
    bad (fun () -> Eigenlearning.Simulate(ok, [| 1 |], 1, 0))
    bad (fun () -> Eigenlearning.Simulate(ok, [||], 5, 0))
    bad (fun () -> Eigenlearning.Simulate(ok, [| 0 |], 5, 0))
    bad (fun () -> Eigenlearning.Simulate(ok, [| 11 |], 5, 0))
    bad (fun () -> Eigenlearning.MeanAndStdErr [| 1.0 |])

    for rho in [ [||]; [| 0.0; 0.0 |]; [| 1.0; -0.1 |]; [| 1.0; nan |]; [| infinity |] ] do
        bad (fun () -> EffectiveDimension.Of rho)
        bad (fun () -> EffectiveDimension.WithoutConstant rho)

    bad (fun () -> ClassTask.Random(1, 5, 2, 1.0, 0))
    bad (fun () -> ClassTask.Random(2, 0, 2, 1.0, 0))
    bad (fun () -> ClassTask.Random(2, 5, 0, 1.0, 0))
    bad (fun () -> ClassTask.Random(2, 2, 5, 1.0, 0))
    let labels = [| 0; 1; 2; 0; 1; 2 |]
    bad (fun () -> MinimumProjection.Features(labels, 3, 1.0, 1.0, 3, 0))
    bad (fun () -> MinimumProjection.Features(labels, 3, 0.0, 1.0, 5, 0))
    bad (fun () -> MinimumProjection.Features(labels, 3, 1.0, -1.0, 5, 0))
    let task = ClassTask.Random(2, 4, 2, 1.0, 0)
    let ef = EigenFeatures.Of task.Phi
    bad (fun () -> FeatureMetrics.Utilization(ef, Matrix<float>.Build.Dense(8, 2)))

[<Fact>]
let ``spectra, statistics and cumulative sums are what their names say`` () =
    Assert.Equal<float[]>([| 1.0; 0.25; 1.0 / 9.0 |], Eigenlearning.PowerLaw(3, 2.0))
    Assert.Equal<float[]>([| 1.0; 1.0; 0.1; 0.1 |], Eigenlearning.TwoLevel(2, 4, 0.1))
    Assert.Equal<float[]>([| 1.0; 3.0; 6.0 |], FeatureMetrics.Cumulative [| 1.0; 2.0; 3.0 |])
    let struct (mean, se) = Eigenlearning.MeanAndStdErr [| 1.0; 3.0; 5.0; 7.0 |]
    close 1e-15 4.0 mean
    close 1e-15 (sqrt (20.0 / 3.0 / 4.0)) se
    close 1e-15 (exp (-Math.E)) (EffectiveDimension.Unnormalised [| Math.E; 1.0; 0.0 |])
    close 1e-12 1.0 (EffectiveDimension.WithoutConstant [| 3.0 |])
    close 1e-12 1.0 (EffectiveDimension.WithoutConstant [| 3.0; 0.0; 0.0 |])
    close 1e-12 2.0 (EffectiveDimension.WithoutConstant [| 1.0; 2.0 |])
    close 1e-12 3.0 (EffectiveDimension.WithoutConstant [| 1.0; 5.0; 1.0 |])

[<Fact>]
let ``the Monte Carlo learnability is the mean of its trials, one row per trial`` () =
    let pr = LearnabilityProblem(Eigenlearning.PowerLaw(60, 1.5), 10)
    let fits = Eigenlearning.SimulateTrials(pr, [| 1; 4 |], 7, 3)
    Assert.Equal(7, fits.Length)
    let struct (mean, se) = Eigenlearning.Simulate(pr, [| 1; 4 |], 7, 3)

    for j in 0..1 do
        let struct (m, s) = Eigenlearning.MeanAndStdErr(fits |> Array.map (fun f -> f[j]))
        close 1e-15 m mean[j]
        close 1e-15 s se[j]

[<Fact>]
let ``R5 learnability is linear in the target: several target components are each learned at rho/(rho + kappa)`` () =
    checkWith seeded 3 (fun k -> intIn 40 60 k[0], intIn 200 300 k[1], abs k[2]) (fun (n, p, seed) ->
        let pr = LearnabilityProblem(Eigenlearning.PowerLaw(p, 1.5), n)
        let ks = [| 1; 3; 8 |]
        let struct (mean, se) = Eigenlearning.Simulate(pr, ks, 20, seed)
        let l = Eigenlearning.Learnability pr

        let excess =
            [
                for j in 0..2 -> abs (mean[j] - l[ks[j] - 1]) - Eigenlearning.Tolerance(0.05, se[j])
            ]
            |> List.max

        within (max 0.0 excess) 0.0)

[<Fact>]
let ``R1 the raw-coordinates law is right exactly when features are uncorrelated (p = 1)`` () =
    check 3 (fun k -> intIn 4 40 k[0], geo 0.1 0.7 3.0 k[1], abs k[2]) (fun (n, eta, seed) ->
        let pr = LinearModelProblem.Random(n, 1, eta, 0.5, seed)
        let claim, sim = LinearModel.RawCoordinatesClaim pr, LinearModel.SimulateRaw pr
        let scale = max 1.0 (pr.Target.AbsoluteMaximum())

        within
            (LinearModel.Times pr
             |> Array.map (fun t -> (claim.Invoke t - sim.Invoke t).AbsoluteMaximum())
             |> Array.max)
            (1e-9 * scale))

[<Fact>]
let ``R1 comparison times reach 3 relaxation times of the slowest mode`` () =
    let pr = LinearModelProblem.Random(40, 3, 0.7, 0.5, 4)
    let ef = EigenFeatures.Of pr.Phi
    let cf = LinearModel.Coefficients pr
    let ts = LinearModel.Times pr
    let cStar = ef.Coefficients pr.Target
    let c0 = cf.Invoke 0.0
    let last = cf.Invoke ts[ts.Length - 1]
    close 1e-12 (exp -3.0) ((last[2] - cStar[2]) / (c0[2] - cStar[2]))
    close 1e-12 0.0 ts[0]
    Assert.True(ts |> Array.pairwise |> Array.forall (fun (a, b) -> a < b))

[<Fact>]
let ``eigen-features are orthonormal in L2(q)`` () =
    check 3 (fun k -> intIn 1 6 k[0], abs k[1]) (fun (p, seed) ->
        let pr = LinearModelProblem.Random(4 * p + 4, p, 1.0, 0.0, seed)
        let g = EigenFeatures.Of(pr.Phi).Gram()
        within ((g - Matrix<float>.Build.DenseIdentity p).FrobeniusNorm()) 1e-10)

[<Fact>]
let ``R7 the thesis' squared utilization is the corrected one squared times dim H`` () =
    check 3 (fun k -> intIn 2 5 k[0], intIn 1 6 k[1], abs k[2]) (fun (c, p, seed) ->
        let task = ClassTask.Random(c, 2 * p, p, 1.0, seed)
        let ef = EigenFeatures.Of task.Phi
        let out = task.FittedOutputs()
        let u = FeatureMetrics.Utilization(ef, out)
        let sq = FeatureMetrics.UtilizationSquared(ef, out)
        let dim = float (min c p) // rank of the least-squares outputs

        within (Array.map2 (fun a b -> abs (b - a * a * dim)) u sq |> Array.max) 1e-12)

[<Fact>]
let ``R7 class features grow linearly with the signal and a bias shifts every output`` () =
    let f s = ClassTask.Random(3, 4, 5, s, 9).Phi
    let d1, d2 = f 1.0 - f 0.0, f 2.0 - f 0.0
    close 1e-12 0.0 (mmax (d2 - 2.0 * d1))
    let task = ClassTask.Random(3, 4, 5, 1.0, 9)
    close 1e-12 0.0 (mmax (task.FittedOutputs 0.5 - task.FittedOutputs 0.0 - 0.5))

[<Fact>]
let ``R8 the MP feature map realises the MP kernel a1 + a2 C [same class]`` () =
    check
        5
        (fun k -> intIn 2 5 k[0], intIn 1 6 k[1], geo 0.1 0.7 3.0 k[2], geo 0.1 1.3 3.0 k[3], abs k[4])
        (fun (c, m, a1, a2, seed) ->
            let labels = Array.init (c * m) (fun i -> i % c)
            let phi = MinimumProjection.Features(labels, c, a1, a2, c + 2, seed)
            let k = MinimumProjection.Kernel(labels, c, a1, a2)
            within (mmax (phi * phi.Transpose() - k)) 1e-10)

[<Fact>]
let ``R8 the thesis' Eq 2.19 constant is the corrected one divided by C`` () =
    for c in 2..6 do
        for i in 0 .. c - 1 do
            for j in 0 .. c - 1 do
                close
                    1e-15
                    (MinimumProjection.MpIdentity(c, 1.7, i, j) / float c)
                    (MinimumProjection.MpIdentityMisprinted(c, 1.7, i, j))

        close 0.0 (float (c * c)) (MinimumProjection.MeanInnerFactor c)
        close 0.0 1.0 (MinimumProjection.MeanInnerFactorMisprinted c)

[<Fact>]
let ``R8 CKA is invariant to adding a constant to a kernel (it centres)`` () =
    check 3 (fun k -> intIn 4 30 k[0], lin -5.0 1.0 5.0 k[1], abs k[2]) (fun (n, shift, seed) ->
        let rng = Rng seed
        let a = LinAlg.Gaussian(rng, n, 3)
        let b = LinAlg.Gaussian(rng, n, 4)
        let ka, kb = a * a.Transpose(), b * b.Transpose()
        within (abs (MinimumProjection.Cka(ka + shift, kb) - MinimumProjection.Cka(ka, kb))) 1e-10)

[<Fact>]
let ``R8 total scatter = within-class + between-class scatter (balanced classes)`` () =
    check 4 (fun k -> intIn 2 5 k[0], intIn 1 6 k[1], intIn 1 6 k[2], abs k[3]) (fun (c, m, p, seed) ->
        let labels = Array.init (c * m) (fun i -> i % c)
        let phi = LinAlg.Gaussian(Rng seed, c * m, p)
        let means = MinimumProjection.ClassMeans(phi, labels, c)
        let g = Vector<float>.Build.Dense(p, fun j -> phi.Column(j).Sum() / float (c * m))

        let total =
            [ for x in 0 .. c * m - 1 -> (phi.Row x - g).DotProduct(phi.Row x - g) ]
            |> List.average

        let between =
            [ for i in 0 .. c - 1 -> (means.Row i - g).DotProduct(means.Row i - g) ]
            |> List.average

        within (abs (total - MinimumProjection.WithinClassScatter(phi, labels, means) - between)) 1e-10)
