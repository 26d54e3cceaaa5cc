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

/// An independent reader: Apache Arrow's C++ Parquet implementation (through ParquetSharp), the one pandas and
/// polars use through pyarrow (Debian 12 ships no pyarrow, so a Python cross-check could not run here). It must
/// read the column names, physical types, row count and every value — the missing split as null.
[<Fact>]
let ``Arrow's C++ reader reads the parquet file`` () =
    use dir = new TempDir()
    let path = dir.File "t.parquet"
    sample () |> Tables.saveParquet path |> ignore
    use file = new ParquetSharp.ParquetFileReader(path)
    let meta = file.FileMetaData
    let names = [ for i in 0 .. meta.NumColumns - 1 -> meta.Schema.Column(i).Name ]

    Assert.Equal<string list>(
        [ "study"; "run"; "seed"; "step"; "split"; "example"; "output"; "lr"; "optimizer"; "quantity"; "value" ],
        names
    )

    Assert.Equal(3L, meta.NumRows)
    use group = file.RowGroup 0
    let col name = names |> List.findIndex ((=) name)

    let doubles name =
        use r = group.Column(col name).LogicalReader<Nullable<float>>()
        r.ReadAll 3 |> Array.map (fun v -> if v.HasValue then v.Value else nan)

    let strings name =
        use r = group.Column(col name).LogicalReader<string>()
        r.ReadAll 3

    let longs name =
        use r = group.Column(col name).LogicalReader<Nullable<int64>>()
        r.ReadAll 3 |> Array.map (fun v -> v.Value)

    Assert.Equal(ParquetSharp.PhysicalType.Double, meta.Schema.Column(col "value").PhysicalType)
    Assert.Equal(ParquetSharp.PhysicalType.Int64, meta.Schema.Column(col "seed").PhysicalType)
    Assert.Equal<float[]>([| 0.5; 0.25; 3.5 |], doubles "value")
    Assert.Equal<int64[]>([| 7L; 7L; 7L |], longs "seed")
    Assert.Equal<string[]>([| "loss"; "loss"; "grad_norm" |], strings "quantity")
    Assert.Equal<string[]>([| "train"; "test"; null |], strings "split")
    Assert.Equal<string[]>([| "sgd"; "sgd"; "sgd" |], strings "optimizer")
    Assert.Equal<float[]>([| 0.1; 0.1; 0.1 |], doubles "lr")
