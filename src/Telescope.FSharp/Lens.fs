namespace Telescope.FSharp

open Telescope
open Telescope.Models
open Telescope.Optim
open Telescope.Telescoping

type private Options =
    static member Copy
        (
            o: RecorderOptions,
            ?recordEvery: int,
            ?examples: int,
            ?byLayer: bool,
            ?keepParameters: bool,
            ?rule: OptimizerSpec,
            ?smoother: bool,
            ?attribution: bool,
            ?attributionSteps: int64 list
        ) =
        RecorderOptions(
            Loss = o.Loss,
            RecordEvery = defaultArg recordEvery o.RecordEvery,
            LogSteps = o.LogSteps,
            RecordExamples = defaultArg examples o.RecordExamples,
            Method = o.Method,
            KeepTrajectory = o.KeepTrajectory,
            KeepParameters = defaultArg keepParameters o.KeepParameters,
            GradientSteps = o.GradientSteps,
            KernelSteps = o.KernelSteps,
            ByLayer = defaultArg byLayer o.ByLayer,
            UpdateRule =
                (match rule with
                 | Some r -> r
                 | None -> o.UpdateRule),
            Smoother = defaultArg smoother o.Smoother,
            Attribution = defaultArg attribution o.Attribution,
            AttributionSteps =
                (match attributionSteps with
                 | Some s -> System.Collections.Generic.HashSet<int64>(s) :> System.Collections.Generic.IReadOnlySet<_>
                 | None -> o.AttributionSteps)
        )

/// The telescoping lens on your own training loop (`Telescope.Telescoping.TelescopeRecorder`): attach to a
/// network, step your own optimiser (TorchSharp's `torch.optim.Adam(net.Parameters, …)` works: the network's
/// parameters are TorchSharp `Parameter`s, stepped in place), call `Lens.step` after each optimiser step, and read
/// the trajectory tensors, the tidy frame and the exact training-data attribution:
///
///     use net = Lens.build (Model.mlp [ 16 ]) data 0L
///     use lens = Lens.attach (Lens.options |> Lens.withAttribution (Optimizer.sgd 0.1)) data net
///     // … loss.backward(); opt.step(); Lens.stepBatch batch 0.1 lens …
///     use a = Lens.attribution lens
///     Lens.attributionFrame key 5 a
[<RequireQualifiedAccess>]
module Lens =

    /// Default options: every step logged, f, f̃, f_lin kept in memory, squared loss, forward-mode JVP.
    let options = RecorderOptions()

    /// Log every k-th step (0: only step 0 and steps logged explicitly).
    let withRecordEvery (k: int) (o: RecorderOptions) = Options.Copy(o, recordEvery = k)

    /// Stream per-example f, f̃, f_lin rows for the first `k` rows of each split.
    let withExamples (k: int) (o: RecorderOptions) = Options.Copy(o, examples = k)

    /// Split f̃ by layer (`f_telescoped_layer` rows, `TrajectoryTensors.ByLayer`).
    let withByLayer (o: RecorderOptions) = Options.Copy(o, byLayer = true)

    /// Keep θ_t and Δθ_t of every logged step (2·T·P numbers).
    let withParameters (o: RecorderOptions) = Options.Copy(o, keepParameters = true)

    /// Exact training-data attribution through the update rule your optimiser applies.
    let withAttribution (rule: OptimizerSpec) (o: RecorderOptions) =
        Options.Copy(o, rule = rule, attribution = true)

    /// Keep the per-step attribution a_t(x, z_i) at these steps too.
    let withAttributionSteps (steps: int64 list) (o: RecorderOptions) =
        Options.Copy(o, attributionSteps = steps)

    /// The smoother and effective parameters (squared loss, k = 1) through the declared update rule.
    let withSmoother (rule: OptimizerSpec) (o: RecorderOptions) =
        Options.Copy(o, rule = rule, smoother = true)

    /// A network for `data` (float64, CPU) from a model spec and an initialisation seed.
    let build (model: ModelSpec) (data: Split) (seed: int64) : Network =
        model.Build(
            data.Train.Shape,
            data.Train.Outputs,
            seed,
            TorchSharp.torch.ScalarType.Float64,
            TorchSharp.torch.CPU
        )

    /// Every train row (the rows batches index), then every test row.
    let probe (data: Split) =
        Probe.Of(data.Train, data.Test, data.Train.Count, data.Test.Count)

    /// Attach at the network's current parameters (θ_0), keeping everything in memory.
    let attach (options: RecorderOptions) (data: Split) (net: Network) =
        TelescopeRecorder.Attach(net, probe data, options, null)

    /// Attach and also stream the tidy rows to `sink`.
    let attachTo (sink: IObservationSink) (options: RecorderOptions) (data: Split) (net: Network) =
        TelescopeRecorder.Attach(net, probe data, options, sink)

    /// Record the optimiser step just taken (only θ_t is read).
    let step (lens: TelescopeRecorder) = lens.Step()

    /// Record the step just taken on batch `batch` (indices of train rows) at rate `lr`.
    let stepBatch (batch: int[]) (lr: float) (lens: TelescopeRecorder) = lens.Step(batch, lr)

    /// f̃_t now, `[N, k]` (a new tensor).
    let telescoped (lens: TelescopeRecorder) = lens.Telescoped

    /// The trajectory tensors of the logged steps (owned by the caller; they outlive the lens).
    let trajectory (lens: TelescopeRecorder) = lens.Trajectory()

    /// The attribution so far (owned by the caller).
    let attribution (lens: TelescopeRecorder) = lens.Attribution()

    /// A trajectory as a tidy frame: f, f_telescoped, f_linearised (and f_telescoped_layer) per step and example.
    let toFrame (key: RunKey) (trajectory: TrajectoryTensors) =
        Telescope.Frames.TidyFrames.FromObservations(key, trajectory.ToObservations())

    /// An attribution as a tidy frame: `attribution` (probe × train_example), direct weights, per-step rows, and
    /// the top `k` training rows of every test point (`attribution_top`, with `rank`).
    let attributionFrame (key: RunKey) (k: int) (attribution: TrainingAttribution) =
        Telescope.Frames.TidyFrames.FromObservations(
            key,
            Seq.append (attribution.ToObservations()) (attribution.TopK k)
        )
