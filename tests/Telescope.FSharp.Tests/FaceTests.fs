module Telescope.FSharp.Tests.FaceTests

open Xunit
open Telescope.FSharp
open Telescope.Models
open Telescope.Optim

let data = lazy (Data.synthetic 0L 60 40)

let quick model optimizer =
    Train.defaults model optimizer
    |> Train.withSteps 6
    |> Train.withBatch 20
    |> fun t -> { t with RecordEvery = 1 }

[<Fact>]
let ``with* functions change one field and keep the rest`` () =
    let m =
        Model.mlp [ 8; 4 ]
        |> Model.withActivation ActivationKind.Tanh
        |> Model.withAlpha 0.5
        |> Model.withSigmoid

    Assert.Equal<int[]>([| 8; 4 |], m.Widths)
    Assert.Equal(ActivationKind.Tanh, m.Activation)
    Assert.Equal(0.5, m.Alpha)
    Assert.True(m.OutputSigmoid)

    let o =
        Optimizer.adamw 0.1 1e-3
        |> Optimizer.withBetas (0.8, 0.95)
        |> Optimizer.withWarmup 10

    Assert.Equal(OptimizerKind.AdamW, o.Kind)
    Assert.Equal(0.1, o.WeightDecay)
    Assert.Equal(1e-3, o.LearningRate)
    Assert.Equal((0.8, 0.95), (o.Beta1, o.Beta2))
    Assert.Equal(10, o.Warmup)

[<Fact>]
let ``validate names the problem of a bad optimiser`` () =
    match Optimizer.sgd -1.0 |> Optimizer.validate with
    | Error [ p ] -> Assert.Contains("learning rate", p)
    | other -> failwithf "expected one problem, got %A" other

    Assert.True(Optimizer.sgd 0.1 |> Optimizer.validate |> Result.isOk)

[<Fact>]
let ``Args parse options and name the bad one`` () =
    let argv = [| "--steps"; "20"; "--lr"; "0.1,1"; "--out"; "x" |]
    Assert.Equal(20, Args.int "--steps" 100 argv)
    Assert.Equal<float list>([ 0.1; 1.0 ], Args.floats "--lr" [] argv)
    Assert.Equal(5, Args.int "--seed" 5 argv)
    let e = Assert.ThrowsAny<exn>(fun () -> Args.int "--out" 1 argv |> ignore)
    Assert.Contains("--out", e.Message)

[<Fact>]
let ``train returns a tidy frame with one row per observation and the run's columns`` () =
    let run =
        quick (Model.mlp [ 16 ]) (Optimizer.sgd 0.1)
        |> Train.withSeed 3L
        |> Train.run data.Value

    Assert.Equal(None, Train.tryFailure run)
    let frame = Train.toFrame [ run ]
    Assert.Equal(run.Observations.Length, frame.RowCount)

    for c in
        [
            "study"
            "run"
            "seed"
            "step"
            "split"
            "model"
            "optimizer"
            "lr"
            "weight_decay"
            "batch"
            "quantity"
            "value"
        ] do
        Assert.Contains(c, frame.ColumnKeys)

    Assert.All(Tables.numbers "seed" frame, fun s -> Assert.Equal(3.0, s))

    Assert.Equal<float list>(
        [ 0. .. 6. ],
        frame
        |> Tables.quantity "loss"
        |> Tables.split "test"
        |> Tables.numbers "step"
        |> List.ofArray
    )

    Assert.True((Train.tryFinal "test/accuracy" run).IsSome)

[<Fact>]
let ``telescoping is exact for a model linear in its parameters and not for an MLP`` () =
    let err spec =
        quick spec (Optimizer.sgd 0.5)
        |> Train.run data.Value
        |> fun r -> Train.toFrame [ r ]
        |> Tables.quantity "linearised_error"
        |> Tables.numbers "value"
        |> Array.max

    let linear = err (Model.linear 32)
    let mlp = err (Model.mlp [ 32 ])
    Assert.True(linear < 1e-10, sprintf "linear model: f_lin should equal f, max error %g" linear)
    Assert.True(mlp > 1e-8, sprintf "MLP: f_lin should drift from f, max error %g" mlp)

[<Fact>]
let ``the same seed gives the same trajectory, another seed another`` () =
    let values seed =
        quick (Model.mlp [ 8 ]) (Optimizer.sgd 0.1)
        |> Train.withSeed seed
        |> Train.run data.Value
        |> fun r -> Train.toFrame [ r ] |> Tables.quantity "loss" |> Tables.numbers "value"

    Assert.Equal<float[]>(values 1L, values 1L)
    Assert.NotEqual<float[]>(values 1L, values 2L)

[<Fact>]
let ``an invalid training is refused before any work, listing every problem`` () =
    let t =
        { quick (Model.mlp [ 4 ]) (Optimizer.sgd -1.0) with
            BatchSize = 0
        }

    let e =
        Assert.Throws<System.ArgumentException>(fun () -> Train.run data.Value t |> ignore)

    Assert.Contains("batch size", e.Message)
    Assert.Contains("learning rate", e.Message)

[<Fact>]
let ``runKeeping returns the trained network: its own loss on the probe rows is the run's last recorded loss`` () =
    let training = quick (Model.mlp [ 8 ]) (Optimizer.sgd 0.1)
    let run, net = Train.runKeeping data.Value training
    use net = net
    let d = data.Value.Train
    let x = d.Inputs(training.DType, TorchSharp.torch.CPU)
    let y = d.Targets(training.DType, TorchSharp.torch.CPU)
    // ½ · mean over rows of Σ_o (y − f)², computed here from the kept θ_T (not by the recorder)
    let f = net.Forward(x).data<float>().ToArray()
    let t = y.data<float>().ToArray()
    let mine = 0.5 * (Array.map2 (fun a b -> (a - b) * (a - b)) f t |> Array.average)
    let recorded = (Train.tryFinal "train/loss" run).Value
    Assert.Equal(recorded, mine, 10)
    // and θ_T is not θ_0
    use fresh =
        training.Model.Build(d.Shape, d.Outputs, training.Seed, training.DType, TorchSharp.torch.CPU)

    Assert.NotEqual<float[]>(fresh.Forward(x).data<float>().ToArray(), f)

[<Fact>]
let ``Kernel.ntk equals the contraction of the explicit Jacobians, and the per-example loop`` () =
    let training = quick (Model.mlp [ 6 ]) (Optimizer.sgd 0.1)
    let _, net = Train.runKeeping data.Value training
    use net = net
    let x = data.Value.Test.Inputs(training.DType, TorchSharp.torch.CPU).narrow(0, 0, 5)
    let k = Kernel.ntk net x x
    let j = Kernel.jacobian net x // [N, 1, P]
    let jj = j.squeeze (1)
    let byHand = jj.matmul (jj.t ())
    let loop = Kernel.ntkBy Telescope.Kernels.NtkMethod.PerExample net x x
    Assert.Equal<int64[]>([| 5L; 5L |], k.shape)
    Assert.True(k.allclose (byHand, 1e-10, 1e-12))
    Assert.True(k.allclose (loop, 1e-10, 1e-12))

[<Fact>]
let ``effective parameters of a hand-made smoother`` () =
    // S rows: two training points smoothed onto themselves, one test point halfway: n = 2
    let s =
        TorchSharp.torch.tensor([| 1.0; 0.0; 0.0; 1.0; 0.5; 0.5 |]).reshape(3L, 2L).clone()

    let pTrain, pTest = Smoother.effectiveParametersSplit s
    Assert.Equal(2.0, pTrain, 12) // ‖S[0:2]‖_F² = 2
    Assert.Equal(1.0, pTest, 12) // (n/m) Σ ‖s‖² = 2 · 0.5
    Assert.Equal(1.0, Smoother.effectiveParameters (s.narrow (0, 2, 1)) 2, 12)

[<Fact>]
let ``the new layers are built and trained from F#: residual, transformer, batch norm, GELU`` () =
    for model in
        [
            Model.residual 8 2 |> Model.withActivation ActivationKind.Gelu
            Model.transformer 4 6 |> Model.withActivation ActivationKind.Silu
            Model.mlp [ 8 ] |> Model.withBatchNorm BatchNormStatistics.Batch
            Model.mlp [ 8 ] |> Model.withActivation ActivationKind.Softplus
        ] do
        let run = quick model (Optimizer.sgd 0.05) |> Train.run data.Value
        Assert.Equal(None, Train.tryFailure run)
        Assert.NotEmpty(run.Observations)

    let bn =
        Model.mlp [ 8 ]
        |> Model.withBatchNorm BatchNormStatistics.Running
        |> Model.withAlpha 0.5

    Assert.Equal(System.Nullable BatchNormStatistics.Running, bn.BatchNorm)
    Assert.Equal(0.5, bn.Alpha)
