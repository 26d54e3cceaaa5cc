module Telescope.FSharp.Tests.TheoryTests

open System
open Xunit
open Telescope
open Telescope.FSharp
open Telescope.Theory
open Telescope.Theory.Checks

[<Fact>]
let ``list names every catalog check in catalog order`` () =
    let names = Theory.list () |> List.map (fun c -> c.Name)
    Assert.Equal<string list>(TheoryCatalog.All |> Seq.map (fun c -> c.Name) |> List.ofSeq, names)
    Assert.Contains("sigmoid", names)
    Assert.Contains("gamma-plus", names)

[<Fact>]
let ``check runs a named check with overrides and is the library's report`` () =
    let o = Theory.check "gamma-plus" [ "p", 2.0; "Z", 3.0 ]
    Assert.True(o.Passed, sprintf "%A" (o.Failures |> List.truncate 5))
    Assert.Equal(2.0, o.Values["p"])
    Assert.Equal(3.0, o.Values["Z"])
    Assert.Empty(o.Failures)
    // the face adds nothing: the same rows as the catalog computes at the same values
    let c = TheoryCatalog.Find "gamma-plus"
    let direct = TheoryCatalog.Compute(c, TheoryCatalog.Validate(c, [| "p=2"; "Z=3" |]))
    Assert.Equal<Comparison list>(List.ofSeq direct.Rows, o.Rows)
    // every must-fail control of the check is rejected somewhere
    let controls =
        o.Rows |> List.filter (fun r -> r.Control) |> List.groupBy (fun r -> r.Quantity)

    Assert.NotEmpty controls

    for q, rows in controls do
        Assert.True(rows |> List.exists (fun r -> not r.Accepted), $"control {q} accepted on every row")

[<Fact>]
let ``bad input raises ParameterException naming the problem`` () =
    let outside =
        Assert.Throws<ParameterException>(fun () -> Theory.check "sigmoid" [ "S", 1e9 ] |> ignore)

    Assert.Contains("outside the theorem's range", outside.Message)

    let unknown =
        Assert.Throws<ParameterException>(fun () -> Theory.check "sigmoid" [ "zeta", 1.0 ] |> ignore)

    Assert.Contains("unknown parameter 'zeta'", unknown.Message)

    let name =
        Assert.Throws<ParameterException>(fun () -> Theory.check "no-such-check" [] |> ignore)

    Assert.Contains("sigmoid", name.Message)
    // a premise of the closed forms (the saddle a0 + b0 = 0) is bad input too
    Assert.Throws<ParameterException>(fun () -> Theory.check "sigmoid" [ "a0", 0.5; "b0", -0.5 ] |> ignore)
    |> ignore

    Assert.True(Theory.passes "sigmoid" [ "S", 0.5 ])

[<Fact>]
let ``closed forms are F# functions that agree with their simulators, and the misprint does not`` () =
    let m = BalancedMode(2.0, 1.0, 2e-4)
    let r = Theory.Sigmoid.balanced m
    let sim = Theory.Sigmoid.simulateBalanced m
    let horizon = SigmoidCheck.Horizon m
    Assert.Equal(m.R0, r 0.0, 12)
    Assert.InRange(r horizon, 0.99 * m.S, m.S)

    let ts = [ for i in 0..40 -> horizon * float i / 40.0 ]

    let err f =
        ts |> List.map (fun t -> abs (f t - sim t)) |> List.max

    Assert.True(err r <= 1e-8 * m.S, $"balanced: {err r}")
    // must-fail control: the linear model's exponential is far from the simulation
    Assert.True(err (Theory.Sigmoid.linearModel m) > 1e-2 * m.S)

/// Every catalog name (the same list the CLI's `theory list` prints).
let names: obj[] seq = TheoryCatalog.All |> Seq.map (fun c -> [| box c.Name |])

[<Theory>]
[<MemberData(nameof names)>]
let ``the F# face runs every check at its defaults to the catalog's rows and verdict`` (name: string) =
    let o = Theory.check name []
    let c = TheoryCatalog.Find name
    let direct = TheoryCatalog.Compute(c, TheoryCatalog.Defaults c)
    Assert.Equal<Comparison list>(List.ofSeq direct.Rows, o.Rows)
    Assert.Equal(TheoryCatalog.Passes direct, o.Passed)
    Assert.True(o.Passed, sprintf "%s: %A" name (o.Failures |> List.truncate 5))
