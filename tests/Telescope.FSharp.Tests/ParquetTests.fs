module Telescope.FSharp.Tests.ParquetTests

open System
open System.Diagnostics
open System.IO
open Xunit
open Parquet
open Telescope.FSharp
open Telescope.Frames
open Fixtures

let sample () =
    let k = key "r0" 7L [ "lr", "0.1"; "optimizer", "sgd" ]

    TidyFrames.FromObservations(
        k,
        [
            obs "loss" 0.0 "train" 0.5
            obs "loss" 1.0 "test" 0.25
            Telescope.Observation("grad_norm", 3.5, Nullable 1.0)
        ] // no split: a missing string cell
    )

/// The file's schema as (name, physical type, logical kind, optional), read by Parquet.Net itself
/// (not our reader): what pandas/polars/Arrow go by.
let schemaOf (path: string) =
    let reader = ParquetReader.CreateAsync(path).GetAwaiter().GetResult()

    try
        reader.Schema.GetDataFields()
        |> Array.map (fun f ->
            let e = f.SchemaElement

            let logical =
                if not (isNull e.LogicalType) && not (isNull e.LogicalType.STRING) then
                    "string"
                elif
                    e.ConvertedType.HasValue
                    && e.ConvertedType.Value = Parquet.Meta.ConvertedType.UTF8
                then
                    "string"
                else
                    ""

            f.Name, string e.Type.Value, logical, (e.RepetitionType.Value = Parquet.Meta.FieldRepetitionType.OPTIONAL))
        |> List.ofArray
    finally
        reader.DisposeAsync().AsTask().GetAwaiter().GetResult()

[<Fact>]
let ``parquet schema: flat nullable columns with the frame's names and portable types`` () =
    use dir = new TempDir()
    let path = dir.File "t.parquet"
    sample () |> Tables.saveParquet path |> ignore
    let schema = schemaOf path
    let names = schema |> List.map (fun (n, _, _, _) -> n)

    Assert.Equal<string list>(
        [
            "study"
            "run"
            "seed"
            "step"
            "split"
            "example"
            "output"
            "lr"
            "optimizer"
            "quantity"
            "value"
        ],
        names
    )

    let kindOf name =
        schema |> List.find (fun (n, _, _, _) -> n = name) |> fun (_, t, l, _) -> t, l

    Assert.Equal(("INT64", ""), kindOf "seed")
    Assert.Equal(("DOUBLE", ""), kindOf "step")
    Assert.Equal(("DOUBLE", ""), kindOf "lr") // numeric parameters are numbers, as when the CSV is loaded
    Assert.Equal(("BYTE_ARRAY", "string"), kindOf "optimizer")
    Assert.Equal(("BYTE_ARRAY", "string"), kindOf "split")
    Assert.Equal(("DOUBLE", ""), kindOf "value")
    Assert.All(schema, fun (n, _, _, optional) -> Assert.True(optional, n + " should be optional"))

[<Fact>]
let ``parquet round trip keeps values and missing cells`` () =
    use dir = new TempDir()
    let path = dir.File "t.parquet"
    let f = sample () |> Tables.saveParquet path
    let g = Tables.loadParquet path
    Assert.Equal(f.RowCount, g.RowCount)

    for c in f.ColumnKeys do
        Assert.Equal<string[]>(TidyFrames.Cells(f, c), TidyFrames.Cells(g, c))

    // the missing split of grad_norm stays missing (null), not ""
    let split = g.GetColumn<string>("split")
    Assert.False(split.TryGet(2).HasValue)

[<Fact>]
let ``parquet of an aggregate (bool and count columns) round trips`` () =
    use dir = new TempDir()
    let path = dir.File "a.parquet"

    let agg =
        TablesTests.toyRuns () |> Tables.aggregateOverSeeds |> Tables.saveParquet path

    let back = Tables.loadParquet path
    Assert.Equal<float[]>(Tables.numbers "mean" agg, Tables.numbers "mean" back)
    Assert.Contains(("n", "INT64", "", true), schemaOf path)

/// pandas + pyarrow, when this machine's python3 has them (Debian 12 ships no pyarrow, so on the
/// project's machines this check is reported as not run, on stdout, and passes).
[<Fact>]
let ``pandas reads the parquet file when pyarrow is installed`` () =
    use dir = new TempDir()
    let path = dir.File "t.parquet"
    sample () |> Tables.saveParquet path |> ignore

    let run (code: string) =
        let psi = ProcessStartInfo("python3", [ "-c"; code; path ])
        psi.RedirectStandardOutput <- true
        psi.RedirectStandardError <- true

        try
            use p = Process.Start psi
            let out = p.StandardOutput.ReadToEnd()
            let err = p.StandardError.ReadToEnd()
            p.WaitForExit()
            Some(p.ExitCode, out, err)
        with _ ->
            None

    match run "import pyarrow, pandas" with
    | Some(0, _, _) ->
        let code =
            "import sys, pandas as pd; df = pd.read_parquet(sys.argv[1]); "
            + "print(','.join(df.columns)); print(str(df['value'].dtype), str(df['seed'].dtype), len(df), int(df['split'].isna().sum()))"

        match run code with
        | Some(0, out, _) ->
            let lines = out.Trim().Split('\n')
            Assert.Equal("study,run,seed,step,split,example,output,lr,optimizer,quantity,value", lines.[0].Trim())
            Assert.Equal("float64 int64 3 1", lines.[1].Trim())
        | other -> failwithf "pandas could not read the file: %A" other
    | _ -> printfn "pandas/pyarrow not installed for python3: cross-reader check not run"
