// Double descent and effective parameters (paper Fig. 3; spec §4.2): load the tidy table written by
// `telescope study double-descent` as a Deedle frame, print the final-step values per width (with the
// validity gate), and redraw the figure.
// Run after `dotnet build src/Telescope.Cli -c Release`:
//   dotnet fsi analysis/redraw/double-descent.fsx [path/to/double-descent.csv]   (default: out/double-descent/double-descent.csv)
#I "../../src/Telescope.Cli/bin/Release/net10.0"
#r "Telescope.Schema.dll"
#r "Telescope.Frames.dll"
#r "Telescope.Plots.dll"
#r "Deedle.dll"
#r "XPlot.Plotly.dll"
#r "Newtonsoft.Json.dll"

open System.IO
open Deedle
open Telescope.Frames
open Telescope.Plots

type Config = { Table: string; Html: string }

let config =
    let table =
        match fsi.CommandLineArgs |> Array.tail with
        | [| t |] -> t
        | _ -> Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "out", "double-descent", "double-descent.csv")

    {
        Table = Path.GetFullPath table
        Html = Path.Combine(Path.GetDirectoryName(Path.GetFullPath table), "double-descent-redrawn.html")
    }


/// A cell as text ("" when missing), whatever type Deedle inferred for its column.
let cellOf (r: ObjectSeries<string>) (c: string) =
    let v = r.TryGet(c)
    if v.HasValue then string v.Value else ""

/// A cell as a number (NaN when missing or not a number).
let numOf (r: ObjectSeries<string>) (c: string) =
    match
        System.Double.TryParse(
            cellOf r c,
            System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture
        )
    with
    | true, v -> v
    | _ -> nan

printfn "config: %A" config
let frame: Frame<int, string> = TidyTable.Load config.Table

// final logged step of every run
let lastStep =
    frame
    |> Frame.filterRowValues (fun r -> not (System.Double.IsNaN(numOf r "step")))
    |> fun f -> f.Rows.Values
    |> Seq.groupBy (fun r -> cellOf r "run")
    |> Seq.map (fun (run, rs) -> run, rs |> Seq.map (fun r -> numOf r "step") |> Seq.max)
    |> Map.ofSeq

let finals =
    frame
    |> Frame.filterRowValues (fun r ->
        let s = numOf r "step"
        lastStep.TryFind(cellOf r "run") = Some s)

let value width quantity split =
    finals
    |> Frame.filterRowValues (fun r ->
        numOf r "width" = float width
        && cellOf r "quantity" = quantity
        && cellOf r "split" = split)
    |> Frame.getCol "value"
    |> Stats.mean

let widths =
    finals.GetColumn<float>("width")
    |> Series.values
    |> Seq.distinct
    |> Seq.sort
    |> Seq.map int
    |> List.ofSeq

printfn "%6s %8s %8s %8s %9s %9s %10s %6s" "width" "acc tr" "loss te" "acc te" "p_train" "p_test" "AE_tel te" "gate"

for w in widths do
    printfn
        "%6d %8.3f %8.4f %8.3f %9.1f %9.1f %10.3g %6.2f"
        w
        (value w "accuracy" "train")
        (value w "loss" "test")
        (value w "accuracy" "test")
        (value w "effective_parameters" "train")
        (value w "effective_parameters" "test")
        (value w "telescoping_error" "test")
        (value w "gate_passed" "")

KernelFigures.doubleDescent
    config.Table
    config.Html
    (sprintf "Redrawn by analysis/double-descent.fsx from %s" config.Table)
|> printfn "wrote %s"
