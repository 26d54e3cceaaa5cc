namespace Telescope.FSharp

open System
open System.Collections.Generic
open Telescope.Theory
open Telescope.Theory.Checks

/// One theory check run at its values: the rows (closed form against simulation), the verdict and what was asked.
type TheoryOutcome =
    {
        /// The catalog entry.
        Check: ITheoryCheck
        /// Every parameter's value (defaults with the overrides applied).
        Values: Map<string, float>
        /// The rows, axis title, seeds, data source and notes.
        Report: TheoryReport
        /// Every closed-form row accepted and every must-fail control rejected somewhere (`TheoryCatalog.Passes`).
        Passed: bool
    }

    /// The rows as a list.
    member o.Rows = List.ofSeq o.Report.Rows

    /// Closed-form rows the check rejected (empty when it passes).
    member o.Failures = o.Rows |> List.filter (fun r -> not r.Control && not r.Accepted)

/// The theory checks of `Telescope.Theory.Checks.TheoryCatalog` from F#: list them, run one by name with
/// `(name, value)` overrides, and the closed forms as F# functions (the C# API hands out `System.Func`s).
///
///     Theory.list () |> List.map (fun c -> c.Name)
///     (Theory.check "gamma-plus" [ "p", 2.0; "Z", 3.0 ]).Passed
///     let r = Theory.Sigmoid.balanced (BalancedMode(2.0, 1.0, 2e-4)) in r 5.0
///
/// Bad input (an unknown check or parameter, a value outside the theorem's range, a premise the closed forms do not
/// cover) raises `ParameterException` (an `ArgumentException`) with the same one-line message the CLI prints.
/// Writing a check's table, figure and run.json is `Telescope.Experiments.TheoryRun.Write`.
[<RequireQualifiedAccess>]
module Theory =

    /// An F# function from a `System.Func`.
    let fn (f: Func<'a, 'b>) : 'a -> 'b = fun x -> f.Invoke x

    /// Every check, in catalog order.
    let list () : ITheoryCheck list = List.ofSeq TheoryCatalog.All

    /// The check named `name`.
    let find (name: string) : ITheoryCheck = TheoryCatalog.Find name

    /// The declared parameters of a check: name, default, the theorem's range, meaning.
    let parameters (name: string) : ParamSpec list = List.ofSeq (find name).Parameters

    let private toMap (d: IReadOnlyDictionary<string, float>) =
        d |> Seq.map (fun kv -> kv.Key, kv.Value) |> Map.ofSeq

    /// The check's defaults with the overrides applied, validated against the declared ranges.
    let values (name: string) (overrides: (string * float) list) : Map<string, float> =
        let c = find name

        TheoryCatalog.Validate(c, overrides |> List.map (fun (k, v) -> KeyValuePair(k, v)))
        |> toMap

    /// Run a check by name at its defaults with the overrides applied.
    let check (name: string) (overrides: (string * float) list) : TheoryOutcome =
        let c = find name
        let v = values name overrides
        let report = TheoryCatalog.Compute(c, v)

        {
            Check = c
            Values = v
            Report = report
            Passed = TheoryCatalog.Passes report
        }

    /// Whether a check passes by name at its defaults with the overrides applied.
    let passes (name: string) (overrides: (string * float) list) : bool = (check name overrides).Passed

    /// R10–R12 (`Telescope.Theory.Sigmoid`) and the `sigmoid` check's builders, with F# functions.
    [<RequireQualifiedAccess>]
    module Sigmoid =
        /// R10: balanced sigmoid R(t).
        let balanced (m: BalancedMode) : float -> float = fn (Sigmoid.Balanced m)

        /// Control of R10: the linear model's exponential (no delay).
        let linearModel (m: BalancedMode) : float -> float = fn (Sigmoid.LinearModel m)

        /// RK4 simulation of R(t) for a balanced mode.
        let simulateBalanced (m: BalancedMode) : float -> float = fn (Sigmoid.SimulateBalanced m)

        /// R11: unequal init [a(t); b(t)].
        let unequal (m: UnequalMode) : float -> float[] = fn (Sigmoid.Unequal m)

        /// Control of R11: the thesis rate 4Ω.
        let unequalThesisRate (m: UnequalMode) : float -> float[] = fn (Sigmoid.UnequalThesisRate m)

        /// RK4 simulation of [a(t); b(t)].
        let simulateUnequal (m: UnequalMode) : float -> float[] = fn (Sigmoid.SimulateUnequal m)

        /// R12(a) rows of the `sigmoid` check with another drift factor (η, g) ↦ factor (the theorem's is 1 − η²g²).
        let gdDrift (u: UnequalMode) (schedule: SigmoidCheck.GdSchedule) (factor: float -> float -> float) =
            List.ofSeq (SigmoidCheck.GdDrift(u, schedule, Func<float, float, float>(fun e g -> factor e g)))

    /// R29–R32 (`Telescope.Theory.LazyRich`) with F# functions.
    [<RequireQualifiedAccess>]
    module LazyRich =
        /// γ(t), the closed form (rate 2).
        let gamma (n: ScalarNetwork) : float -> float = fn (LazyRich.Gamma n)

        /// Control: γ(t) at the thesis rate 4 (Eq 6.12).
        let gammaThesis (n: ScalarNetwork) : float -> float = fn (LazyRich.GammaThesisEq612 n)

        /// θ(t), the network's output coefficient.
        let theta (n: ScalarNetwork) : float -> float = fn (LazyRich.Theta n)

        /// Σ(t).
        let sigma (n: ScalarNetwork) : float -> float = fn (LazyRich.Sigma n)

        /// The closed-form state (a; b) at t.
        let state (n: ScalarNetwork) : float -> float[] = fn (LazyRich.State n)

        /// RK4 simulation of the state.
        let simulate (n: ScalarNetwork) : float -> float[] = fn (LazyRich.Simulate(n))

    /// R18–R24 (`Telescope.Theory.Multilinear`, `Scaling`) with F# functions.
    [<RequireQualifiedAccess>]
    module Scaling =
        /// The multilinear loss L(t) for sampled counts (R18).
        let loss (p: SkillFrequencies) (counts: int[]) (d: int) (n: int) (s: float) (r0: float) (eta: float) =
            fn (Multilinear.Loss(p, counts, d, n, s, r0, eta))

        /// Time-law exponent fit of any loss `ts ↦ L(ts)` on the spec's window (with the completion L_C).
        let fitTime (p: SkillFrequencies) (s: float) (r0: float) (eta: float) (loss: float[] -> float[]) =
            Scaling.FitTime(p, s, r0, eta, Func<float[], float[]>(loss))

    /// R29–R32 as the `gamma-plus` check states them (`GammaPlusCheck`'s builders), with F# functions.
    [<RequireQualifiedAccess>]
    module GammaPlus =
        /// γ₊ = lim γ(t) (R31).
        let gammaPlus (n: ScalarNetwork) : float = LazyRich.GammaPlus n

        /// The lower bound S/Σ₀ of γ₊ (R31).
        let lowerBound (n: ScalarNetwork) : float = LazyRich.GammaPlusLowerBound n

        /// The conserved Σ² − θ² (R31).
        let conserved (n: ScalarNetwork) : float = LazyRich.ConservedSigma2MinusTheta2 n

        /// The check's setup of a network (a fresh RK4 simulator; it continues from its last query).
        let setup (n: ScalarNetwork) =
            GammaPlusCheck.Setup(n, LazyRich.Simulate n)

        /// The check's rows at its values: γ, θ and Σ, the state, the limits, Σ² − θ², in the table's order.
        let rows (values: Map<string, float>) : Comparison list =
            let s = GammaPlusCheck.SetupOf values

            [
                yield! GammaPlusCheck.Gamma s
                yield! GammaPlusCheck.Moments s
                yield! GammaPlusCheck.State s
                yield! GammaPlusCheck.Limit s
                yield! GammaPlusCheck.Conserved s
            ]

    /// R14, R26, R28 (`Telescope.Theory.Emergence`) with F# functions.
    [<RequireQualifiedAccess>]
    module Emergence =
        /// R14: the stage-like threshold ε*(K, λᵢ, λᵢ₊₁) (corrected).
        let stageLikeThreshold (k: float) (lambdaI: float) (lambdaNext: float) : float =
            Emergence.StageLikeThreshold(k, lambdaI, lambdaNext)

        /// R26: the calibrated skill R(T)/S with B to the first power (P, S, B, a₀, η).
        let calibratedSkill (p: float) (s: float) (b: float) (a0: float) (eta: float) : float -> float =
            fn (Emergence.CalibratedSkill(p, s, b, a0, eta))

        /// Control of R26: B² in the exponent (thesis Eq 5.2).
        let calibratedSkillThesisB2 (p: float) (s: float) (b: float) (a0: float) (eta: float) : float -> float =
            fn (Emergence.CalibratedSkillThesisB2(p, s, b, a0, eta))

        /// R28: R_k/S = 1, r/N_c, 0 at N basis functions (N, N_c, k).
        let parameterEmergence (n: int) (nc: int) (k: int) : float =
            Emergence.ParameterEmergenceStrength(n, nc, k)

    /// R27 (`Telescope.Theory.DcShot`) with F# functions.
    [<RequireQualifiedAccess>]
    module DcShot =
        /// E[R]/S = min(d, D_c)/D_c (reading A).
        let expectedStrength (d: int) (dc: int) : float = DcShot.ExpectedStrength(d, dc)

        /// Control: reading B, 1 − √(1 − d/D_c) (thesis Eq 5.5).
        let strengthReadingB (d: int) (dc: int) : float = DcShot.StrengthReadingB(d, dc)

        /// The Beta variance of R/S.
        let strengthVariance (d: int) (dc: int) : float = DcShot.StrengthVariance(d, dc)

        /// E_D[R/S], the binomial mixture over d ~ Bin(D, p).
        let expectedStrengthInData (dataSize: int) (p: float) (dc: int) : float =
            DcShot.ExpectedStrengthInData(dataSize, p, dc)

    /// R9, R16, R27 (Lemma 3), R31 (`Telescope.Theory.Conservation`) with F# functions.
    [<RequireQualifiedAccess>]
    module Conservation =
        /// R16: Q(t) = W₁ᵀW₁ − W₂W₂ᵀ (constant under gradient flow).
        let invariant (net: TwoLayerLinear) =
            fn (Conservation.InvariantClosedForm net)

        /// R9: a² − b² of a scalar mode.
        let scalarInvariant (m: UnequalMode) : float -> float =
            fn (Conservation.ScalarInvariantClosedForm m)

        /// R31: Σ² − θ² of a scalar network.
        let sigmaTheta (n: ScalarNetwork) : float -> float =
            fn (Conservation.SigmaThetaClosedForm n)

        /// R27 Lemma 3: a² − ‖B‖² of one skill.
        let skillInvariant (a0: float) (b0: float[]) : float -> float =
            fn (Conservation.SkillInvariantClosedForm(a0, b0))

    /// R18–R20 (`Telescope.Theory.Multilinear`) with F# functions.
    [<RequireQualifiedAccess>]
    module Multilinear =
        /// R19: the skill strengths R_k(t) with rates η d_k/D (counts, D, n_s, S, r₀, η).
        let skillStrengths (counts: int[]) (d: int) (n: int) (s: float) (r0: float) (eta: float) : float -> float[] =
            fn (Multilinear.SkillStrengths(counts, d, n, s, r0, eta))

    /// R33 (`Telescope.Theory.Parity3`) with F# functions.
    [<RequireQualifiedAccess>]
    module Parity3 =
        /// The corrected ODEs d/dt (α², β², γ², c) at a state (S, η).
        let flow (s: float) (eta: float) (q: float[]) : float[] = Parity3.Flow(q, s, eta)

        /// Control: thesis Eq C.15–C.18.
        let flowThesis (s: float) (eta: float) (q: float[]) : float[] = Parity3.FlowThesis(q, s, eta)

        /// The end point (2S, 2S, 2S, −S).
        let endPoint (s: float) : float[] = Parity3.EndPoint s

    /// R8 (`Telescope.Theory.MinimumProjection`) with F# functions.
    [<RequireQualifiedAccess>]
    module NeuralCollapse =
        /// R8: the centred-mean Gram entry C a₂ (δᵢⱼ − 1/C) (classes, a₂, i, j).
        let centredMeanGram (classes: int) (a2: float) (i: int) (j: int) : float =
            MinimumProjection.CentredMeanGramClosedForm(classes, a2, i, j)

        /// R8: the MP identity (classes, a₂, i, j).
        let mpIdentity (classes: int) (a2: float) (i: int) (j: int) : float =
            MinimumProjection.MpIdentity(classes, a2, i, j)
