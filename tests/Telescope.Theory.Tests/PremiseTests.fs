/// Premises carried as data are checked, and each misprinted (control) form agrees with the corrected one exactly where
/// the misprint does not matter — so a control is a specific wrong formula, not any wrong formula.
module PremiseTests

open System
open global.Xunit
open Telescope.Theory
open Harness

/// Parameters outside a theorem's range are rejected by the premise check (ArgumentException), one at a time.
[<Fact>]
let ``premises reject out-of-range parameters`` () =
    for s, l, r0 in
        [
            0.0, 1.0, 0.1
            -1.0, 1.0, 0.1
            nan, 1.0, 0.1
            1.0, 0.0, 0.1
            1.0, infinity, 0.1
            1.0, 1.0, 0.0
            1.0, 1.0, infinity
        ] do
        bad (fun () -> BalancedMode(s, l, r0).Validate())

    for l in [ 0.0; -1.0; infinity ] do
        bad (fun () -> UnequalMode(1.0, 0.5, 1.0, l).AsNetwork())

    bad (fun () -> ScalarNetwork([||], [||], 1.0, 1.0))
    bad (fun () -> ScalarNetwork([| 1.0 |], [| 1.0; 2.0 |], 1.0, 1.0))
    bad (fun () -> ScalarNetwork([| 1.0 |], [| 1.0 |], 0.0, 1.0))
    bad (fun () -> ScalarNetwork([| 1.0 |], [| 1.0 |], infinity, 1.0))
    bad (fun () -> ScalarNetwork([| 1.0 |], [| 1.0 |], 1.0, nan))
    bad (fun () -> ScalarNetwork([| 0.0 |], [| 0.0 |], 1.0, 1.0))
    bad (fun () -> Emergence.StageLikeThreshold(100.0, 1.0, 1.0))
    bad (fun () -> Emergence.StageLikeThreshold(100.0, 1.0, 0.0))
    bad (fun () -> Emergence.StageLikeThreshold(1.0, 2.0, 1.0))

    for p, s, b, a0, eta in
        [
            0.0, 1.0, 0.5, 0.01, 1.0
            1.5, 1.0, 0.5, 0.01, 1.0
            0.5, 1.0, 0.0, 0.01, 1.0
            0.5, 1.0, 1.5, 0.01, 1.0
            0.5, 0.0, 0.5, 0.01, 1.0
            0.5, 1.0, 0.5, 0.0, 1.0
            0.5, 1.0, 0.5, 0.01, 0.0
            0.5, 1.0, 1.0, 2.0, 1.0
        ] do
        bad (fun () -> Emergence.CalibratedSkill(p, s, b, a0, eta))
        bad (fun () -> Emergence.SimulateCalibratedSkill(p, s, b, a0, eta))

    for n, nc, k in [ 0, 1, 1; 1, 0, 1; 1, 1, 0 ] do
        bad (fun () -> Emergence.ParameterEmergenceStrength(n, nc, k))

    bad (fun () -> Emergence.HittingTimeSimulated(BalancedMode(1.0, 1.0, 0.01), 1.0))
    bad (fun () -> SkillFrequencies(0.0, 5))
    bad (fun () -> SkillFrequencies(0.5, 0))
    bad (fun () -> UfmProblem(1, 2, 3, 0.01, 0).Validate())
    bad (fun () -> UfmProblem(3, 2, 2, 0.01, 0).Validate())
    bad (fun () -> UfmProblem(2, 2, 3, 0.0, 0).Validate())
    bad (fun () -> MinNormProblem.Random(5, 5, 0.0, 0))
    bad (fun () -> SparseParity(SkillFrequencies(0.5, 4), 10, 3, 1.0).Validate())

/// Boundary values inside the ranges are accepted (so the checks are not stricter than the premises).
[<Fact>]
let ``premises accept boundary values inside the range`` () =
    BalancedMode(1e-9, 1e-9, 1e-12).Validate() |> ignore
    Emergence.CalibratedSkill(1.0, 1.0, 1.0, 0.01, 1.0) |> ignore
    Emergence.StageLikeThreshold(1.0 + 1e-9, 1.0, 1e-9) |> ignore
    Assert.Equal(0.0, Emergence.HittingTimeSimulated(BalancedMode(1.0, 1.0, 0.25), 0.25))
    Assert.Equal(1.0, Emergence.ParameterEmergenceStrength(1, 1, 1))

/// R10 with R₀ > S (K < 0): the decreasing branch of the sigmoid against RK4.
[<Fact>]
let ``R10 balanced sigmoid from above (R0 > S) matches RK4`` () =
    check 3 (fun k -> geo 0.2 1.0 5.0 k[0], geo 0.2 1.0 3.0 k[1], geo 1.01 2.0 10.0 k[2]) (fun (s, l, ratio) ->
        let m = BalancedMode(s, l, ratio * s)
        let cf, sim = fn (Sigmoid.Balanced m), fn (Sigmoid.SimulateBalanced m)
        within (maxDiff (grid (10.0 / (l * s)) 40) cf sim / s) 1e-8)

/// R12 helpers: the stability predicate is exactly 0 < ηλS < 1; the ceiling is Z/(λ|S|); the tracking bound formula.
[<Fact>]
let ``R12 stability predicate, ceiling and tracking bound`` () =
    check
        4
        (fun k -> lin -0.5 0.5 2.0 k[0], geo 0.2 1.0 3.0 k[1], geo 0.2 1.0 5.0 k[2], geo 0.5 1.0 3.0 k[3])
        (fun (x, l, s, z) ->
            let eta = x / (l * s)
            let ok = Sigmoid.BalancedGdStable(eta, l, s) = (x > 0.0 && x < 1.0)

            let ceil =
                abs (Sigmoid.GdLearningRateCeiling(z, l, -s) - z / (l * s)) / (z / (l * s))

            let bound =
                abs (
                    Sigmoid.GdTrackingBound(0.05 / (l * s), l, s, 1e4)
                    - 0.05 * (0.15 * log 1e4 + 0.1)
                )

            within (if ok then max ceil bound else 1.0) 1e-12)

    Assert.False(Sigmoid.BalancedGdStable(0.0, 1.0, 1.0))
    Assert.False(Sigmoid.BalancedGdStable(1.0, 1.0, 1.0))

/// Controls coincide with the corrected forms where the misprint is invisible: γ(0) = 1 and γ(∞) = γ₊ for the 4Ω rate;
/// B = 1 for the B² exponent; r = N_c for (r/N_c)²; τˢ halved is exactly half; Eq 3.13 lies outside (0, ½).
[<Fact>]
let ``controls agree with the corrected forms exactly where the misprint is invisible`` () =
    check 5 LazyRichTests.network (fun c ->
        let n = LazyRichTests.build c
        let g, gt = fn (LazyRich.Gamma n), fn (LazyRich.GammaThesisEq612 n)
        let far = 200.0 * n.Z / n.Omega

        within
            (max
                (abs (gt 0.0 - 1.0))
                (max (abs (g 0.0 - 1.0)) (abs (gt far - LazyRich.GammaPlus n) / LazyRich.GammaPlus n)))
            1e-9)

    check 4 EmergenceTests.stage (fun c ->
        let mi, mn = EmergenceTests.modes c
        let th = Emergence.StageLikeThresholdThesisEq313(mi.K, mi.Lambda, mn.Lambda)

        let half =
            Emergence.SaturationTimeHalved(mi, 0.2) / Emergence.SaturationTime(mi, 0.2)

        within (if th > 0.0 && th < 0.5 then 1.0 else abs (half - 0.5)) 1e-12)

    check 4 (EmergenceTests.calibrated 1.0) (fun c ->
        let a = fn (Emergence.CalibratedSkill(c.P, c.S, 1.0, c.A0, 1.0))
        let b = fn (Emergence.CalibratedSkillThesisB2(c.P, c.S, 1.0, c.A0, 1.0))
        let horizon = (log (c.S / (c.A0 * c.A0)) + 10.0) / (2.0 * c.P * c.S)
        within (maxDiff (grid horizon 40) a b) 1e-12)

    for n in 1..12 do
        for k in 1..4 do
            let full = Emergence.ParameterEmergenceStrength(n, 3, k)
            let sq = Emergence.ParameterEmergenceStrengthSquared(n, 3, k)
            Assert.Equal(full * (if (n - 1) / 3 + 1 = k then full else 1.0), sq, 12)

    let m = BalancedMode(2.0, 0.5, 0.01)
    Assert.Equal(m.S - (m.S - m.R0) * exp (-m.Lambda * 3.0), (fn (Sigmoid.LinearModel m)) 3.0, 12)
    let a0 = (fn (Sigmoid.UnequalThesisRate(UnequalMode(0.3, 0.1, 1.0, 2.0)))) 0.0
    Assert.Equal(0.3, a0[0], 12)

/// R32: the linearised trajectory and the laziness deviation are exact for a balanced lazy case: θ_lin(0) = S₀,
/// θ_lin(∞) = S, and dev → 0 as S → S₀.
[<Fact>]
let ``R32 linearised trajectory end points and vanishing deviation`` () =
    check 3 LazyRichTests.lazyCase (fun c ->
        let n = LazyRichTests.lazyNet c
        let lin = fn (LazyRich.ThetaLinearised n)
        let near = ScalarNetwork(n.A0, n.B0, 1.0, n.S0 + 1e-6 * n.Sigma0)

        let e =
            max (abs (lin 0.0 - n.S0)) (abs (lin (1e3 / n.Sigma0) - n.S) / (1.0 + abs n.S))

        within (max e (LazyRich.LazinessDeviation near)) 1e-5)
