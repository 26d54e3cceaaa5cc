/// Issue 24 (mutant T1: every `Within` tolerance loosened tenfold changed no verdict): each check's verdict is pinned to
/// its declared tolerance from both sides. At the check's defaults, every closed-form row judged `Within` is moved
/// 2 tolerances further from its simulation: alone it is rejected and the whole report FAILs; moved to half a
/// tolerance from the simulation, every row at once, the report still passes. A tolerance read looser (or tighter)
/// than declared by a factor of 2 or more fails here.
module ToleranceTests

open System
open global.Xunit
open Telescope.Theory.Checks

/// The check's report at its defaults.
let reportAtDefaults (name: string) =
    let check = TheoryCatalog.Find name
    TheoryCatalog.Compute(check, TheoryCatalog.Defaults check)

/// Closed-form (not control) rows judged |simulated − closed| ≤ tolerance, with a positive tolerance.
let withinClaims (report: TheoryReport) =
    report.Rows
    |> Seq.indexed
    |> Seq.filter (fun (_, r) -> not r.Control && r.Relation = Relation.Within && r.Tolerance > 0.0)
    |> Seq.toArray

/// +1 or −1: the side of the closed form from the simulation (+1 when they are equal).
let side (r: Comparison) =
    if r.ClosedForm >= r.Simulated then 1.0 else -1.0

/// The report with other rows (the C# record rebuilt field by field).
let withRows (report: TheoryReport) (rows: Comparison[]) =
    TheoryReport(
        rows,
        report.XTitle,
        report.Seeds,
        report.DataSource,
        report.Notes,
        report.LogX,
        report.LogY,
        report.Uninformative
    )

/// The row with another closed form.
let withClosedForm (r: Comparison) (closed: float) =
    Comparison(r.Quantity, r.X, closed, r.Simulated, r.Tolerance, r.Control, r.Output, r.Relation, r.Coordinates)

let replaced (report: TheoryReport) (i: int) (row: Comparison) =
    report.Rows
    |> Seq.mapi (fun j r -> if j = i then row else r)
    |> Seq.toArray
    |> withRows report

/// Every check of the catalog, by name (a new check is pinned without an edit here).
let checks: obj[] seq = TheoryCatalog.All |> Seq.map (fun c -> [| box c.Name |])

[<Theory>]
[<MemberData(nameof checks)>]
let ``a closed form moved by 2 declared tolerances is rejected and fails the check; half a tolerance passes``
    (name: string)
    =
    let report = reportAtDefaults name
    Assert.True(TheorySampler.Outcome report <> TheoryOutcome.Fail, $"{name}: the defaults themselves fail")
    let claims = withinClaims report
    Assert.True(claims.Length > 0, $"{name}: no closed-form row judged within a positive tolerance")
    let wrongly = ResizeArray<string>()

    for i, r in claims do
        let moved = withClosedForm r (r.ClosedForm + 2.0 * r.Tolerance * side r)

        if moved.Accepted then
            wrongly.Add
                $"{r.Claim} x={r.X}: |{moved.Simulated} - {moved.ClosedForm}| accepted at tolerance {r.Tolerance}"
        elif TheorySampler.Outcome(replaced report i moved) <> TheoryOutcome.Fail then
            wrongly.Add $"{r.Claim} x={r.X}: the report with this row moved does not FAIL"

    Assert.True(
        wrongly.Count = 0,
        $"{name}: {wrongly.Count} of {claims.Length} rows 2 tolerances off are not rejected:\n  "
        + String.Join("\n  ", wrongly |> Seq.truncate 5)
    )

    // every claim row half a tolerance from its simulation, all at once: still accepted, the verdict unchanged
    let half =
        let moved = Collections.Generic.Dictionary<int, Comparison>()

        for i, r in claims do
            moved[i] <- withClosedForm r (r.Simulated + 0.5 * r.Tolerance * side r)

        let rows =
            report.Rows
            |> Seq.mapi (fun j r -> if moved.ContainsKey j then moved[j] else r)
            |> Seq.toArray

        withRows report rows

    let rejected =
        half.Rows |> Seq.filter (fun r -> not r.Control && not r.Accepted) |> Seq.length

    let noneRejected = (rejected = 0)
    Assert.True(noneRejected, $"{name}: {rejected} rows half a tolerance off are rejected")
    Assert.Equal(TheorySampler.Outcome report, TheorySampler.Outcome half)
