module Telescope.FSharp.Tests.CatalogTests

open System.IO
open Xunit
open Telescope.FSharp

let tiny =
    [ "width", "2"; "steps", "6"; "train", "20"; "test", "20"; "seed", "0,1" ]

[<Fact>]
let ``every catalog study is reachable by name with the CLI's parameter names`` () =
    Assert.Equal<string list>([ "approximation"; "grokking"; "double-descent"; "gbt-vs-nn"; "lmc"; "attribution-ladder" ], Study.list ())

    for name in Study.list () do
        let ps = Study.parametersOf name |> List.map (fun (n, _, _, _) -> n)
        Assert.Contains("seed", ps)
        Assert.Contains("device", ps)

    let e =
        Assert.Throws<Telescope.ParameterException>(fun () ->
            Study.plan "double-descent" [ "no-such", "1" ] |> ignore)

    Assert.Contains("unknown parameter 'no-such'", e.Message)

[<Fact>]
let ``a catalog study runs in memory and to disk with the same rows, and resumes`` () =
    let frame = Study.runNamed "double-descent" tiny

    let dir =
        Path.Combine(Path.GetTempPath(), "telescope-fsharp-catalog-" + string (System.Guid.NewGuid()))

    try
        let outcome = Study.toDisk dir 0 false "double-descent" tiny
        Assert.False(outcome.Failed)
        let onDisk = Telescope.Frames.TidyTable.ReadRows outcome.Table |> Seq.length
        Assert.Equal(frame.RowCount, onDisk)
        let bytes = File.ReadAllBytes outcome.Table
        let again = Study.toDisk dir 0 true "double-descent" tiny
        Assert.Equal<byte[]>(bytes, File.ReadAllBytes again.Table)
        // a resume with another configuration is refused, naming what differs
        let e =
            Assert.Throws<Telescope.Experiments.Hosting.ResumeException>(fun () ->
                Study.toDisk dir 0 true "double-descent" (("lr", "0.1") :: tiny) |> ignore)

        Assert.Contains("config.lr", e.Message)
    finally
        if Directory.Exists dir then
            Directory.Delete(dir, true)

[<Fact>]
let ``a sweep over catalog parameter names plans its jobs, runs in process and merges one table`` () =
    let spec =
        Sweep.define
            "fs"
            "approximation"
            [
                "dataset", "synthetic"
                "train", "30"
                "test", "20"
                "width", "4"
                "steps", "3"
            ]
            [ "lr", [ "0.01"; "0.1" ] ]
            [ 0L ]

    Assert.Equal<(string * (string * string) list) list>(
        [
            "job0000", [ "lr", "0.01"; "seed", "0" ]
            "job0001", [ "lr", "0.1"; "seed", "0" ]
        ],
        Sweep.plan spec
    )

    let e =
        Assert.Throws<Telescope.Experiments.Sweeps.SweepException>(fun () ->
            Sweep.plan (Sweep.define "bad" "approximation" [] [ "lr", [ "-1" ] ] [ 0L ])
            |> ignore)

    Assert.Contains("job0000: --lr: learning rate must be positive", e.Message)

    let dir =
        Path.Combine(Path.GetTempPath(), "telescope-fsharp-sweep-" + string (System.Guid.NewGuid()))

    try
        let outcome = Sweep.run dir spec
        Assert.Empty outcome.Incomplete

        let jobs =
            Telescope.Frames.TidyTable.ReadRows outcome.Table
            |> Seq.map (fun r -> r["job"], r["lr"])
            |> Seq.distinct

        Assert.Equal<(string * string) list>([ "job0000", "0.01"; "job0001", "0.1" ], List.ofSeq jobs)
    finally
        if Directory.Exists dir then
            Directory.Delete(dir, true)
