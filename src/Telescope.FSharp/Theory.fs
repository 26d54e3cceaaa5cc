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
/// cover) raises `TheoryParameterException` (an `ArgumentException`) with the same one-line message the CLI prints.
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
