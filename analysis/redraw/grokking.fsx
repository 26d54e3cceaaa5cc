// Grokking and effective parameters (paper Fig. 4; spec §4.3): load the tidy table written by
// `telescope study grokking`, print p_train − p_test and the test loss at the logged
// steps, and redraw the figure.
// Run after `dotnet build src/Telescope.Analytics -c Release` (its output folder holds every dependency):
//   dotnet fsi analysis/redraw/grokking.fsx [path/to/grokking.csv]   (default: out/grokking/grokking.csv)
#load "Redraw.fsx"

open System.IO
open Telescope.Frames
open Telescope.Plots

let config = Redraw.config "grokking" "grokking-redrawn.html"


type Row = System.Collections.Generic.IReadOnlyDictionary<string, string>

/// A cell as text ("" when the column is missing).
let cell (r: Row) (c: string) =
    match r.TryGetValue c with
    | true, v -> v
    | _ -> ""

/// A cell as a number (NaN when missing or not a number).
let num (r: Row) (c: string) =
    match
        System.Double.TryParse(
            cell r c,
            System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture
        )
    with
    | true, v -> v
    | _ -> nan

printfn "config: %A" config
let rows = TidyTable.ReadRows config.Table |> Seq.toList

/// Mean over seeds (the library's TidyQueries.MeanOverSeeds) of `quantity` on `split` per (panel, step).
let series quantity split =
    rows
    |> List.filter (fun r -> cell r "quantity" = quantity && cell r "split" = split)
    |> TidyQueries.MeanOverSeeds
    |> Seq.map (fun r -> (cell r "task", cell r "epsilon", cell r "alpha", num r "step"), num r "value")
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

Studies.Grokking.figure config.Table config.Html (sprintf "Redrawn by analysis/grokking.fsx from %s" config.Table)
|> printfn "wrote %s"
