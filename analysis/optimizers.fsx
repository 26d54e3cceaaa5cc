// Does the optimiser change how well the telescoping model tracks the network? (paper Figs 7, 8)
// SGD, heavy-ball momentum and AdamW on M35, each at a learning rate of its usual scale; test
// telescoping error mean|f_t − f̃_t| over steps, mean over seeds with a 95% band, log y, legend by
// optimiser; and the final test accuracy of the network beside that of f̃ as a table.
//
//   dotnet build src/Telescope.Analytics -c Release        # the library, for prelude.fsx
//   dotnet fsi analysis/optimizers.fsx [--steps 100] [--seeds 0,1] [--out DIR]
//
// Writes DIR (default out/analysis/optimizers/): table.csv + table.parquet (aggregate),
// final.csv (final-step accuracy of f and f̃ per optimiser), figure.html, figure.png, run.json.
#load "prelude.fsx"

open System.IO
open Telescope.FSharp
open Telescope.Plots

/// One optimiser of the comparison: sgd; momentum (μ = 0.9); adamw (λ = 0.1, β = (0.9, 0.99)).
type Entry =
    {
        Optimizer: string
        LearningRate: float
    }

type Config =
    {
        Steps: int
        Seeds: int list
        Hidden: int list
        Train: int
        Test: int
        Batch: int
        /// The optimisers compared, each at a learning rate of its usual scale.
        Optimizers: Entry list
    }

let argv = fsi.CommandLineArgs |> Array.skip 1

let config =
    {
        Steps = Args.int "--steps" 100 argv
        Seeds = Args.ints "--seeds" [ 0; 1 ] argv
        Hidden = [ 64; 64 ]
        Train = 300
        Test = 200
        Batch = 100
        Optimizers =
            [
                {
                    Optimizer = "sgd"
                    LearningRate = 0.1
                }
                {
                    Optimizer = "momentum"
                    LearningRate = 0.01
                }
                {
                    Optimizer = "adamw"
                    LearningRate = 1e-3
                }
            ]
    }

Analysis.header "optimizers" config
let out = Analysis.outDir "optimizers" argv
let data = Data.m35 0L config.Train config.Test

let optimizer label lr =
    match label with
    | "sgd" -> Optimizer.sgd lr
    | "momentum" -> Optimizer.momentum 0.9 lr
    | _ -> Optimizer.adamw 0.1 lr |> Optimizer.withBetas (0.9, 0.99)

let runs =
    [
        for e in config.Optimizers do
            yield!
                Train.defaults (Model.mlp config.Hidden) (optimizer e.Optimizer e.LearningRate)
                |> Train.withSteps config.Steps
                |> Train.withBatch config.Batch
                |> fun t -> { t with Study = "optimizers" }
                |> Train.seeds (config.Seeds |> List.map int64)
    ]
    |> Train.runAll data

let test = Train.toFrame runs |> Tables.split "test"

let table =
    test
    |> Tables.quantity "telescoping_error"
    |> Tables.aggregateOverSeeds
    |> Tables.saveCsv (Path.Combine(out, "table.csv"))
    |> Tables.saveParquet (Path.Combine(out, "table.parquet"))

let last = Tables.numbers "step" test |> Array.max |> string

let final =
    test
    |> Tables.whereIn "quantity" [ "accuracy"; "telescoped_accuracy" ]
    |> Tables.whereEq "step" last
    |> Tables.aggregateOverSeeds
    |> Tables.saveCsv (Path.Combine(out, "final.csv"))

let figure = Path.Combine(out, "figure.html")

Offline.save
    figure
    "Telescoping error by optimiser"
    (sprintf
        "%s\nMLP %A, %d steps; mean over seeds %A with 95%% Student-t band"
        (Data.source data)
        config.Hidden
        config.Steps
        config.Seeds)
    [
        FrameFigures.seedBands
            "mean |f_t − f̃_t| on test points, by optimiser"
            [ "optimizer"; "lr" ]
            false
            true
            "mean |f_t − f̃_t| (output units)"
            table
    ]

let png = Snapshot.tryPng figure (Path.Combine(out, "figure.png"))

Analysis.manifest
    out
    "optimizers"
    config
    (Data.source data)
    (config.Seeds |> List.map int64)
    ([
        "table.csv"
        "table.parquet"
        "final.csv"
        "figure.html"
        Offline.PlotlyFileName
     ]
     @ (png |> Option.map (fun _ -> [ "figure.png" ]) |> Option.defaultValue []))
|> ignore

printfn "%s" ((final.Columns.[[| "quantity"; "optimizer"; "lr"; "n"; "mean"; "ci_low"; "ci_high" |]]).Format())
printfn "wrote %s (png: %s)" out (defaultArg png "none: no Chromium")
