using Telescope.Data;
using TorchSharp;
using static Telescope.ParameterNames;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// How to train and what to record. Immutable; use <c>with</c>.
/// </summary>
/// <param name="Steps">T, the number of optimiser steps.</param>
/// <param name="BatchSize">b; ≥ n means full batch.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="Optimizer">Optimiser and learning rate.</param>
/// <param name="Seed">Drives the batch order (initialisation is the network's own seed).</param>
/// <param name="RecordEvery">Write every k-th step (0: the default log grid of spec §1.3). f̃ is updated at every step regardless.</param>
/// <param name="RecordExamples">Also write per-example predictions f, f̃, f_lin for the first this-many rows of each split.</param>
/// <param name="Method">How the JVPs are computed (all exact): the telescoped increment ∇f_{θ_{t−1}}(X)ᵀΔθ_t and the linearised model's ∇f_{θ_0}(X)ᵀ(θ_t − θ_0).</param>
/// <param name="CheckpointEvery">Save a checkpoint every this many steps when a store is given (0: never).</param>
/// <remarks>The training itself is the engine's <see cref="TrainingLoop"/>; <see cref="Schedule"/> sets γ_t.</remarks>
public sealed record TrajectoryConfig(
    int Steps,
    int BatchSize,
    LossKind Loss,
    OptimizerSpec Optimizer,
    long Seed,
    int RecordEvery = 0,
    int RecordExamples = 0,
    JvpMethod Method = JvpMethod.Forward,
    int CheckpointEvery = 0
)
{
    /// <summary>The learning-rate schedule over the optimiser's rate (null: constant).</summary>
    public LearningRateSchedule? Schedule { get; init; }
}

/// <summary>The tracked evaluation points: train rows first, then test rows (spec §0: N = n + m).</summary>
public sealed record Probe(Dataset Train, Dataset Test)
{
    /// <summary>Take up to <paramref name="maxTrain"/> and <paramref name="maxTest"/> rows (the first ones).</summary>
    public static Probe Of(Dataset train, Dataset test, int maxTrain = 1000, int maxTest = 1000) =>
        new(
            train.Count > maxTrain ? train.Take(Enumerable.Range(0, maxTrain).ToArray()) : train,
            test.Count > maxTest ? test.Take(Enumerable.Range(0, maxTest).ToArray()) : test
        );
}

/// <summary>How a trajectory ended.</summary>
/// <param name="StepsCompleted">Steps finished (T unless it failed).</param>
/// <param name="Failure">Null on success; otherwise what went wrong (for example "training loss is NaN").</param>
/// <param name="FailedAtStep">The step at which the failure was detected.</param>
/// <param name="Final">The last recorded summary values, by <c>split/quantity</c>, and the values at step 0 under
/// <c>start:split/quantity</c> (<see cref="StartPrefix"/>).</param>
public sealed record TrajectoryResult(
    long StepsCompleted,
    string? Failure,
    long? FailedAtStep,
    IReadOnlyDictionary<string, double> Final
)
{
    /// <summary>The key prefix of the step-0 values in <see cref="Final"/>.</summary>
    public const string StartPrefix = "start:";

    /// <summary>A value recorded at step 0 (<c>split/quantity</c>), NaN when absent.</summary>
    public double Start(string key) => Final.GetValueOrDefault(StartPrefix + key, double.NaN);

    /// <summary>A last recorded value (<c>split/quantity</c>), NaN when absent.</summary>
    public double Last(string key) => Final.GetValueOrDefault(key, double.NaN);

    /// <summary>Whether the run finished all steps.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>
/// Training with the telescoping lens (spec §1, Algorithm A1). Per step t, with θ_{t−1} kept:
/// a real optimiser step on a batch; the actual update Δθ_t = θ_t − θ_{t−1}; and the telescoped
/// model <c>f̃_t(x) = f̃_{t−1}(x) + ∇f_{θ_{t−1}}(x)ᵀΔθ_t</c> for every probe point at once (an exact
/// batched JVP), accumulated in float64. At logged steps also the network <c>f_t</c> and the
/// linearised model <c>f_lin,t = f_0 + ∇f_{θ_0}ᵀ(θ_t − θ_0)</c>. Observations stream to the sink,
/// so memory does not grow with T.
/// </summary>
public static class Trajectory
{
    /// <summary>
    /// Train <paramref name="net"/> and record. Stops early (and says so) on NaN/Inf. With a
    /// <paramref name="checkpoints"/> store (and an <see cref="ICommittableSink"/>), the state is saved
    /// every <see cref="TrajectoryConfig.CheckpointEvery"/> steps and a run that finds a checkpoint
    /// resumes from it: the sink is rolled back to the checkpoint's rows, so the final table is byte for
    /// byte that of an uninterrupted run.
    /// </summary>
    public static TrajectoryResult Run(
        Network net,
        Dataset train,
        Probe probe,
        TrajectoryConfig cfg,
        IObservationSink sink,
        Action<long>? progress = null,
        CancellationToken cancel = default,
        ICheckpointStore? checkpoints = null
    )
    {
        using var lifetimes = torch.NewDisposeScope(); // temporaries stay reachable while libtorch reads them (Tensors.Lifetimes)
        var times = TrajectoryTimes.Active;
        var runStart = TrajectoryTimes.Now();
        if (cfg.Steps < 0)
            throw new ArgumentException($"steps must be ≥ 0, got {cfg.Steps}");
        var dt = net.DType;
        var dev = net.Device;
        var xTrain = net.Prepare(train.Inputs(dt, dev));
        var yTrain = train.Targets(dt, dev);
        var lTrain = train.LabelTensor(dev);
        var xAll = torch.cat([probe.Train.Inputs(dt, dev), probe.Test.Inputs(dt, dev)], 0);
        var yAll = torch
            .cat([probe.Train.Targets(dt, dev), probe.Test.Targets(dt, dev)], 0)
            .to_type(ScalarType.Float64);
        var lAll = torch.cat([probe.Train.LabelTensor(dev), probe.Test.LabelTensor(dev)], 0);
        int nTrain = probe.Train.Count;
        double threshold = Threshold(cfg.Loss, net);
        var recorder = new TrajectoryRows(
            sink,
            cfg.Loss,
            cfg.RecordExamples,
            nTrain,
            (int)xAll.shape[0],
            yAll,
            lAll,
            threshold
        );

        var theta0 = net.Snapshot();
        Tensor f0;
        using (torch.no_grad())
            f0 = net.Forward(xAll).to_type(ScalarType.Float64);
        var fTel = f0.clone();

        using var opt = new Optimizer(cfg.Optimizer, net.Parameters.Count, cfg.Schedule);
        var sampler = new BatchSampler(train.Count, cfg.BatchSize, cfg.Seed);
        var grid = LogGrid.Steps(cfg.Steps, cfg.RecordEvery);
        var model = new TrainableNetwork(net);
        var paramTensors = model.Parameters;
        var committable = sink as ICommittableSink;
        if (checkpoints is not null && committable is null)
            throw new ArgumentException(
                "checkpointing needs a sink that can commit and rewind its rows (ICommittableSink)"
            );

        long start = 1;
        if (checkpoints?.TryLoadLatest() is { } saved)
        {
            var st = TrajectoryCheckpoint.Read(saved, dev);
            if (
                st.Theta.Length != paramTensors.Count
                || st.Theta.Zip(paramTensors).Any(p => !p.First.shape.SequenceEqual(p.Second.shape))
                || st.FTel.shape[0] != xAll.shape[0]
            )
                throw new InvalidDataException(
                    $"the checkpoint does not match this model or probe set (different configuration?); delete it or run without {Option("resume")}"
                );
            net.Load(st.Theta);
            theta0 = st.Theta0;
            f0 = st.F0;
            fTel = st.FTel;
            st.Training.Restore(opt, sampler);
            foreach (var (k, v) in st.Last)
                recorder.Last[k] = v;
            committable!.Rewind(st.SinkPosition);
            start = st.Step + 1;
        }
        else
        {
            committable?.Rewind(0);
            recorder.Record(0, f0, fTel, f0, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        Tensor[] thetaPrev = [];
        var stepStart = default(TrajectoryTimes.Mark);
        // the forward pass at θ_0 (f_lin's primal, the same at every logged step) and at θ_{t−1} when a logged
        // step t − 1 computed it: the tangent passes then skip their primal (the same values; Network.TangentFrom)
        bool tracing = cfg.Method == JvpMethod.Forward && net.CanTrace;
        using var trace0 = tracing ? net.Trace(xAll, theta0) : null;
        PrimalTrace? tracePrev = start == 1 ? trace0 : null;
        void Forget()
        {
            if (tracePrev is not null && !ReferenceEquals(tracePrev, trace0))
                tracePrev.Dispose();
            tracePrev = null;
        }
        double gradNorm = double.NaN;
        var loop = new TrainingLoop(
            model,
            opt,
            sampler,
            rows =>
            {
                var idx = HostArrays.ToTensor(rows.Select(i => (long)i).ToArray(), device: dev);
                return new TrainingBatch(
                    xTrain.index_select(0, idx),
                    fb =>
                        Loss.Compute(
                            cfg.Loss,
                            fb,
                            yTrain.index_select(0, idx),
                            lTrain.index_select(0, idx)
                        )
                );
            }
        )
        {
            BeforeStep = (_, _) =>
            {
                stepStart = TrajectoryTimes.Now();
                thetaPrev = net.Snapshot();
                return null;
            },
            BadLoss = (t, loss) =>
                $"training loss is {Show(loss)} at step {t} (divergence: lower the learning rate)",
            AfterGradient = t =>
            {
                gradNorm = ParameterVector.Norm(
                    net.Parameters.Select(p => p.grad ?? torch.zeros_like(p))
                );
                return double.IsFinite(gradNorm)
                    ? null
                    : $"gradient norm is {Show(gradNorm)} at step {t} (divergence)";
            },
            AfterStep = s =>
            {
                long t = s.Step;
                times?.Add(TrajectoryPart.TrainStep, stepStart);
                var partStart = TrajectoryTimes.Now();
                Tensor[] delta;
                using (torch.no_grad())
                    delta = paramTensors.Select((p, i) => p.detach().Minus(thetaPrev[i])).ToArray();
                double updateNorm = ParameterVector.Norm(delta);
                if (!double.IsFinite(updateNorm))
                    return $"parameter update norm is {Show(updateNorm)} at step {t} (divergence)";

                var inc = tracePrev is not null
                    ? net.TangentFrom(tracePrev, thetaPrev, delta)
                    : Jvp.Compute(net, xAll, thetaPrev, delta, cfg.Method);
                Forget();
                fTel.PlusInPlace(inc.to_type(ScalarType.Float64));
                times?.Add(TrajectoryPart.Tangent, partStart);

                if (grid.Contains(t))
                {
                    partStart = TrajectoryTimes.Now();
                    Tensor f,
                        fLin;
                    using (torch.no_grad())
                    {
                        var theta = paramTensors.Select(p => p.detach()).ToArray();
                        tracePrev = tracing ? net.Trace(xAll, theta) : null;
                        f = (tracePrev?.Output ?? net.Forward(xAll)).to_type(ScalarType.Float64);
                        var dir = theta.Select((p, i) => p.Minus(theta0[i])).ToArray();
                        fLin = f0.Plus(
                            (
                                trace0 is not null
                                    ? net.TangentFrom(trace0, theta0, dir)
                                    : Jvp.Compute(net, xAll, theta0, dir, cfg.Method)
                            ).to_type(ScalarType.Float64)
                        );
                    }
                    times?.Add(TrajectoryPart.Logged, partStart);
                    partStart = TrajectoryTimes.Now();
                    recorder.Record(t, f, fTel, fLin, s.Loss, gradNorm, updateNorm, s.Rate);
                    times?.Add(TrajectoryPart.Writing, partStart);
                }
                if (
                    checkpoints is not null
                    && cfg.CheckpointEvery > 0
                    && t % cfg.CheckpointEvery == 0
                    && t < cfg.Steps
                )
                {
                    partStart = TrajectoryTimes.Now();
                    var state = new TrajectoryCheckpoint.State(
                        t,
                        committable!.Commit(),
                        net.Snapshot(),
                        theta0,
                        f0,
                        fTel,
                        TrainingState.Capture(opt, sampler),
                        new Dictionary<string, double>(recorder.Last)
                    );
                    checkpoints.Save(t, TrajectoryCheckpoint.Write(state));
                    times?.Add(TrajectoryPart.Checkpoints, partStart);
                }
                progress?.Invoke(t);
                return null;
            },
        };
        TrainingOutcome outcome;
        try
        {
            outcome = loop.Run(start, cfg.Steps, cancel);
        }
        finally
        {
            Forget();
        }
        times?.Add(TrajectoryPart.Total, runStart);
        if (!outcome.Succeeded)
            return recorder.Fail(outcome.Completed, outcome.FailedAt!.Value, outcome.Failure!);
        return new TrajectoryResult(cfg.Steps, null, null, recorder.Last);
    }

    private static string Show(double x) =>
        double.IsNaN(x) ? "NaN"
        : double.IsInfinity(x) ? (x > 0 ? "+Infinity" : "-Infinity")
        : x.ToString("G6", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Classification threshold on a scalar output: 0 for logits (cross-entropy), else 0.5 (0/1 targets).</summary>
    public static double Threshold(LossKind loss, Network net) =>
        loss == LossKind.CrossEntropy
        && !(net.Layers[^1] is Activation { Kind: ActivationKind.Sigmoid })
            ? 0.0
            : 0.5;
}
