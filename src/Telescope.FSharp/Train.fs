namespace Telescope.FSharp

open System.Globalization
open Telescope
open Telescope.Models
open Telescope.Optim
open Telescope.Tangents
open Telescope.Telescoping
open Telescope.Training

/// One training run to record: model, optimiser, schedule, seed and what to record. An immutable
/// record: change it with `{ training with Steps = 200 }`.
type Training =
    {
        /// Architecture (see `Model`).
        Model: ModelSpec
        /// Optimiser and learning rate γ (see `Optimizer`).
        Optimizer: OptimizerSpec
        /// T, the number of optimiser steps.
        Steps: int
        /// Batch size b (≥ the training rows means full batch).
        BatchSize: int
        /// Training loss.
        Loss: LossKind
        /// Seed of the initialisation and the batch order; written into every row.
        Seed: int64
        /// Write every k-th step (0: about 30 log-spaced steps plus every T/100).
        RecordEvery: int
        /// Also write per-example f, f̃, f_lin for the first K rows of each split.
        RecordExamples: int
        /// Tracked train rows (≤ training rows).
        ProbeTrain: int
        /// Tracked test rows (≤ test rows).
        ProbeTest: int
        /// `Float64` (exactness, default) or `Float32`.
        DType: TorchSharp.torch.ScalarType
        /// `cpu`, `cuda` or `cuda:N`.
        Device: string
        /// How the telescoped increment ∇f(x)ᵀΔθ is computed (all exact).
        Method: JvpMethod
        /// The `study` column of the table.
        Study: string
        /// Extra swept hyper-parameters to write as columns (name, value), after the standard ones.
        Tags: (string * string) list
    }

/// The outcome of one recorded run.
type Run =
    {
        /// study, run id, seed and hyper-parameters: the identifying columns of every row.
        Key: RunKey
        /// Every observation recorded, in order.
        Observations: Observation list
        /// How the run ended (steps completed, failure, last values).
        Result: TrajectoryResult
    }

/// Training with the telescoping lens (`Telescope.Telescoping.Trajectory`): per step, the real
/// optimiser step, the telescoped model f̃_t = f̃_{t−1} + ∇f_{θ_{t−1}}ᵀΔθ_t on every tracked point,
/// and at logged steps the network f_t and the linearised model f_lin,t. Quantities per step and split:
/// `telescoping_error`, `linearised_error`, `loss`, `accuracy`, `telescoped_*`, `linearised_*`, plus
/// `batch_loss`, `grad_norm`, `update_norm`, `lr`.
[<RequireQualifiedAccess>]
module Train =

    let private f (x: float) =
        x.ToString("R", CultureInfo.InvariantCulture)

    /// A training with the paper's M35 defaults (squared loss, batch 200, T = 600, seed 0, float64, CPU,
    /// log-spaced recording).
    let defaults (model: ModelSpec) (optimizer: OptimizerSpec) : Training =
        {
            Model = model
            Optimizer = optimizer
            Steps = 600
            BatchSize = 200
            Loss = LossKind.Squared
            Seed = 0L
            RecordEvery = 0
            RecordExamples = 0
            ProbeTrain = 1000
            ProbeTest = 1000
            DType = TorchSharp.torch.ScalarType.Float64
            Device = "cpu"
            Method = JvpMethod.Forward
            Study = "train"
            Tags = []
        }

    /// Set T.
    let withSteps (steps: int) (training: Training) = { training with Steps = steps }

    /// Set the seed.
    let withSeed (seed: int64) (training: Training) = { training with Seed = seed }

    /// Set the batch size.
    let withBatch (batch: int) (training: Training) = { training with BatchSize = batch }

    /// Set the optimiser.
    let withOptimizer (optimizer: OptimizerSpec) (training: Training) = { training with Optimizer = optimizer }

    /// Add a hyper-parameter column (name, value).
    let withTag (name: string) (value: string) (training: Training) =
        { training with
            Tags = training.Tags @ [ name, value ]
        }

    /// The same training at each seed (replicates for `Tables.aggregateOverSeeds`).
    let seeds (seeds: int64 list) (training: Training) =
        seeds |> List.map (fun s -> { training with Seed = s })

    /// The identifying columns of the run's rows: model, optimizer, lr, weight_decay, batch, then the tags.
    let key (training: Training) : RunKey =
        let o = training.Optimizer

        let parameters =
            [
                "model", Model.name training.Model
                "optimizer", o.Name
                "lr", f o.LearningRate
                "weight_decay", f o.WeightDecay
                "batch", string training.BatchSize
            ]
            @ training.Tags

        let id =
            sprintf
                "%s_%s_lr%s_s%d%s"
                (Model.name training.Model)
                o.Name
                (f o.LearningRate)
                training.Seed
                (training.Tags
                 |> List.map (fun (k, v) -> sprintf "_%s%s" k v)
                 |> String.concat "")

        RunKey(
            training.Study,
            id,
            training.Seed,
            parameters
            |> List.map (fun (k, v) -> System.Collections.Generic.KeyValuePair(k, v))
            |> ResizeArray
        )

    /// Every problem with the training (empty when valid), checked before any work starts.
    let problems (training: Training) =
        [
            if training.Steps < 0 then
                yield sprintf "steps must be ≥ 0, got %d" training.Steps
            if training.BatchSize < 1 then
                yield sprintf "batch size must be ≥ 1, got %d" training.BatchSize
            if training.Model.Alpha <= 0.0 then
                yield sprintf "alpha must be positive, got %g" training.Model.Alpha
            yield! Optimizer.problems training.Optimizer
        ]

    let private build (data: Split) (training: Training) =
        match problems training with
        | [] -> ()
        | ps -> invalidArg (nameof training) (String.concat "; " ps)

        Telescope.Native.TorchRuntime.EnsureLoaded()
        let device = Telescope.Native.TorchRuntime.Device training.Device
        training.Model.Build(data.Train.Shape, data.Train.Outputs, training.Seed, training.DType, device)

    let private record (data: Split) (training: Training) (net: Network) : Run =
        let probe = Probe.Of(data.Train, data.Test, training.ProbeTrain, training.ProbeTest)

        let cfg =
            TrajectoryConfig(
                training.Steps,
                training.BatchSize,
                training.Loss,
                training.Optimizer,
                training.Seed,
                training.RecordEvery,
                training.RecordExamples,
                training.Method
            )

        let sink = ObservationList()
        let result = Trajectory.Run(net, data.Train, probe, cfg, sink)

        {
            Key = key training
            Observations = List.ofSeq sink.Items
            Result = result
        }

    /// Train on `data` and record every observation in memory. Fails with `ArgumentException` listing
    /// every problem of an invalid training; a run that diverges returns with `Result.Failure` set and
    /// the steps it finished. The trained network is disposed; `runKeeping` keeps it.
    let run (data: Split) (training: Training) : Run =
        use net = build data training
        record data training net

    /// As `run`, and also return the trained network (θ_T in `Network.Parameters`) for kernels, smoothers or
    /// further training: the caller owns it and disposes it (`use`).
    let runKeeping (data: Split) (training: Training) : Run * Network =
        let net = build data training

        try
            record data training net, net
        with _ ->
            net.Dispose()
            reraise ()

    /// Run every training in order.
    let runAll (data: Split) (trainings: Training list) = trainings |> List.map (run data)

    /// `Some reason` when the run stopped early (NaN, divergence), else `None`.
    let tryFailure (run: Run) = Option.ofObj run.Result.Failure

    /// The last value of a summary quantity, by `split/quantity` (e.g. `test/accuracy`), if recorded.
    let tryFinal (name: string) (run: Run) =
        match run.Result.Final.TryGetValue name with
        | true, v -> Some v
        | _ -> None

    /// The tidy frame of several runs (one row per observation).
    let toFrame (runs: Run list) =
        Telescope.Frames.TidyFrames.FromRuns(
            runs
            |> List.map (fun r ->
                struct (r.Key, (ResizeArray r.Observations :> System.Collections.Generic.IReadOnlyList<_>)))
        )
