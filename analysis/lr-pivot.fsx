// How the telescoping error grows with the learning rate (paper Fig. 2, one panel): the
// approximation study at three SGD learning rates, its test telescoping error pivoted into a
// step × learning-rate table (mean over seeds), drawn on log–log axes as in the paper.
//
//   dotnet build src/Telescope.Analytics -c Release        # the library, for prelude.fsx
//   dotnet fsi analysis/lr-pivot.fsx [--steps 100] [--lr 0.01,0.1,0.5] [--out DIR]
//
// Writes DIR (default out/analysis/lr-pivot/): pivot.csv (step, one column per lr),
// trajectories.csv + trajectories.parquet (tidy), figure.html, figure.png (with Chromium), run.json.
#load "prelude.fsx"

open System.IO
open Telescope.FSharp
open Telescope.Plots
open Telescope.Experiments.Studies.Approximation

type Config =
    {
        Steps: int
        LearningRates: float list
        Seeds: int64 list
        Hidden: int list
        Train: int
        Test: int
    }

let argv = fsi.CommandLineArgs |> Array.skip 1

let config =
    {
        Steps = Args.int "--steps" 100 argv
        LearningRates = Args.floats "--lr" [ 0.01; 0.1; 0.5 ] argv
        Seeds = [ 0L ]
        Hidden = [ 64; 64 ]
        Train = 300
        Test = 200
    }

Analysis.header "lr-pivot" config
let out = Analysis.outDir "lr-pivot" argv

let study =
    ApproximationConfig(
        Model = Model.mlp config.Hidden,
        Settings =
            (config.LearningRates
             |> List.map (fun lr -> OptimizerSetting("sgd", Optimizer.sgd lr))
             |> ResizeArray),
        Steps = config.Steps,
        Seeds = ResizeArray config.Seeds,
        TrainSize = config.Train,
        TestSize = config.Test,
        BatchSize = 100
    )
    |> Study.approximation

let trajectories =
    Study.run study
    |> Tables.saveCsv (Path.Combine(out, "trajectories.csv"))
    |> Tables.saveParquet (Path.Combine(out, "trajectories.parquet"))

// step × lr, test split, steps ≥ 1 (the error is 0 at t = 0 and log axes cannot show it)
let pivot =
    trajectories
    |> Tables.pivotSplit "test" "lr" "telescoping_error"
    |> Deedle.Frame.filterRows (fun step _ -> step >= 1.0)
    |> Tables.saveCsvByStep (Path.Combine(out, "pivot.csv"))

let figure = Path.Combine(out, "figure.html")

Offline.save
    figure
    "Telescoping error by learning rate"
    (sprintf "%s\nMLP %A, SGD, %d steps, seed 0; test points" study.DataSource config.Hidden config.Steps)
    [
        FrameFigures.pivotLines
            "mean |f_t − f̃_t| on test points, by SGD learning rate"
            true
            true
            "mean |f_t − f̃_t| (output units)"
            pivot
    ]

let png = Snapshot.tryPng figure (Path.Combine(out, "figure.png"))

Analysis.manifest
    out
    "lr-pivot"
    config
    study.DataSource
    config.Seeds
    ([
        "trajectories.csv"
        "trajectories.parquet"
        "pivot.csv"
        "figure.html"
        Offline.PlotlyFileName
     ]
     @ (png |> Option.map (fun _ -> [ "figure.png" ]) |> Option.defaultValue []))
|> ignore

printfn "%s" (pivot.Format(5, 5))
printfn "wrote %s (png: %s)" out (defaultArg png "none: no Chromium")
