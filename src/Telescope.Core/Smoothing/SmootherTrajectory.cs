using System.Globalization;
using Telescope.Data;
using Telescope.Telescoping;
using TorchSharp;
using static Telescope.ParameterNames;
using static TorchSharp.torch;

namespace Telescope.Smoothing;

/// <summary>
/// How to train and smooth. Immutable; use <c>with</c>.
/// </summary>
/// <param name="Steps">T, the maximum number of optimiser steps.</param>
/// <param name="BatchSize">b; ≥ n means full-batch GD.</param>
/// <param name="Optimizer">Optimiser (the smoother mirrors it: A2, or A3 for plain SGD).</param>
/// <param name="Seed">Batch order (initialisation is the network's own seed).</param>
/// <param name="Method">Smoother recursion.</param>
/// <param name="RecordEvery">Write every k-th step (0 = the log grid of spec §1.3).</param>
/// <param name="Gate">Validity gate (spec §6): a step is valid when test mean|f − f̃| and test mean|f̂ − f̃| are both ≤ Gate × scale, scale = 1 for 0/1 labels and std(y_train) for regression.</param>
/// <param name="StopWhenInterpolating">Stop once train accuracy is 100% (checked once per epoch; spec §4.2).</param>
/// <param name="PatienceEpochs">Stop when the full-train loss has not improved on its best by more than <paramref name="MinImprovement"/> for this many epochs (0 = off; spec A14).</param>
/// <param name="MinImprovement">See <paramref name="PatienceEpochs"/>.</param>
/// <param name="CheckpointEvery">Save a checkpoint every this many steps when a store is given (0: never).</param>
public sealed record SmootherConfig(
    int Steps,
    int BatchSize,
    OptimizerSpec Optimizer,
    long Seed,
    SmootherMethod Method = SmootherMethod.Auto,
    int RecordEvery = 0,
    double Gate = 0.05,
    bool StopWhenInterpolating = false,
    int PatienceEpochs = 0,
    double MinImprovement = 1e-4,
    int CheckpointEvery = 0
);

/// <summary>
/// Training with the telescoping lens and the smoother view at once (spec §1 A1 + §3 A2/A3), squared
/// loss, scalar output. Every step: the real optimiser step, the telescoped increment
/// <c>f̃ += ∇f_{θ_{t−1}}(X_all)ᵀΔθ_t</c>, and one smoother step. At logged steps, per split
/// (<c>train</c> = all n training rows; <c>test</c> = the tracked test rows): <c>loss</c> and
/// <c>accuracy</c> of the network (on the whole test set when <c>evalTest</c> is given),
/// <c>telescoping_error</c> = mean|f − f̃|, <c>smoother_gap</c> = mean|f̂ − f̃|, <c>smoother_loss</c>,
/// <c>effective_parameters</c> (p_train / p_test, §3.4); and run-level <c>gate_passed</c> (1 = both
/// errors within the gate, 0 = "approximation invalid": p at that step is not to be trusted),
/// <c>learning_rate</c>, <c>batch_loss</c>. Memory: O(N·n) for S, independent of T.
/// </summary>
public static class SmootherTrajectory
{
    /// <summary>
    /// Train <paramref name="net"/> on <paramref name="train"/> (all rows tracked) and record. With a
    /// <paramref name="checkpoints"/> store (and an <see cref="ICommittableSink"/>), the state is saved
    /// every <see cref="SmootherConfig.CheckpointEvery"/> steps (<see cref="SmootherCheckpoint"/>) and a
    /// run that finds a checkpoint resumes from it: the sink is rolled back to the checkpoint's rows, so
    /// the final table is byte for byte that of an uninterrupted run, as with <see cref="Trajectory.Run"/>.
    /// A checkpoint of another configuration, model or data set is refused (<see cref="InvalidDataException"/>).
    /// <paramref name="preamble"/> rows (run-level facts known before training) are written first on a
    /// fresh start; a resumed run already has them in its table.
    /// </summary>
    public static TrajectoryResult Run(
        Network net,
        Dataset train,
        Dataset testProbe,
        SmootherConfig cfg,
        IObservationSink sink,
        Dataset? evalTest = null,
        Action<long>? progress = null,
        CancellationToken cancel = default,
        ICheckpointStore? checkpoints = null,
        IReadOnlyList<Observation>? preamble = null
    )
    {
        using var lifetimes = torch.NewDisposeScope(); // temporaries stay reachable while libtorch reads them (Tensors.Lifetimes)
        if (Smoother.Unsupported(net, LossKind.Squared, cfg.Optimizer, cfg.Method) is { } why)
            throw new NotSupportedException(why);
        var dt = net.DType;
        var dev = net.Device;
        int n = train.Count;
        bool regression = train.TargetValues is not null;
        var xTrain = train.Inputs(dt, dev);
        var yTrain = train.Targets(dt, dev);
        var yTrain64 = yTrain.to_type(ScalarType.Float64).reshape(-1);
        var xAll = torch.cat([xTrain, testProbe.Inputs(dt, dev)], 0);
        var yAll = torch
            .cat([yTrain, testProbe.Targets(dt, dev)], 0)
            .to_type(ScalarType.Float64)
            .reshape(-1);
        var eval = evalTest ?? testProbe;
        var xEval = eval.Inputs(dt, dev);
        var yEval = eval.Targets(dt, dev).to_type(ScalarType.Float64).reshape(-1);
        double scale = regression ? yTrain64.std().item<double>() : 1.0;
        var last = new Dictionary<string, double>();
        void Put(double step, string q, double v, string? split = null)
        {
            sink.Write(new Observation(q, v, step, split));
            last[split is null ? q : $"{split}/{q}"] = v;
        }

        using var smoother = new Smoother(
            net,
            xAll,
            n,
            LossKind.Squared,
            cfg.Optimizer,
            cfg.Method
        );
        Tensor fTel = smoother.C.clone();
        using var opt = new Optimizer(cfg.Optimizer, net.Parameters.Count);
        var sampler = new BatchSampler(n, cfg.BatchSize, cfg.Seed);
        var grid = LogGrid.Steps(cfg.Steps, cfg.RecordEvery);
        var paramTensors = net.Parameters.Cast<Tensor>().ToArray();
        int stepsPerEpoch = (n + Math.Min(cfg.BatchSize, n) - 1) / Math.Min(cfg.BatchSize, n);
        double bestLoss = double.PositiveInfinity;
        int sinceBest = 0;
        var committable = sink as ICommittableSink;
        if (checkpoints is not null && committable is null)
            throw new ArgumentException(
                "checkpointing needs a sink that can commit and rewind its rows (ICommittableSink)"
            );
        var o = cfg.Optimizer;
        string fingerprint = string.Create(
            CultureInfo.InvariantCulture,
            $"steps={cfg.Steps}|batch={cfg.BatchSize}|opt={o.Kind},{o.LearningRate:R},{o.WeightDecay:R},{o.Momentum:R},{o.Beta1:R},{o.Beta2:R},{o.Epsilon:R},{o.Warmup}|seed={cfg.Seed}|method={smoother.Method}|record={cfg.RecordEvery}|gate={cfg.Gate:R}|interp={cfg.StopWhenInterpolating}|patience={cfg.PatienceEpochs},{cfg.MinImprovement:R}|n={n}|N={xAll.shape[0]}|eval={xEval.shape[0]}"
        );

        void Record(long t, double batchLoss, double lr)
        {
            using var scope = torch.NewDisposeScope();
            using var _ = torch.no_grad();
            var f = net.Forward(xAll).to_type(ScalarType.Float64).reshape(-1);
            var fHat = smoother.Predict(yTrain64);
            var fe = net.Forward(xEval).to_type(ScalarType.Float64).reshape(-1);
            var (pTrain, pTest) = smoother.EffectiveParameters();
            bool valid = true;
            foreach (
                var (split, start, count) in new[]
                {
                    ("train", 0, n),
                    ("test", n, (int)xAll.shape[0] - n),
                }
            )
            {
                if (count == 0)
                    continue;
                var fs = f.narrow(0, start, count);
                var ts = fTel.narrow(0, start, count);
                var hs = fHat.narrow(0, start, count);
                var ys = yAll.narrow(0, start, count);
                var (fl, yl) = split == "train" ? (fs, ys) : (fe, yEval);
                Put(t, "loss", fl.Minus(yl).Squared().mean().Times(0.5).item<double>(), split);
                if (!regression)
                    Put(
                        t,
                        "accuracy",
                        fl.GreaterThan(0.5)
                            .eq(yl.GreaterThan(0.5))
                            .to_type(ScalarType.Float64)
                            .mean()
                            .item<double>(),
                        split
                    );
                double tel = fs.Minus(ts).abs().mean().item<double>();
                double gap = hs.Minus(ts).abs().mean().item<double>();
                Put(t, "telescoping_error", tel, split);
                Put(t, "smoother_gap", gap, split);
                Put(
                    t,
                    "smoother_loss",
                    hs.Minus(ys).Squared().mean().Times(0.5).item<double>(),
                    split
                );
                Put(t, "effective_parameters", split == "train" ? pTrain : pTest, split);
                if (split == "test" && !(tel <= cfg.Gate * scale && gap <= cfg.Gate * scale))
                    valid = false;
            }
            Put(t, "gate_passed", valid ? 1 : 0);
            if (t > 0)
            {
                Put(t, "batch_loss", batchLoss);
                Put(t, "learning_rate", lr);
            }
        }

        long start = 1;
        long tDone = 0;
        double lastBatch = double.NaN,
            lastLr = double.NaN;
        if (checkpoints?.TryLoadLatest() is { } saved)
        {
            var st = SmootherCheckpoint.Read(saved, dev);
            if (
                st.Fingerprint != fingerprint
                || st.Theta.Length != paramTensors.Length
                || st.Theta.Zip(paramTensors).Any(p => !p.First.shape.SequenceEqual(p.Second.shape))
                || !st.FTel.shape.SequenceEqual(fTel.shape)
            )
                throw new InvalidDataException(
                    $"the checkpoint does not match this model, data or configuration (different configuration?); delete it or run without {Option("resume")}"
                );
            smoother.Import(st.Smoother);
            net.Load(st.Theta);
            fTel.Dispose();
            fTel = st.FTel;
            st.Training.Restore(opt, sampler);
            (bestLoss, sinceBest) = (st.BestLoss, st.SinceBest);
            (lastBatch, lastLr) = (st.LastBatchLoss, st.LastLearningRate);
            foreach (var (k, v) in st.Last)
                last[k] = v;
            committable!.Rewind(st.SinkPosition);
            start = st.Step + 1;
            tDone = st.Step;
        }
        else
        {
            if (checkpoints is not null)
                committable!.Rewind(0); // a stale partial table whose checkpoints were all damaged
            foreach (var row in preamble ?? [])
                sink.Write(row);
            Record(0, double.NaN, double.NaN);
        }
        for (long t = start; t <= cfg.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var batch = sampler.Next();
            var idx = HostArrays.ToTensor(batch.Select(i => (long)i).ToArray(), device: dev);
            var thetaPrev = net.Snapshot();
            foreach (var p in net.Parameters)
                p.grad?.zero_();
            var fb = net.Forward(xTrain.index_select(0, idx));
            var loss = fb.Minus(yTrain.index_select(0, idx)).Squared().sum(1).mean().Times(0.5);
            double batchLoss = loss.item<double>();
            if (!double.IsFinite(batchLoss))
                return new TrajectoryResult(
                    t - 1,
                    $"training loss is {batchLoss} at step {t} (divergence: lower the learning rate)",
                    t,
                    last
                );
            loss.backward();
            double lr = opt.Apply(paramTensors);
            Tensor[] delta;
            using (torch.no_grad())
                delta = paramTensors.Select((p, i) => p.detach().Minus(thetaPrev[i])).ToArray();
            fTel.PlusInPlace(
                net.Tangent(xAll, thetaPrev, delta).jvp.to_type(ScalarType.Float64).reshape(-1)
            );
            smoother.Step(t, lr, thetaPrev, batch, opt.LastInvPhi);
            tDone = t;
            (lastBatch, lastLr) = (batchLoss, lr);
            bool stop = false;
            if ((cfg.StopWhenInterpolating || cfg.PatienceEpochs > 0) && t % stepsPerEpoch == 0)
            {
                using var _ = torch.no_grad();
                var ft = net.Forward(xTrain).to_type(ScalarType.Float64).reshape(-1);
                if (
                    cfg.StopWhenInterpolating
                    && ft.GreaterThan(0.5).eq(yTrain64.GreaterThan(0.5)).all().item<bool>()
                )
                    stop = true;
                double full = ft.Minus(yTrain64).Squared().mean().Times(0.5).item<double>();
                if (full < bestLoss - cfg.MinImprovement)
                    (bestLoss, sinceBest) = (full, 0);
                else if (cfg.PatienceEpochs > 0 && ++sinceBest >= cfg.PatienceEpochs)
                    stop = true;
            }
            if (grid.Contains(t) && !stop)
                Record(t, batchLoss, lr);
            if (
                checkpoints is not null
                && cfg.CheckpointEvery > 0
                && t % cfg.CheckpointEvery == 0
                && t < cfg.Steps
                && !stop
            )
            {
                var state = new SmootherCheckpoint.State(
                    t,
                    committable!.Commit(),
                    fingerprint,
                    net.Snapshot(),
                    fTel,
                    smoother.Export(),
                    TrainingState.Capture(opt, sampler),
                    bestLoss,
                    sinceBest,
                    lastBatch,
                    lastLr,
                    new Dictionary<string, double>(last)
                );
                checkpoints.Save(t, SmootherCheckpoint.Write(state));
            }
            progress?.Invoke(t);
            if (stop)
                break;
        }
        if (!grid.Contains(tDone) || tDone < cfg.Steps)
            Record(tDone, lastBatch, lastLr);
        Put(tDone, "steps_run", tDone);
        fTel.Dispose();
        return new TrajectoryResult(tDone, null, null, last);
    }
}
