(**
---
title: Your own model and attribution (analysis)
category: Analyses
categoryindex: 3
index: 2
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Your own model, your own loop, exact attribution

A residual LayerNorm/GELU network on a CSV file of synthetic two moons, trained by a plain loop with TorchSharp's
own `torch.optim.Adam` and watched by the telescoping lens (`TelescopeRecorder`): $f_t$, $\tilde f_t$ and
$f_{\mathrm{lin},t}$. Then the exact training-data attribution: TorchSharp's Adam does not expose its
preconditioner, so a second run from the same $\theta_0$ uses plain `torch.optim.SGD` with that rule declared;
every $\Delta\theta_t$ splits exactly by training row and the attributions sum to $\tilde f_T - \tilde f_0$.
A tiny run here; `analysis/own-model.fsx` (C#: `dotnet run analysis/own-model.cs`) is the same with a figure.

**1. Your data**: a CSV file (written here, seeded), read back by the library's CSV loader.
*)
open System.IO
open TorchSharp
open Telescope
open Telescope.Data
open Telescope.Models
open Telescope.Training
open Telescope.Telescoping
open Telescope.FSharp

let steps, batch, seed = 30, 16, 0L
let dir = Directory.CreateTempSubdirectory("telescope-own-model").FullName
let csv = Path.Combine(dir, "moons.csv")
let rng = Rng(seed)

File.WriteAllLines(
    csv,
    [
        yield "x1,x2,label"
        for i in 0..79 ->
            let label = i % 2
            let t = System.Math.PI * rng.NextDouble()
            let x1, x2 = if label = 0 then cos t, sin t else 1.0 - cos t, 0.5 - sin t
            sprintf "%.6f,%.6f,%d" (x1 + 0.1 * rng.NextGaussian()) (x2 + 0.1 * rng.NextGaussian()) label
    ]
)

let data = Data.ofCsv "label" csv |> Data.split 0.2 seed
printfn "two moons: %d train, %d test rows" data.Train.Count data.Test.Count
(*** include-output ***)
(**
**2. Your model**: Dense(2→8), two residual blocks LayerNorm–Dense–GELU–Dense, LayerNorm, Dense(→1).
**3. Your loop**: any optimiser stepping `net.Parameters`; the lens is told each step's batch and rate.
*)
let model = Model.residual 8 2 |> Model.withActivation ActivationKind.Gelu
let x = data.Train.Inputs(torch.ScalarType.Float64, torch.CPU)
let y = data.Train.Targets(torch.ScalarType.Float64, torch.CPU)
let labels = data.Train.LabelTensor(torch.CPU)

let train (net: Network) (opt: torch.optim.Optimizer) (lr: float) (lens: TelescopeRecorder) =
    let sampler = BatchSampler(data.Train.Count, batch, seed)

    for _ in 1..steps do
        use _scope = torch.NewDisposeScope()
        let b = sampler.Next()
        let idx = torch.tensor (b |> Array.map int64)
        opt.zero_grad ()
        let f = net.Forward(x.index_select (0L, idx))

        let loss =
            Loss.Compute(LossKind.Squared, f, y.index_select (0L, idx), labels.index_select (0L, idx))

        loss.backward ()
        opt.step () |> ignore
        lens.Step(b, lr, loss.item<float>())

let adamRows = ObservationList()

do
    use net = Lens.build model data 0L
    use lens = Lens.attachTo adamRows (Lens.options |> Lens.withRecordEvery 10) data net
    train net (torch.optim.Adam(net.Parameters, 0.01)) 0.01 lens

let final quantity =
    adamRows.Items
    |> Seq.find (fun o ->
        o.Quantity = quantity
        && o.Split = "test"
        && o.Step = System.Nullable(float steps))
    |> fun o -> o.Value

printfn
    "Adam, %d steps: test mean|f - f~| = %.2e, mean|f - f_lin| = %.2e"
    steps
    (final "telescoping_error")
    (final "linearised_error")
(*** include-output ***)
(**
**4. Exact attribution**: the same $\theta_0$ and batches, SGD with its rule declared
(`Lens.withAttribution`). The check: $\sum_i A(x, z_i) = \tilde f_T(x) - \tilde f_0(x)$ at every probe point.
*)
let traj, attr =
    use net = Lens.build model data 0L

    let options =
        Lens.options
        |> Lens.withRecordEvery 10
        |> Lens.withAttribution (Optimizer.sgd 0.1)

    use lens = Lens.attachTo (ObservationList()) options data net
    train net (torch.optim.SGD(net.Parameters, 0.1)) 0.1 lens
    Lens.trajectory lens, Lens.attribution lens

let change =
    traj.FTelescoped.select(0L, traj.FTelescoped.shape.[0] - 1L).sub(traj.FTelescoped.select (0L, 0L))

let gap =
    attr.Total.sum(2L).add(attr.WeightDecay).sub(change).abs().max().item<float>()

printfn
    "attribution sums to the change: %b (max gap %.1e, max|f~_T - f~_0| = %.3f)"
    (gap <= 1e-6 * max 1.0 (change.abs().max().item<float>()))
    gap
    (change.abs().max().item<float>())

for o in attr.TopK 2 |> Seq.filter (fun o -> o.Example = System.Nullable 0) do
    let row =
        o.Coordinates
        |> Seq.find (fun c -> c.Key = "train_example")
        |> fun c -> int c.Value

    printfn "test point 0: training row %d, A = %+.4f" row o.Value
(*** include-output ***)
(**
Every training row's share of test point 0's change, sorted: large shares of both signs cancel, so the rows with
the largest |A| are not the rows whose removal would change the prediction most (`docs/attribution.md`):
*)
let shares =
    let a = attr.Total.select(0L, 0L).select(0L, 0L)
    Array.init (int a.shape.[0]) (fun i -> a.[int64 i].item<float>()) |> Array.sort

XPlot.Plotly.Bar(x = [ 1 .. shares.Length ], y = shares, name = "A(x_0, z_i)")
|> XPlot.Plotly.Chart.Plot
|> XPlot.Plotly.Chart.WithLayout(
    Telescope.Plots.FrameFigures.layoutAt
        Page.column
        "Test point 0: every training row's share A(x_0, z_i), sorted"
        "training rows, by share"
        "A (logit units)"
        false
        false
)
|> Page.figure
(*** include-it-raw ***)
(**
Adam's own rule (bias-corrected, per coordinate) can be declared too (`Optimizer.adam`): see
`docs/own-model.md` in the repository for the rules that can be declared and what is refused.
*)
(*** hide ***)
Directory.Delete(dir, true)
