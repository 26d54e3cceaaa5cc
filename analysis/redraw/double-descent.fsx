// Double descent and effective parameters (paper Fig. 3; spec §4.2): load the tidy table written by
// `telescope study double-descent` as a Deedle frame, print the final-step values per width (with the
// validity gate) and the verdict, and redraw the figure.
// Run after `dotnet build src/Telescope.Analytics -c Release`:
//   dotnet fsi analysis/redraw/double-descent.fsx [path/to/double-descent.csv]   (default: out/double-descent/double-descent.csv)
#load "Redraw.fsx"

open System.IO
open Deedle
open Telescope.Frames
open Telescope.Plots
open Telescope.Experiments.Studies.DoubleDescent

let config = Redraw.config "double-descent" "double-descent-redrawn.html"


printfn "config: %A" config
let frame: Frame<int, string> = TidyTable.Load config.Table
printfn "%d tidy rows, columns %s" frame.RowCount (String.concat ", " frame.ColumnKeys)

// final logged step of every run, mean over seeds, and the verdict: computed once, in the library
let widths = DoubleDescentSummary.Widths(TidyTable.ReadRows config.Table)

printfn "%6s %8s %8s %8s %9s %9s %10s %6s" "width" "acc tr" "loss te" "acc te" "p_train" "p_test" "AE_tel te" "gate"

for w in widths do
    printfn
        "%6d %8.3f %8.4f %8.3f %9.1f %9.1f %10.3g %6.2f"
        w.Width
        w.TrainAccuracy
        w.TestLoss
        w.TestAccuracy
        w.PTrain
        w.PTest
        w.TestTelescopingError
        w.GatePassed

printfn "%s" (DoubleDescentSummary.Verdict widths).Sentence

Studies.DoubleDescent.figure
    config.Table
    config.Html
    (sprintf "Redrawn by analysis/double-descent.fsx from %s" config.Table)
|> printfn "wrote %s"
