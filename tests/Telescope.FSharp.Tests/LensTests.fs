module Telescope.FSharp.Tests.LensTests

open Xunit
open TorchSharp
open Telescope
open Telescope.FSharp
open Telescope.Tensors
open Telescope.Training

[<Fact>]
let ``own loop with TorchSharp SGD: attribution sums to f̃_T − f̃_0, frames and the figure`` () =
    let data = Data.synthetic 0L 20 8
    use net = Lens.build (Model.mlp [ 8 ]) data 1L
    let lr = 0.2

    let options =
        Lens.options
        |> Lens.withRecordEvery 5
        |> Lens.withByLayer
        |> Lens.withExamples 100
        |> Lens.withAttribution (Optimizer.sgd lr)

    let sink = ObservationList()
    let lens = Lens.attachTo sink options data net
    let opt = torch.optim.SGD(net.Parameters, lr)
    let x = data.Train.Inputs(torch.ScalarType.Float64, torch.CPU)
    let y = data.Train.Targets(torch.ScalarType.Float64, torch.CPU)
    let labels = data.Train.LabelTensor(torch.CPU)
    let sampler = BatchSampler(data.Train.Count, 5, 3L)

    for _ in 1..20 do
        use _scope = torch.NewDisposeScope()
        let b = sampler.Next()
        let idx = torch.tensor (b |> Array.map int64)
        opt.zero_grad ()

        let loss =
            Loss.Compute(
                LossKind.Squared,
                net.Forward(x.index_select (0L, idx)),
                y.index_select (0L, idx),
                labels.index_select (0L, idx)
            )

        loss.backward ()
        opt.step () |> ignore
        lens |> Lens.stepBatch b lr

    let traj = Lens.trajectory lens
    let attr = Lens.attribution lens
    lens.Dispose() // what was handed out survives the lens

    let last = traj.FTelescoped.select (0L, traj.FTelescoped.shape.[0] - 1L)
    let change = last.Minus(traj.FTelescoped.select (0L, 0L))
    let scale = change.abs().max().item<float>()
    let err = attr.Total.sum(2L).Minus(change).abs().max().item<float>()
    Assert.True(scale > 1e-2, sprintf "f̃ moved by %g" scale)
    Assert.True(err <= 1e-10 * scale, sprintf "Σ_i A − (f̃_T − f̃_0) = %g" err)

    let key = Fixtures.key "own" 0L [ "lr", "0.2" ]
    let frame = Lens.toFrame key traj
    Assert.Equal(traj.Steps.Count * 28 * (3 + 2), frame.RowCount) // f, f̃, f_lin and 2 layers per point and step
    let af = Lens.attributionFrame key 3 attr
    Assert.Contains("train_example", af.ColumnKeys)
    Assert.Contains("rank", af.ColumnKeys)

    use dir = new Fixtures.TempDir()
    let table = dir.File "attribution.csv"

    let layerRows =
        sink.Items |> Seq.filter (fun o -> o.Quantity = "f_telescoped_layer")

    Telescope.Frames.TidyFrames.SaveCsv(
        Telescope.Frames.TidyFrames.FromObservations(key, Seq.concat [ attr.ToObservations(); attr.TopK 3; layerRows ]),
        table
    )

    let page =
        Telescope.Plots.AttributionFigures.attribution table (dir.File "attribution.html") "test"

    let html = System.IO.File.ReadAllText(dir.File page)
    Assert.Contains("heatmap", html)
    Assert.Contains("\"type\":\"bar\"", html)
    Assert.Contains("layer=", html)
    traj.Dispose()
    attr.Dispose()
