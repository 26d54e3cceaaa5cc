/// R1–R8 exact identities and premises: each misprinted (control) form is a specific wrong formula (off by the factor
/// the errata name, or right exactly where the misprint does not matter), constructions mean what they say, and
/// premises outside a theorem's range are rejected.
module LinearExactTests

open System
open global.Xunit
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Telescope.Theory.Checks
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

[<Fact>]
let ``NormalStream draws N(0, 1): KS distance to Phi, mean, variance and lag-1 correlation; a uniform stream is rejected``
    ()
    =
    let m = 100_000

    let ks (xs: float[]) =
        let s = Array.sort xs

        s
        |> Array.mapi (fun i x ->
            let f = MathNet.Numerics.Distributions.Normal.CDF(0.0, 1.0, x)
            max (abs (float (i + 1) / float m - f)) (abs (f - float i / float m)))
        |> Array.max
    // 1.95/√m: the KS statistic's 0.1 % point
    let bound = 1.95 / sqrt (float m)

    for seed in [ 0L; 1L; 24L; -7L ] do
        let ns = NormalStream seed
        let xs = Array.init m (fun _ -> ns.Next())
        let mean = Array.average xs
        let var = (xs |> Array.sumBy (fun x -> (x - mean) ** 2.0)) / float (m - 1)
        let lag = (Array.pairwise xs |> Array.sumBy (fun (a, b) -> a * b)) / float (m - 1)
        Assert.True(ks xs < bound, $"seed {seed}: KS {ks xs} >= {bound}")
        Assert.True(abs mean < 5.0 / sqrt (float m), $"seed {seed}: mean {mean}")
        // Var of the sample variance of N(0,1) is 2/m
        Assert.True(abs (var - 1.0) < 5.0 * sqrt (2.0 / float m), $"seed {seed}: variance {var}")
        Assert.True(abs lag < 5.0 / sqrt (float m), $"seed {seed}: lag-1 correlation {lag}")
    // same seed, same sequence; Fill is Next in order
    let a, b = NormalStream 5L, NormalStream 5L
    let filled = Array.zeroCreate<float> 1001
    a.Fill(Span filled)
    Assert.Equal<float[]>(filled, Array.init 1001 (fun _ -> b.Next()))
    // control: a uniform stream with variance 1 is far from Phi for the same statistic
    let r = Random 3
    let uniform = Array.init m (fun _ -> sqrt 3.0 * (2.0 * r.NextDouble() - 1.0))
    Assert.True(ks uniform > 3.0 * bound, $"uniform KS {ks uniform}")

[<Fact>]
let ``the two-level fits of several tails on shared draws equal one simulation per tail, trial for trial`` () =
    for n, d, p, seed in [ (10, 3, 30, 1); (40, 5, 41, 7); (12, 5, 100, 2) ] do
        let tails = [| float n / float (p - d); 0.05 * float (n - d) / float (p - d) |]

        let shared =
            Eigenlearning.SimulateTwoLevelTrials(n, d, p, tails, [| 1; d + 1 |], 6, seed)

        for t in 0..1 do
            let one =
                Eigenlearning.SimulateTrials(
                    LearnabilityProblem(Eigenlearning.TwoLevel(d, p, tails[t]), n),
                    [| 1; d + 1 |],
                    6,
                    seed
                )

            for trial in 0..5 do
                for j in 0..1 do
                    let expected: float = one[trial][j]
                    close (1e-9 * max 1.0 (abs expected)) expected (shared[t][trial][j])

[<Fact>]
let ``linear R5 fits per point: trials at learn_n = 40, scaled by (40/n)^2, at least 20, at most trials`` () =
    Assert.Equal(400, LinearCheck.Fits(400, 40))
    Assert.Equal(100, LinearCheck.Fits(400, 80))
    // 500 (40/200)^2 = 20 exactly (a float 0.2^2 would round up to 21)
    Assert.Equal(20, LinearCheck.Fits(500, 200))
    Assert.Equal(20, LinearCheck.Fits(20, 200))
    // 100 (40/200)^2 = 4 -> the spec's floor of 20
    Assert.Equal(20, LinearCheck.Fits(100, 200))
    // 21 (40/41)^2 = 19.99 -> 20; 500 (40/57)^2 = 246.2 -> 247; 30 (40/41)^2 = 28.6 -> 29
    Assert.Equal(20, LinearCheck.Fits(21, 41))
    Assert.Equal(247, LinearCheck.Fits(500, 57))
    Assert.Equal(29, LinearCheck.Fits(30, 41))

[<Fact>]
let ``linear R5 power-law rows: mean of the fits and tolerance 0.05 + 4 standard errors, recomputed from the trials``
    ()
    =
    let n, p, beta, trials, seed = 80, 300, 1.5, 400, 5
    let rows = LinearCheck.Learnability(n, p, beta, trials, seed)
    let ks = [| 1; 2; 5; 10; 20; 40; n |]
    // 400 (40/80)^2 = 100 fits, each one row of SimulateTrials
    let fits =
        Eigenlearning.SimulateTrials(LearnabilityProblem(Eigenlearning.PowerLaw(p, beta), n), ks, 100, seed)

    let power =
        rows
        |> Seq.filter (fun r -> r.Quantity = "learnability_power_law")
        |> Seq.toArray

    Assert.Equal(ks.Length, power.Length)

    for j in 0 .. ks.Length - 1 do
        let xs = fits |> Array.map (fun f -> f[j])
        let mean = Array.sum xs / 100.0
        let sd = sqrt ((xs |> Array.sumBy (fun x -> (x - mean) * (x - mean))) / 99.0)
        Assert.Equal(float ks[j], power[j].X)
        close 1e-12 mean power[j].Simulated
        close 1e-12 (0.05 + 4.0 * sd / 10.0) power[j].Tolerance

/// One parameter set of the linear check, in its declared order (n, p, eta, init_sd, learn_n, learn_p, beta, trials,
/// classes, seed): the sets below are sampled sets of SampledTests written out.
let private linearSet n p eta initSd learnN learnP beta trials classes seed =
    readOnlyDict
        [
            "n", n
            "p", p
            "eta", eta
            "init_sd", initSd
            "learn_n", learnN
            "learn_p", learnP
            "beta", beta
            "trials", trials
            "classes", classes
            "seed", seed
        ]

[<Fact>]
let ``R7 the squared-utilization control is rejected for 6 to 8 classes (sampled set classes = 7, seed = 824841)`` () =
    // with 6 features for up to 8 classes the fitted outputs spanned all of span{e}: the squared form summed to 1
    for classes in 6..8 do
        for seed in [ 824841; 155886; 1 ] do
            let rows = LinearCheck.QualityAndUtilization(classes, seed)
            Assert.True(rows |> Seq.filter (fun r -> not r.Control) |> Seq.forall (fun r -> r.Accepted))
            let control = rows |> Seq.filter (fun r -> r.Control) |> Seq.exactlyOne
            Assert.False(control.Accepted, $"classes {classes}, seed {seed}: squared sum {control.Simulated}")

    // the sampled set (seed 2411 of SampledTests) with learn_p = 1350, trials = 1081 brought into today's ranges
    let check = TheoryCatalog.Find "linear"

    let struct (outcome, _, _) =
        TheorySampler.Run(
            check,
            linearSet 76.0 2.0 4.656854413592654 0.8401080094464626 68.0 1000.0 1.532594402335861 500.0 7.0 824841.0
        )

    Assert.True(outcome = TheoryOutcome.Pass || outcome = TheoryOutcome.ControlNotInformative, $"{outcome}")

[<Fact>]
let ``R2 the theta = O w control is declared not informative where O is symmetric (sampled set p = 2, seed = 83959)``
    ()
    =
    let check = TheoryCatalog.Find "linear"

    let v =
        linearSet 100.0 2.0 3.9767212190556904 1.3929146963138668 122.0 976.0 2.3036251822503404 500.0 2.0 83959.0

    let struct (outcome, report, _) = TheorySampler.Run(check, v)
    Assert.Equal(TheoryOutcome.ControlNotInformative, outcome)
    Assert.Equal<string seq>([ "control_theta_Ow" ], report.Uninformative)
    // the reason: O is a reflection, so O = O' (an independent look at the rotation)
    let pr = LinearCheck.ProblemOf v
    let o = FeatureBasis.Rotation(pr.Phi, EigenFeatures.Of pr.Phi)
    close 1e-12 -1.0 (o.Determinant())
    close 1e-12 0.0 ((o - o.Transpose()).FrobeniusNorm())
    // where O is a rotation the control is kept and rejected
    let mutable kept = 0

    for seed in 1..6 do
        let pr = LinearModelProblem.Random(40, 2, 1.0, 0.0, seed)
        let o = FeatureBasis.Rotation(pr.Phi, EigenFeatures.Of pr.Phi)

        if o.Determinant() > 0.0 then
            kept <- kept + 1
            Assert.Null(LinearCheck.ThetaControlUninformative o)

            let rows =
                LinearCheck.Basis(pr, seed)
                |> Seq.filter (fun r -> r.Quantity = "control_theta_Ow")

            Assert.Contains(rows, fun r -> not r.Accepted)

    Assert.True(kept > 0, "no rotation among 6 seeds")

[<Fact>]
let ``R5 the L_top = 1 control is declared not informative where learn_p is just above learn_n (sampled set learn_n = 137, learn_p = 147)``
    ()
    =
    let check = TheoryCatalog.Find "linear"

    let v =
        linearSet 79.0 8.0 1.2445724853754847 1.3595529782397453 137.0 147.0 2.5878257693666153 445.0 3.0 66136.0

    let struct (outcome, report, _) = TheorySampler.Run(check, v)
    Assert.Equal(TheoryOutcome.ControlNotInformative, outcome)
    Assert.Contains("control_L_top_is_1_thesis_tail", report.Uninformative)
    // the reason, recomputed independently: the thesis tail's closed-form L_top = ρ₁/(ρ₁ + κ) with the two-level
    // spectrum (5 entries 1, the tail mass learn_n spread over the other learn_p − 5) is within 0.35 of 1
    let lTop =
        Eigenlearning
            .Learnability(LearnabilityProblem(Eigenlearning.TwoLevel(5, 147, 137.0 / float (147 - 5)), 137))
            .[0]

    Assert.True(1.0 - lTop < 0.35, $"L_top = {lTop}")
    // at the defaults the control is kept and rejected: L_top lies far from 1 there
    let d = check.Parameters |> Seq.map (fun p -> p.Name, p.Default) |> readOnlyDict
    let struct (outcomeD, reportD, _) = TheorySampler.Run(check, d)
    Assert.Equal(TheoryOutcome.Pass, outcomeD)

    Assert.True(
        reportD.Uninformative = null
        || not (Seq.contains "control_L_top_is_1_thesis_tail" reportD.Uninformative)
    )

    Assert.Contains(reportD.Rows, fun r -> r.Quantity = "control_L_top_is_1_thesis_tail" && r.Control)
