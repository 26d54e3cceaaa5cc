// Approximation quality of the telescoping model (paper Figs 2, 7, 8), small and quick:
// how far the telescoped model f̃_t and the linearised model f_lin,t drift from the trained
// network f_t on held-out M35 digits, mean over seeds with a 95% interval, per learning rate.
//
//   dotnet build src/Telescope.Analytics -c Release        # the library, for prelude.fsx
//   dotnet fsi analysis/approximation.fsx [--steps 100] [--seeds 0,1,2] [--out DIR]
//   telescope script analysis/approximation.fsx --steps 100
//
// Writes DIR (default out/analysis/approximation/): table.csv (aggregate), table.parquet,
// trajectories.csv (tidy), figure.html (+ plotly.min.js), figure.png when Chromium is installed,
// run.json (this config).
#load "prelude.fsx"

open Telescope.FSharp
open Telescope.Plots

type Config =
    {
        Steps: int
        Seeds: int list
        LearningRates: float list
        Hidden: int list
        Train: int
        Test: int
        Batch: int
    }

let argv = fsi.CommandLineArgs |> Array.skip 1

let config =
    {
        Steps = Args.int "--steps" 100 argv
        Seeds = Args.ints "--seeds" [ 0; 1; 2 ] argv
        LearningRates = Args.floats "--lr" [ 0.01; 0.1 ] argv
        Hidden = [ 64; 64 ]
        Train = 300
        Test = 200
        Batch = 100
    }

Analysis.header "approximation" config
let out = Analysis.outDir "approximation" argv
let data = Data.m35 0L config.Train config.Test

// one training per (learning rate, seed), recorded every step
let runs =
    [
        for lr in config.LearningRates do
            yield!
                Train.defaults (Model.mlp config.Hidden) (Optimizer.sgd lr)
                |> Train.withSteps config.Steps
                |> Train.withBatch config.Batch
                |> fun t -> { t with Study = "approximation" }
                |> Train.seeds (config.Seeds |> List.map int64)
    ]
    |> Train.runAll data

for r in runs do
    Train.tryFailure r |> Option.iter (printfn "run %s failed: %s" r.Key.Run)

let trajectories =
    Train.toFrame runs
    |> Tables.saveCsv (System.IO.Path.Combine(out, "trajectories.csv"))

// test-set errors, mean over seeds with a 95% interval
let table =
    trajectories
    |> Tables.split "test"
    |> Tables.whereIn "quantity" [ "telescoping_error"; "linearised_error" ]
    |> Tables.aggregateOverSeeds
    |> Tables.saveCsv (System.IO.Path.Combine(out, "table.csv"))
    |> Tables.saveParquet (System.IO.Path.Combine(out, "table.parquet"))

let figure = System.IO.Path.Combine(out, "figure.html")

Offline.save
    figure
    "Approximation error on held-out M35 digits"
    (sprintf
        "%s\nMLP %A, SGD, %d steps; mean over seeds %A with 95%% Student-t band"
        (Data.source data)
        config.Hidden
        config.Steps
        config.Seeds)
    [
        FrameFigures.seedBands
            "mean |f_t − f̃_t| (telescoping) and mean |f_t − f_lin,t| (linearised), test"
            [ "quantity"; "lr" ]
            false
            true
            "mean absolute difference (output units)"
            table
    ]

let png = Snapshot.tryPng figure (System.IO.Path.Combine(out, "figure.png"))

let outputs =
    [
        "trajectories.csv"
        "table.csv"
        "table.parquet"
        "figure.html"
        Offline.PlotlyFileName
    ]
    @ (png |> Option.map (fun _ -> [ "figure.png" ]) |> Option.defaultValue [])

Analysis.manifest out "approximation" config (Data.source data) (config.Seeds |> List.map int64) outputs
|> ignore

// the table: final-step mean and interval per learning rate
let last = Tables.numbers "step" table |> Array.max

table
|> Tables.whereEq "step" (string last)
|> fun t -> t.Columns.[[| "quantity"; "lr"; "n"; "mean"; "ci_low"; "ci_high" |]]
|> fun t -> printfn "%s" (t.Format())

printfn "wrote %s (png: %s)" out (defaultArg png "none: no Chromium")
