using Telescope.Data;
using Telescope.Optim;
using Telescope.Telescoping;
using Telescope.Tensors;
using Telescope.Training;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>
/// Linear mode connectivity and gradient stabilisation (paper Fig. 6; spec §4.5 CPU variant on Fashion-MNIST).
/// Per model and seed: a trunk trained with heavy-ball SGD from a seeded init; at each spawn step t′ its whole
/// state (weights, BN buffers, momentum) is copied into children that finish training with different batch
/// orders and augmentation; along the linear path between two children's final states (BN statistics
/// interpolated like weights) the test error and loss are compared with the straight line between the
/// endpoints. Rows (step = t′): <c>error_barrier_max</c>, <c>error_barrier_half</c> (α = ½),
/// <c>loss_barrier_max</c>, <c>loss_barrier_half</c>, <c>child_error</c>; per α (column <c>alpha</c>, split
/// <c>test</c>) <c>path_error</c> and <c>path_loss</c>; on the trunk, <c>gradient_change</c> per layer (column
/// <c>layer</c>, split <c>test</c>) = <c>mean_{x, params}(∇f_{t′+k}(x) − ∇f_{t′}(x))²</c> of the true-class
/// logit in eval mode (spec A13), and <c>train_loss</c>, <c>test_error</c>.
/// </summary>
internal sealed class LmcStudy : IStudy
{
    private readonly LmcConfig _cfg;
    private readonly Lazy<(FashionMnist.Split train, FashionMnist.Split test)> _data;

    /// <summary>A study with a validated configuration (throws <see cref="ArgumentException"/> listing every problem).</summary>
    public LmcStudy(LmcConfig cfg, Action<string>? log = null)
    {
        ConfigProblems.ThrowIfAny(cfg.Problems());
        _cfg = cfg;
        _data = new(() =>
            (
                FashionMnist.Load("train", cfg.DataDirectory, log),
                FashionMnist.Load("t10k", cfg.DataDirectory, log)
            )
        );
    }

    /// <inheritdoc />
    public string Name => "lmc";

    /// <summary>False: the CNNs are initialised from libtorch's global generator (<c>torch.manual_seed</c>).</summary>
    public bool RunsInParallel => false;

    /// <inheritdoc />
    public string DataSource => _data.Value.train.Source + "; " + _data.Value.test.Source;

    /// <inheritdoc />
    public IReadOnlyList<string> ParameterNames => ["dataset", "model", "steps", "alpha", "layer"];

    private long ChildSteps => _cfg.Spawns.Sum(s => (long)(_cfg.Steps - s)) * _cfg.Children;

    /// <inheritdoc />
    public JsonObject Config =>
        new()
        {
            ["dataset"] = "fashion-mnist",
            ["data_source"] = DataSource,
            ["model"] =
                $"Conv(1→{_cfg.Channels[0]},3,pad1)–[BN]–ReLU–MaxPool2–Conv({_cfg.Channels[0]}→{_cfg.Channels[1]},3,pad1)–[BN]–ReLU–MaxPool2–Linear({_cfg.Channels[1] * 49}→10)",
            ["models"] = new JsonArray(_cfg.Models.Select(m => (JsonNode)m).ToArray()),
            ["optimizer"] =
                $"heavy-ball SGD μ = {_cfg.Momentum}, γ = {_cfg.LearningRate} ÷10 at T/2 and 3T/4, cross-entropy",
            ["steps"] = _cfg.Steps,
            ["batch"] = _cfg.Batch,
            ["spawns"] = new JsonArray(_cfg.Spawns.Select(s => (JsonNode)s).ToArray()),
            ["children"] = _cfg.Children,
            ["alphas"] = _cfg.Alphas,
            ["eval_images"] = _cfg.EvalImages,
            ["gradient_images"] = _cfg.GradientImages,
            ["gradient_lag"] = _cfg.GradientLag,
            ["gradient_steps"] = new JsonArray(
                _cfg.GradientSteps.Select(s => (JsonNode)s).ToArray()
            ),
            ["augment"] = _cfg.Augment
                ? "random shifts of up to 2 pixels + horizontal flips"
                : "none",
            ["inputs"] = $"x/255 standardised with mean {LmcData.PixelMean}, sd {LmcData.PixelStd}",
            ["bn_interpolation"] =
                "running mean/variance interpolated like weights (spec [CHOICE])",
            ["seeds"] = new JsonArray(_cfg.Seeds.Select(s => (JsonNode)s).ToArray()),
        };

    /// <inheritdoc />
    public IReadOnlyList<StudyRun> Runs() =>
        (
            from model in _cfg.Models
            from seed in _cfg.Seeds
            select new StudyRun(
                new RunKey(
                    Name,
                    $"{model}_s{seed}",
                    seed,
                    [
                        new("dataset", "fashion-mnist"),
                        new("model", model),
                        new("steps", _cfg.Steps.ToString(CultureInfo.InvariantCulture)),
                    ]
                ),
                _cfg.Steps + ChildSteps,
                (sink, progress, cancel) =>
                    new LmcRun(
                        _cfg,
                        _data.Value,
                        model == "cnn+bn",
                        seed,
                        sink,
                        progress,
                        cancel
                    ).Run()
            )
        ).ToList();
}

/// <summary>
/// One run of the lmc study (one model, one seed): the trunk (training, spawn snapshots, gradient changes), then per
/// spawn step its children and the barriers between them, written as rows. The concerns live beside it:
/// <see cref="LmcData"/> (inputs), <see cref="LmcTraining"/> (heavy-ball optimiser, schedule and batches for the engine's <see cref="TrainingLoop"/>; evaluation),
/// <see cref="LmcGradients"/> (gradient stabilisation), <see cref="LmcBarrier"/> (interpolation and barriers),
/// <see cref="SmallCnn"/> (the model and its state).
/// </summary>
internal sealed class LmcRun(
    LmcConfig cfg,
    (FashionMnist.Split train, FashionMnist.Split test) data,
    bool batchNorm,
    long seed,
    IObservationSink sink,
    Action<long> progress,
    CancellationToken cancel
)
{
    private readonly Dictionary<string, double> _final = new();
    private long _done;

    private nn.Module<Tensor, Tensor> Build() =>
        SmallCnn.Build(batchNorm, cfg.Channels[0], cfg.Channels[1], seed);

    public TrajectoryResult Run()
    {
        var test = data.test;
        var evalIdx = Enumerable.Range(0, cfg.EvalImages).ToArray();
        var gradIdx = Enumerable
            .Range(test.Count - cfg.GradientImages, cfg.GradientImages)
            .ToArray(); // disjoint from the barrier images when possible
        using var xEval = LmcData.Images(test, evalIdx, null);
        using var yEval = LmcData.Labels(test, evalIdx);
        using var xGrad = LmcData.Images(test, gradIdx, null);
        using var yGrad = LmcData.Labels(test, gradIdx);

        var snapshots =
            new Dictionary<int, (Dictionary<string, Tensor> state, Tensor[] velocity)>();
        if (Trunk(xEval, yEval, xGrad, yGrad, snapshots) is { } failed)
            return failed;
        int spawnIndex = 0;
        foreach (var t0 in cfg.Spawns.Order())
        {
            var (state, vel) = snapshots[t0];
            var ends = new List<Dictionary<string, Tensor>>();
            for (int c = 0; c < cfg.Children; c++)
            {
                if (Child(state, vel, t0, spawnIndex, c, ends) is { } childFailed)
                    return childFailed;
            }
            WriteBarriers(t0, ends, xEval, yEval);
            foreach (var d in ends)
            foreach (var x in d.Values)
                x.Dispose();
            foreach (var x in state.Values.Concat(vel))
                x.Dispose();
            spawnIndex++;
        }
        return new TrajectoryResult(_done, null, null, _final);
    }

    /// <summary>Train the trunk for T steps, keeping spawn snapshots and writing gradient changes; null when it finished.</summary>
    private TrajectoryResult? Trunk(
        Tensor xEval,
        Tensor yEval,
        Tensor xGrad,
        Tensor yGrad,
        Dictionary<int, (Dictionary<string, Tensor> state, Tensor[] velocity)> snapshots
    )
    {
        var train = data.train;
        using var trunk = Build();
        var model = new TrainableModule(trunk);
        using var rule = LmcTraining.Optimizer(cfg, model);
        var sampler = new BatchSampler(train.Count, cfg.Batch, seed);
        var augment = cfg.Augment ? new Rng(seed, stream: 600) : null;
        var gradAt = new Dictionary<int, Dictionary<string, Tensor>>();
        var gradSteps = cfg.GradientSteps.Where(s => s + cfg.GradientLag <= cfg.Steps).ToHashSet();
        // state θ_t: spawn snapshots and gradient probes happen before step t + 1 (and after the last step)
        void AtState(int t)
        {
            if (cfg.Spawns.Contains(t))
                snapshots[t] = (SmallCnn.Snapshot(trunk), rule.SnapshotVelocity());
            if (gradSteps.Contains(t))
                gradAt[t] = LmcGradients.LogitGradients(trunk, xGrad, yGrad);
            if (gradAt.TryGetValue(t - cfg.GradientLag, out var before))
            {
                var after = LmcGradients.LogitGradients(trunk, xGrad, yGrad);
                foreach (var (layer, change) in LmcGradients.Change(before, after))
                    sink.Write(
                        new Observation("gradient_change", change, t - cfg.GradientLag, "test").At(
                            "layer",
                            layer
                        )
                    );
                foreach (var g in before.Values.Concat(after.Values))
                    g.Dispose();
                gradAt.Remove(t - cfg.GradientLag);
            }
        }
        var loop = new TrainingLoop(model, rule, sampler, LmcTraining.Batches(train, augment))
        {
            BeforeStep = (t, _) =>
            {
                AtState((int)t - 1);
                return null;
            },
            BadLoss = (t, loss) => $"trunk loss is {loss} at step {t}",
            AfterStep = s =>
            {
                if (s.Step % 10 == 0 || s.Step == 1)
                    sink.Write(new Observation("train_loss", s.Loss, s.Step, "train"));
                progress(++_done);
                return null;
            },
        };
        var outcome = loop.Run(1, cfg.Steps, cancel);
        if (!outcome.Succeeded)
            return new TrajectoryResult(
                outcome.Completed,
                outcome.Failure,
                outcome.FailedAt,
                _final
            );
        cancel.ThrowIfCancellationRequested();
        AtState(cfg.Steps);
        var (trunkLoss, trunkError) = LmcTraining.Evaluate(trunk, xEval, yEval);
        sink.Write(new Observation("test_error", trunkError, cfg.Steps, "test"));
        sink.Write(new Observation("test_loss", trunkLoss, cfg.Steps, "test"));
        _final["trunk/test_error"] = trunkError;
        return null;
    }

    /// <summary>Child <paramref name="c"/> of the spawn at <paramref name="t0"/>: finish training from the trunk's state with its own batch order and augmentation; its final state goes to <paramref name="ends"/>.</summary>
    private TrajectoryResult? Child(
        Dictionary<string, Tensor> state,
        Tensor[] vel,
        int t0,
        int spawnIndex,
        int c,
        List<Dictionary<string, Tensor>> ends
    )
    {
        var train = data.train;
        using var child = Build();
        child.load_state_dict(state);
        var model = new TrainableModule(child);
        using var rule = LmcTraining.Optimizer(cfg, model);
        rule.Restore(t0, vel);
        long childSeed = seed * 1_000_003 + 7919 * (spawnIndex + 1) + 104_729 * (c + 1);
        var childSampler = new BatchSampler(train.Count, cfg.Batch, childSeed);
        var childAugment = cfg.Augment ? new Rng(childSeed, stream: 600) : null;
        var loop = new TrainingLoop(
            model,
            rule,
            childSampler,
            LmcTraining.Batches(train, childAugment)
        )
        {
            BadLoss = (t, loss) => $"child {c} of spawn {t0}: loss is {loss} at step {t}",
            AfterStep = _ =>
            {
                progress(++_done);
                return null;
            },
        };
        var outcome = loop.Run(t0 + 1, cfg.Steps, cancel);
        if (!outcome.Succeeded)
            return new TrajectoryResult(_done, outcome.Failure, outcome.FailedAt, _final);
        ends.Add(SmallCnn.Snapshot(child));
        return null;
    }

    /// <summary>The rows of one spawn step: the first pair's path, then the barriers and child error averaged over pairs (child 0 with 1, 2 with 3, …).</summary>
    private void WriteBarriers(
        int t0,
        List<Dictionary<string, Tensor>> ends,
        Tensor xEval,
        Tensor yEval
    )
    {
        using var probe = Build();
        var pairs = new List<PairBarrier>();
        var childErrors = new List<double>();
        for (int a = 0; a + 1 < ends.Count; a += 2)
        {
            var path = LmcBarrier.Path(probe, ends[a], ends[a + 1], cfg.Alphas, xEval, yEval);
            if (a == 0)
                foreach (var p in path)
                {
                    sink.Write(
                        new Observation("path_error", p.Error, t0, "test").At("alpha", p.Alpha)
                    );
                    sink.Write(
                        new Observation("path_loss", p.Loss, t0, "test").At("alpha", p.Alpha)
                    );
                }
            // endpoints: α = 1 is child a, α = 0 is child a+1
            childErrors.Add(path[0].Error);
            childErrors.Add(path[^1].Error);
            pairs.Add(LmcBarrier.Barriers(path));
        }
        sink.Write(new Observation("error_barrier_max", pairs.Average(p => p.ErrorMax), t0));
        sink.Write(new Observation("error_barrier_half", pairs.Average(p => p.ErrorHalf), t0));
        sink.Write(new Observation("loss_barrier_max", pairs.Average(p => p.LossMax), t0));
        sink.Write(new Observation("loss_barrier_half", pairs.Average(p => p.LossHalf), t0));
        sink.Write(new Observation("child_error", childErrors.Average(), t0));
        _final[$"t0={t0}/error_barrier_max"] = pairs.Average(p => p.ErrorMax);
    }
}
