// Your model, your data, your training loop (issue 17): a residual LayerNorm/GELU network on a CSV file
// of synthetic two moons that this script writes itself, trained by a plain loop with TorchSharp's own
// torch.optim.Adam and watched by the telescoping lens (TelescopeRecorder): f_t, f̃_t and f_lin,t.
// Then the exact training-data attribution: TorchSharp's Adam does not expose its preconditioner φ_t, so
// a second, equally long run from the same θ_0 uses plain torch.optim.SGD with that rule declared;
// every Δθ_t splits exactly by training row, and the attributions sum to f̃_T − f̃_0 (checked).
//
//   dotnet build src/Telescope.Analytics -c Release        # the library, for prelude.fsx
//   dotnet fsi analysis/own-model.fsx [--steps 200] [--out DIR]
//   telescope script analysis/own-model.fsx --steps 200
//
// Writes DIR (default out/analysis/own-model/): moons.csv (the data), trajectories.csv/.parquet (tidy rows
// of the Adam run), attribution.csv (tidy: attribution, attribution_top, f_telescoped_layer and the SGD
// run's f, f_telescoped, f_linearised), figure.html (+ plotly.min.js), run.json.
#load "prelude.fsx"

open System.IO
open TorchSharp
open Telescope
open Telescope.Data
open Telescope.Models
open Telescope.Training
open Telescope.Telescoping
open Telescope.FSharp
open Telescope.Plots

type Config =
    {
        Steps: int
        Rows: int
        Noise: float
        Width: int
        Blocks: int
        Batch: int
        AdamLr: float
        SgdLr: float
        TopK: int
        Seed: int64
    }

let argv = fsi.CommandLineArgs |> Array.skip 1

let config =
    {
        Steps = Args.int "--steps" 200 argv
        Rows = 120
        Noise = 0.1
        Width = 16
        Blocks = 2
        Batch = 16
        AdamLr = 0.01
        SgdLr = 0.1
        TopK = 3
        Seed = 0L
    }

Analysis.header "own-model (synthetic two moons)" config
let out = Analysis.outDir "own-model" argv
let file name = Path.Combine(out, name)

// 1. your data: a CSV file of synthetic two moons (seeded), read back by the library's CSV loader
let rng = Rng(config.Seed)

let moons =
    [
        for i in 0 .. config.Rows - 1 ->
            let label = i % 2
            let t = System.Math.PI * rng.NextDouble()

            let x1, x2 = if label = 0 then cos t, sin t else 1.0 - cos t, 0.5 - sin t

            sprintf
                "%.6f,%.6f,%d"
                (x1 + config.Noise * rng.NextGaussian())
                (x2 + config.Noise * rng.NextGaussian())
                label
    ]

File.WriteAllLines(file "moons.csv", "x1,x2,label" :: moons)
let data = Data.ofCsv "label" (file "moons.csv") |> Data.split 0.2 config.Seed

let source =
    sprintf
        "synthetic two moons (%d rows, noise %g, seed %d) from %s"
        config.Rows
        config.Noise
        config.Seed
        (file "moons.csv")

printfn "data: %s; %d train / %d test rows" source data.Train.Count data.Test.Count

// 2. your model: Dense(2→16), two residual blocks LayerNorm–Dense–GELU–Dense, LayerNorm, Dense(→1)
let model =
    Model.residual config.Width config.Blocks
    |> Model.withActivation ActivationKind.Gelu

// 3. your loop: any optimiser stepping net.Parameters; the lens is told each step's batch and rate
let x = data.Train.Inputs(torch.ScalarType.Float64, torch.CPU)
let y = data.Train.Targets(torch.ScalarType.Float64, torch.CPU)
let labels = data.Train.LabelTensor(torch.CPU)

let train (net: Network) (opt: torch.optim.Optimizer) (lr: float) (lens: TelescopeRecorder) =
    let sampler = BatchSampler(data.Train.Count, config.Batch, config.Seed)

    for _ in 1 .. config.Steps do
        use _scope = torch.NewDisposeScope()
        let batch = sampler.Next()
        let idx = torch.tensor (batch |> Array.map int64)
        opt.zero_grad ()
        let f = net.Forward(x.index_select (0L, idx))

        let loss =
            Loss.Compute(LossKind.Squared, f, y.index_select (0L, idx), labels.index_select (0L, idx))

        loss.backward ()
        opt.step () |> ignore
        lens.Step(batch, lr, loss.item<float>())

// run 1: TorchSharp's Adam, recorded every 10 steps (f, f̃, f_lin; rows streamed to an in-memory sink)
let adamRows = ObservationList()

let adamRun =
    use net = Lens.build model data 0L
    use lens = Lens.attachTo adamRows (Lens.options |> Lens.withRecordEvery 10) data net
    train net (torch.optim.Adam(net.Parameters, config.AdamLr)) config.AdamLr lens

let sci (v: float) =
    v.ToString("0.00e+00", System.Globalization.CultureInfo.InvariantCulture)

let key run =
    RunKey("own-model", run, config.Seed, [])

let trajectories =
    Telescope.Frames.TidyFrames.FromObservations(key "adam", adamRows.Items)

Tables.saveCsv (file "trajectories.csv") trajectories |> ignore
Tables.saveParquet (file "trajectories.parquet") trajectories |> ignore

let final quantity split =
    adamRows.Items
    |> Seq.filter (fun o ->
        o.Quantity = quantity
        && o.Split = split
        && o.Step = System.Nullable(float config.Steps))
    |> Seq.exactlyOne
    |> fun o -> o.Value

printfn
    "Adam (TorchSharp), %d steps, synthetic two moons: test accuracy f %.3f, f̃ %.3f; test mean|f − f̃| = %s, mean|f − f_lin| = %s"
    config.Steps
    (final "accuracy" "test")
    (final "telescoped_accuracy" "test")
    (sci (final "telescoping_error" "test"))
    (sci (final "linearised_error" "test"))

// run 2: the same θ_0 and batches, plain SGD with its rule declared: exact attribution, split by layer too
let sgdRows = ObservationList()

let traj, attr =
    use net = Lens.build model data 0L

    let options =
        Lens.options
        |> Lens.withRecordEvery 10
        |> Lens.withByLayer
        |> Lens.withAttribution (Optimizer.sgd config.SgdLr)

    use lens = Lens.attachTo sgdRows options data net
    train net (torch.optim.SGD(net.Parameters, config.SgdLr)) config.SgdLr lens
    Lens.trajectory lens, Lens.attribution lens

// the check: Σ_i A(x, z_i) = f̃_T(x) − f̃_0(x) for every probe point x
let change =
    traj.FTelescoped.select(0L, traj.FTelescoped.shape.[0] - 1L).sub(traj.FTelescoped.select (0L, 0L))

let scale = change.abs().max().item<float>()

let gap =
    attr.Total.sum(2L).add(attr.WeightDecay).sub(change).abs().max().item<float>()

printfn
    "SGD (TorchSharp, rule declared), %d steps, synthetic two moons: check max|Σ_i A(x, z_i) − (f̃_T(x) − f̃_0(x))| = %s (max|f̃_T − f̃_0| = %.3f; per-step residual %s)"
    config.Steps
    (sci gap)
    scale
    (sci attr.MaxResidual)

// the top-k training rows for the first three test points
let xs (d: Dataset) i =
    let r =
        d.Inputs(torch.ScalarType.Float64, torch.CPU).[int64 i].data<float>().ToArray()

    sprintf "(%+.2f, %+.2f) label %d" r.[0] r.[1] d.Labels.[i]

let top = attr.TopK config.TopK |> List.ofSeq

let trainExample (o: Observation) =
    o.Coordinates
    |> Seq.find (fun c -> c.Key = "train_example")
    |> fun c -> int c.Value

let nTrain = data.Train.Count

// how much the rows' contributions cancel: net = Σ_i A = f̃_T − f̃_0, gross = Σ_i |A|
let cancellation = attr.Cancellation "test" |> List.ofSeq

let cancel q p =
    cancellation
    |> List.find (fun o -> o.Quantity = q && o.Example = System.Nullable p)
    |> fun o -> o.Value

for p in 0..2 do
    let net = cancel "attribution_net" p
    let gross = cancel "attribution_gross" p

    printfn
        "test point %d %s: f̃_T − f̃_0 = %+.3f, but Σ_i |A(x, z_i)| = %.3f (%.0f× the net change: the rows' contributions cancel)"
        p
        (xs data.Test p)
        net
        gross
        (gross / max (abs net) 1e-300)

    printfn
        "    the %d largest contributions |A| — additive shares of f̃ along THIS trajectory, not the rows whose removal would move the prediction most (that is leave-one-out by replay: telescope study attribution-ladder); running sum beside each:"
        config.TopK

    let mutable running = 0.0

    for o in top |> List.filter (fun o -> o.Example = System.Nullable p) do
        running <- running + o.Value
        printfn "    row %3d %s  A = %+.4f   running Σ = %+.4f of %+.4f" (trainExample o) (xs data.Train (trainExample o)) o.Value running net

// outputs: one tidy table for the figure, the figure, run.json
let layers =
    sgdRows.Items |> Seq.filter (fun o -> o.Quantity = "f_telescoped_layer")

Telescope.Frames.TidyFrames.SaveCsv(
    Telescope.Frames.TidyFrames.FromObservations(
        key "sgd",
        Seq.concat
            [
                attr.ToObservations(false)
                attr.TopK config.TopK
                cancellation
                layers
                traj.ToObservations()
            ]
    ),
    file "attribution.csv"
)

AttributionFigures.attribution
    (file "attribution.csv")
    (file "figure.html")
    (sprintf
        "%s\nresidual LayerNorm/GELU MLP (width %d, %d blocks), plain SGD γ = %g, %d steps, batch %d; Σ_i A − (f̃_T − f̃_0) = %s"
        source
        config.Width
        config.Blocks
        config.SgdLr
        config.Steps
        config.Batch
        (sci gap))
|> ignore

Analysis.manifest
    out
    "own-model"
    config
    source
    [ config.Seed ]
    [
        "moons.csv"
        "trajectories.csv"
        "trajectories.parquet"
        "attribution.csv"
        "figure.html"
        Offline.PlotlyFileName
    ]
|> ignore

traj.Dispose()
attr.Dispose()
printfn "wrote %s" out
