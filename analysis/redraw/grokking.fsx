// Grokking and effective parameters (paper Fig. 4; spec §4.3): load the tidy table written by
// `telescope study grokking` as a Deedle frame, print p_train − p_test and the test loss at the logged
// steps, and redraw the figure.
// Run after `dotnet build src/Telescope.Cli -c Release` (its output folder holds every dependency):
//   dotnet fsi analysis/redraw/grokking.fsx [path/to/grokking.csv]   (default: out/grokking/grokking.csv)
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
        | _ -> Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "out", "grokking", "grokking.csv")

    {
        Table = Path.GetFullPath table
        Html = Path.Combine(Path.GetDirectoryName(Path.GetFullPath table), "grokking-redrawn.html")
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

/// Mean value of `quantity` on `split` per (panel, step), from the frame.
let series quantity split =
    frame
    |> Frame.filterRowValues (fun r -> cellOf r "quantity" = quantity && cellOf r "split" = split)
    |> fun f -> f.Rows.Values
    |> Seq.map (fun r -> (cellOf r "task", cellOf r "epsilon", cellOf r "alpha", numOf r "step"), numOf r "value")
    |> Seq.groupBy fst
    |> Seq.map (fun (k, g) -> k, g |> Seq.averageBy snd)
    |> Map.ofSeq

let pTrain = series "effective_parameters" "train"
let pTest = series "effective_parameters" "test"
let lossTest = series "loss" "test"
let lossTrain = series "loss" "train"
let gate = series "gate_passed" ""

printfn "%-34s %8s %10s %10s %9s %9s %9s %5s" "panel" "step" "loss tr" "loss te" "p_train" "p_test" "gap p" "gate"

for KeyValue((task, eps, alpha, step) as k, pt) in pTrain do
    let get (m: Map<_, float>) = m.TryFind k |> Option.defaultValue nan
    let pe = get pTest

    printfn
        "%-34s %8.0f %10.4g %10.4g %9.2f %9.2f %9.2f %5.0f"
        (sprintf "task=%s eps=%s alpha=%s" task eps alpha)
        step
        (get lossTrain)
        (get lossTest)
        pt
        pe
        (pt - pe)
        (match gate.TryFind(task, eps, alpha, step) with
         | Some g -> g
         | None -> nan)

KernelFigures.grokking config.Table config.Html (sprintf "Redrawn by analysis/grokking.fsx from %s" config.Table)
|> printfn "wrote %s"
