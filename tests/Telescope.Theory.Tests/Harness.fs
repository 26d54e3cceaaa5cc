/// Property harness shared by every theory test.
///
/// * A generated case is a record mapped (never filtered) from an array of integer knobs in [-100, 100]. Knobs shrink
///   toward 0, and knob 0 maps to the simplest value of each range (p = 1, Z = 1, S = 1, ...), so a shrunk
///   counterexample reads as the simplest failing case. The failing record is printed as the property's label,
///   together with FsCheck's replay line ("Replay: (seed, gamma, size)").
/// * `check` runs a property (THEORY_MAXTEST cases, default 100); `mustFail` runs the SAME predicate on a control
///   (misprinted formula or parameters outside the theorem's range) and asserts that FsCheck finds a counterexample.
/// * `fromSpec` draws a case from a theory check's own declared `ParamSpec` ranges (knob 0 = the declared default), and
///   `claims` / `controls` turn the `Comparison` rows of the check's builders into a verdict, so a property states the
///   claim with the check's own grid, horizon and tolerance.
/// * Monte Carlo properties use `checkWith seeded`: a fixed FsCheck seed, so a statistical tolerance (4 standard errors)
///   cannot make CI flaky; the simulation seeds are knobs of the case.
module Harness

open System
open FsCheck
open FsCheck.FSharp
open global.Xunit
open Telescope.Theory.Checks

/// Cases per property: THEORY_MAXTEST (e.g. a smaller number under mutation testing) or 100.
let maxTest =
    match Environment.GetEnvironmentVariable "THEORY_MAXTEST" with
    | null
    | "" -> 100
    | s -> int s

/// Quick config that throws on failure with the counterexample and the replay line.
let config =
    Config.QuickThrowOnFailure.WithMaxTest(maxTest).WithQuietOnSuccess(true)

/// Same, replaying a fixed FsCheck seed (for statistical properties).
let seeded =
    config.WithReplay(
        Some
            {
                Rnd = Rnd(20261123UL, 0x9E3779B97F4A7C15UL)
                Size = None
            }
    )

/// A knob shrinks toward 0 by jumping to 0, halving, then stepping by one.
let shrinkKnob (k: int) =
    seq {
        if k <> 0 then
            yield 0

        if abs k > 1 then
            yield k / 2

        if k > 0 then
            yield k - 1
        elif k < 0 then
            yield k + 1
    }
    |> Seq.distinct

/// n knobs in [-100, 100]; each shrinks independently toward 0.
let knobs n : Arbitrary<int[]> =
    Arb.fromGenShrink (
        Gen.arrayOfLength n (Gen.choose (-100, 100)),
        fun ks ->
            seq {
                for i in 0 .. ks.Length - 1 do
                    for v in shrinkKnob ks[i] -> Array.updateAt i v ks
            }
    )

/// Geometric map: knob 0 → mid, +100 → hi, −100 → lo.
let geo lo mid hi (k: int) =
    if k >= 0 then
        mid * Math.Pow(hi / mid, float k / 100.0)
    else
        mid * Math.Pow(lo / mid, float -k / 100.0)

/// Linear map: knob 0 → mid, +100 → hi, −100 → lo.
let lin lo mid hi (k: int) =
    if k >= 0 then
        mid + (hi - mid) * float k / 100.0
    else
        mid + (lo - mid) * float -k / 100.0

/// Integer map: knob 0 → lo, |knob| = 100 → hi.
let intIn lo hi (k: int) = lo + (abs k * (hi - lo) + 50) / 100

/// A checked comparison: the measured error and its tolerance.
type Verdict =
    {
        Error: float
        Tolerance: float
    }

    member v.Ok = v.Error <= v.Tolerance

/// Error within tolerance.
let within (err: float) (tol: float) = { Error = err; Tolerance = tol }

/// Knob → value of one declared parameter: knob 0 → its default, +100 → its Max, −100 → its Min; geometric over a
/// positive range spanning at least a decade, linear otherwise; integers rounded.
let specValue (p: ParamSpec) (k: int) =
    let v =
        if p.Min > 0.0 && p.Max >= 10.0 * p.Min then
            geo p.Min p.Default p.Max k
        else
            lin p.Min p.Default p.Max k

    if p.Integer then Math.Round v else v

/// A generator over a check's parameters: how many knobs it needs and the case (every parameter by name) they map to.
type SpecCase =
    {
        Knobs: int
        Case: int[] -> Map<string, float>
    }

/// The named parameters drawn from knobs (in order) over their declared ranges, every other parameter at its default.
let fromSpec (specs: ParamSpec seq) (names: string list) =
    let specs = List.ofSeq specs

    let drawn =
        names
        |> List.map (fun n ->
            match specs |> List.tryFind (fun p -> p.Name = n) with
            | Some p -> p
            | None -> invalidArg "names" $"no declared parameter '{n}'")

    let defaults = specs |> List.map (fun p -> p.Name, p.Default) |> Map.ofList

    {
        Knobs = drawn.Length
        Case =
            fun ks ->
                drawn
                |> List.indexed
                |> List.fold (fun m (i, p) -> Map.add p.Name (specValue p ks[i]) m) defaults
    }

/// The same case with a premise map applied (a map, never a filter).
let mapCase (f: Map<string, float> -> Map<string, float>) (g: SpecCase) = { g with Case = g.Case >> f }

/// The same case with one more knob, mapped (given the drawn values) to a coordinate `name` that is not a declared
/// parameter (the basis size N of one R28 row, say).
let withKnob (name: string) (f: Map<string, float> -> int -> float) (g: SpecCase) =
    {
        Knobs = g.Knobs + 1
        Case =
            fun ks ->
                let v = g.Case ks[.. g.Knobs - 1]
                v.Add(name, f v ks[g.Knobs])
    }

let private rowError (c: Comparison) =
    let e =
        if c.Relation = Relation.Within then
            abs (c.Simulated - c.ClosedForm)
        else
            c.Simulated - c.ClosedForm

    if Double.IsNaN e then infinity else e

/// The verdict of comparison rows: the first rejected row, else the row nearest its tolerance; `empty` for no rows.
let private verdictOf (empty: Verdict) (rows: Comparison seq) =
    let rows = List.ofSeq rows

    match rows |> List.tryFind (fun c -> not c.Accepted), rows with
    | Some c, _ -> within (rowError c) c.Tolerance
    | None, [] -> empty
    | None, _ ->
        let c = rows |> List.maxBy (fun c -> rowError c / max c.Tolerance 1e-300)
        within (rowError c) c.Tolerance

/// Verdict over a builder's claim rows (controls are left out): every row accepted; no rows at all fails.
let claims (rows: Comparison seq) =
    rows |> Seq.filter (fun c -> not c.Control) |> verdictOf (within infinity 0.0)

/// Verdict over a builder's must-fail control rows, for `mustFail`: no control rows counts as accepted (so `mustFail`
/// cannot pass on a control that was never built).
let controls (rows: Comparison seq) =
    rows |> Seq.filter (fun c -> c.Control) |> verdictOf (within 0.0 1.0)

/// The property: for all generated knobs, the mapped case satisfies the verdict; the label shows case and verdict.
let property n (toCase: int[] -> 'c) (verdict: 'c -> Verdict) =
    Prop.forAll (knobs n) (fun ks ->
        let c = toCase ks
        let v = verdict c

        v.Ok
        |> Prop.label (sprintf "case %A\n  error %g > tolerance %g" c v.Error v.Tolerance))

/// Run a property with a config.
let checkWith (cfg: Config) n (toCase: int[] -> 'c) (verdict: 'c -> Verdict) =
    Check.One(cfg, property n toCase verdict)

/// Run a property (THEORY_MAXTEST cases).
let check n toCase verdict = checkWith config n toCase verdict

/// MUST-FAIL CONTROL: the same harness must find a counterexample.
let mustFailWith (cfg: Config) n (toCase: int[] -> 'c) (verdict: 'c -> Verdict) =
    let ex = Record.Exception(fun () -> checkWith cfg n toCase verdict)

    Assert.True(
        not (isNull ex),
        "must-fail control was accepted on every generated case: the check cannot tell the right form from the wrong one"
    )

    Assert.Contains("Falsifiable", ex.Message)

/// MUST-FAIL CONTROL with the default config.
let mustFail n toCase verdict = mustFailWith config n toCase verdict

/// Run a property over a check's declared ranges.
let checkSpec (g: SpecCase) verdict = check g.Knobs g.Case verdict

/// At most `n` cases (for builders that run a long simulation per case).
let atMost n = config.WithMaxTest(min maxTest n)

/// At most `n` cases from the fixed FsCheck seed (statistical builders).
let seededAtMost n = seeded.WithMaxTest(min maxTest n)

/// Run a property over a check's declared ranges with a config.
let checkSpecWith cfg (g: SpecCase) verdict = checkWith cfg g.Knobs g.Case verdict

/// MUST-FAIL CONTROL over a check's declared ranges with a config.
let mustFailSpecWith cfg (g: SpecCase) verdict = mustFailWith cfg g.Knobs g.Case verdict

/// MUST-FAIL CONTROL over a check's declared ranges.
let mustFailSpec (g: SpecCase) verdict = mustFail g.Knobs g.Case verdict

/// Largest absolute difference of two curves sampled at the same times.
let maxDiff (ts: float seq) (f: float -> float) (g: float -> float) =
    ts |> Seq.map (fun t -> abs (f t - g t)) |> Seq.max

/// n + 1 equally spaced points on [0, t1].
let grid t1 n =
    [ for i in 0..n -> t1 * float i / float n ]

/// Largest |entry| of a matrix.
let mmax (m: MathNet.Numerics.LinearAlgebra.Matrix<float>) = m.Enumerate() |> Seq.map abs |> Seq.max

/// The premise check rejects this call (ArgumentException or a subclass).
let bad (f: unit -> obj) =
    Assert.ThrowsAny<ArgumentException>(fun () -> f () |> ignore) |> ignore

/// Invoke a .NET Func as an F# function.
let inline fn (f: Func<'a, 'b>) = fun x -> f.Invoke x
