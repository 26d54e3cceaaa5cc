using System.Globalization;
using System.Text.Json.Nodes;
using Telescope.Data;
using Telescope.Telescoping;
using Telescope.Tensors;
using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Studies;

/// <summary>
/// The small CNN of the lmc study (spec §4.5 CPU variant), as a TorchSharp module:
/// <c>Conv(1→c₁,3,pad1)–[BN]–ReLU–MaxPool2–Conv(c₁→c₂,3,pad1)–[BN]–ReLU–MaxPool2–Linear(c₂·7·7→10)</c>.
/// <para>
/// Why a separate model type and not an <see cref="Models.ILayer"/>: ILayer is a pure function of explicit
/// parameters with a forward-mode tangent rule, built for the telescoping recorder. Batch norm is neither
/// pure (running statistics are mutable buffers) nor mode-free (batch statistics when training, running
/// statistics in eval), and the lmc study needs no tangents. TorchSharp's <c>BatchNorm2d</c> has exact
/// PyTorch semantics (momentum 0.1, ε = 1e-5, unbiased running variance), and every weight and buffer sits
/// in the module's <c>state_dict</c>, so "interpolate BN statistics like weights" (spec [CHOICE]) is one
/// loop over it.
/// </para>
/// </summary>
public static class SmallCnn
{
    /// <summary>Build with initialisation drawn from <paramref name="seed"/> (PyTorch default initialisers).</summary>
    public static nn.Module<Tensor, Tensor> Build(bool batchNorm, int c1, int c2, long seed)
    {
        torch.manual_seed(seed);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>
        {
            ("conv1", nn.Conv2d(1, c1, 3, padding: 1)),
        };
        if (batchNorm)
            layers.Add(("bn1", nn.BatchNorm2d(c1)));
        layers.Add(("relu1", nn.ReLU()));
        layers.Add(("pool1", nn.MaxPool2d(2)));
        layers.Add(("conv2", nn.Conv2d(c1, c2, 3, padding: 1)));
        if (batchNorm)
            layers.Add(("bn2", nn.BatchNorm2d(c2)));
        layers.Add(("relu2", nn.ReLU()));
        layers.Add(("pool2", nn.MaxPool2d(2)));
        layers.Add(("flat", nn.Flatten()));
        layers.Add(("fc", nn.Linear(c2 * 7 * 7, 10)));
        return nn.Sequential(layers.ToArray());
    }

    /// <summary>Detached copies of every parameter and buffer (weights, BN running statistics).</summary>
    public static Dictionary<string, Tensor> Snapshot(nn.Module<Tensor, Tensor> model)
    {
        using var _ = torch.no_grad();
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, v) in model.state_dict())
        {
            var c = v.detach().clone();
            c.DetachFromDisposeScope();
            d[k] = c;
        }
        return d;
    }

    /// <summary>
    /// <c>α·a + (1−α)·b</c> for every floating entry (weights and BN running mean/variance); integer entries
    /// (BN's batch counter) are taken from <paramref name="a"/>.
    /// </summary>
    public static Dictionary<string, Tensor> Interpolate(
        IReadOnlyDictionary<string, Tensor> a,
        IReadOnlyDictionary<string, Tensor> b,
        double alpha
    )
    {
        var d = new Dictionary<string, Tensor>();
        foreach (var (k, va) in a)
        {
            if (!b.TryGetValue(k, out var vb))
                throw new ArgumentException($"state '{k}' is missing from the second model");
            d[k] = va.is_floating_point()
                ? va.Times(alpha).PlusScaledInPlace(vb, 1 - alpha)
                : va.clone();
        }
        return d;
    }
}

/// <summary>
/// Configuration of the lmc study: spec §4.5's CPU variant scaled down to minutes on a shared 2-core
/// machine (measured ≈ 0.25 s of CPU per batch-128 step of the 8/16 CNN here): T = 150 instead of 2,000,
/// spawns {0, 10, 40, 100}, channels 8/16, gradient lag 20. The spec's setting is
/// <c>--steps 2000 --spawns 0,5,20,50,100,200,500,1000 --channels 16,32 --gradient-lag 100</c> (hours here).
/// Immutable; use <c>with</c>.
/// </summary>
public sealed record LmcConfig
{
    /// <summary>Trunk steps T (spec CPU variant: 2,000).</summary>
    public int Steps { get; init; } = 150;

    /// <summary>Batch size.</summary>
    public int Batch { get; init; } = 128;

    /// <summary>Initial learning rate γ, divided by 10 at T/2 and 3T/4.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Heavy-ball momentum μ.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>Spawn steps t′ (each &lt; T).</summary>
    public IReadOnlyList<int> Spawns { get; init; } = [0, 10, 40, 100];

    /// <summary>Children per spawn (pairs are compared: child 0 with child 1).</summary>
    public int Children { get; init; } = 2;

    /// <summary>Number of equally spaced α in [0, 1].</summary>
    public int Alphas { get; init; } = 11;

    /// <summary>Test images for the barrier (the first ones of t10k).</summary>
    public int EvalImages { get; init; } = 1000;

    /// <summary>Test images for the gradient change (spec: 256).</summary>
    public int GradientImages { get; init; } = 256;

    /// <summary>Lag k of the gradient change <c>∇f_{t′+k} − ∇f_{t′}</c> (spec CPU variant: 100).</summary>
    public int GradientLag { get; init; } = 20;

    /// <summary>Steps t′ at which the gradient change is measured (those with t′ + k ≤ T are used).</summary>
    public IReadOnlyList<int> GradientSteps { get; init; } = [0, 5, 10, 20, 40, 70, 100, 130];

    /// <summary>Conv channels (c₁, c₂). Default 8, 16 (the engine's small CNN) for time; the spec's CPU variant has 16, 32.</summary>
    public int[] Channels { get; init; } = [8, 16];

    /// <summary>Models: "cnn" (no BN) and/or "cnn+bn".</summary>
    public IReadOnlyList<string> Models { get; init; } = ["cnn", "cnn+bn"];

    /// <summary>Random 2-pixel shifts and horizontal flips.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>Seeds (initialisation and trunk data order).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0];

    /// <summary>Directory of the Fashion-MNIST IDX files (null: Debian's location).</summary>
    public string? DataDirectory { get; init; }

    /// <summary>Every problem with this configuration (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (Steps < 4)
            yield return $"--steps must be ≥ 4, got {Steps}";
        if (Batch < 2)
            yield return $"--batch must be ≥ 2 (batch norm needs a batch), got {Batch}";
        if (!(LearningRate > 0) || !(Momentum >= 0 && Momentum < 1))
            yield return "--lr must be > 0 and --momentum in [0, 1)";
        if (Spawns.Count == 0 || Spawns.Any(s => s < 0 || s >= Steps))
            yield return $"spawn steps must lie in [0, {Steps})";
        if (Children < 2)
            yield return "--children must be ≥ 2";
        if (Alphas < 3)
            yield return "--alphas must be ≥ 3";
        if (EvalImages < 1 || EvalImages > 10000 || GradientImages < 1 || GradientImages > 10000)
            yield return "--eval-images and --gradient-images must be in 1..10000";
        if (GradientLag < 1)
            yield return "--gradient-lag must be ≥ 1";
        if (Channels.Length != 2 || Channels.Any(c => c < 1))
            yield return "--channels needs two positive numbers";
        if (Models.Count == 0 || Models.Any(m => m is not ("cnn" or "cnn+bn")))
            yield return $"--models: unknown '{string.Join(",", Models.Where(m => m is not ("cnn" or "cnn+bn")))}': expected cnn and/or cnn+bn";
        if (DataDirectory is { } dir && !Directory.Exists(dir))
            yield return $"--data: no folder {dir} (the Fashion-MNIST IDX files; Debian package dataset-fashion-mnist)";
        if (Seeds.Count == 0)
            yield return "at least one seed is needed";
    }
}

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
public sealed class LmcStudy : IStudy
{
    private readonly LmcConfig _cfg;
    private readonly Lazy<(FashionMnist.Split train, FashionMnist.Split test)> _data;

    // Fashion-MNIST pixel mean and standard deviation (of x/255 over the training set).
    private const double PixelMean = 0.2860,
        PixelStd = 0.3530;

    /// <summary>A study with a validated configuration (throws <see cref="ArgumentException"/> listing every problem).</summary>
    public LmcStudy(LmcConfig cfg)
    {
        var problems = cfg.Problems().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
        _cfg = cfg;
        _data = new(() =>
            (
                FashionMnist.Load("train", cfg.DataDirectory),
                FashionMnist.Load("t10k", cfg.DataDirectory)
            )
        );
    }

    /// <inheritdoc />
    public string Name => "lmc";

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
            ["inputs"] = $"x/255 standardised with mean {PixelMean}, sd {PixelStd}",
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
                (sink, progress, cancel) => RunOne(model == "cnn+bn", seed, sink, progress, cancel)
            )
        ).ToList();

    private double RateAt(int t) =>
        _cfg.LearningRate
        * (
            t > 3 * _cfg.Steps / 4 ? 0.01
            : t > _cfg.Steps / 2 ? 0.1
            : 1.0
        );

    /// <summary>Inputs <c>[b, 1, 28, 28]</c> for images <paramref name="index"/>, optionally shifted/flipped.</summary>
    private static Tensor Images(FashionMnist.Split s, IReadOnlyList<int> index, Rng? augment)
    {
        var x = new float[index.Count * 784];
        for (int k = 0; k < index.Count; k++)
        {
            int dx = 0,
                dy = 0;
            bool flip = false;
            if (augment is not null)
            {
                dx = augment.NextInt(5) - 2;
                dy = augment.NextInt(5) - 2;
                flip = augment.NextDouble() < 0.5;
            }
            int src = index[k] * 784;
            for (int r = 0; r < 28; r++)
            for (int c = 0; c < 28; c++)
            {
                int sr = r - dy,
                    sc = (flip ? 27 - c : c) - dx;
                double v =
                    sr is >= 0 and < 28 && sc is >= 0 and < 28
                        ? s.Images.Data[src + sr * 28 + sc] / 255.0
                        : 0.0;
                x[k * 784 + r * 28 + c] = (float)((v - PixelMean) / PixelStd);
            }
        }
        return HostArrays.ToTensor(x, [index.Count, 1, 28, 28]);
    }

    private static Tensor Labels(FashionMnist.Split s, IReadOnlyList<int> index) =>
        HostArrays.ToTensor(index.Select(i => (long)s.Labels[i]).ToArray());

    /// <summary>One heavy-ball step on a batch (train mode); returns the batch loss.</summary>
    private double Step(
        nn.Module<Tensor, Tensor> model,
        Tensor[] velocity,
        Tensor x,
        Tensor y,
        double lr
    )
    {
        model.train();
        var ps = model.parameters().ToArray();
        foreach (var p in ps)
            p.grad?.zero_();
        var loss = nn.functional.cross_entropy(model.forward(x), y);
        loss.backward();
        using (torch.no_grad())
            for (int i = 0; i < ps.Length; i++)
            {
                var g = ps[i].grad!;
                velocity[i].TimesInPlace(_cfg.Momentum).PlusInPlace(g);
                ps[i].PlusScaledInPlace(velocity[i], -lr);
            }
        return loss.item<float>();
    }

    /// <summary>Mean test loss and error (eval mode) over the evaluation images.</summary>
    private static (double loss, double error) Evaluate(
        nn.Module<Tensor, Tensor> model,
        Tensor x,
        Tensor y
    )
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        model.eval();
        var logits = model.forward(x);
        double loss = nn.functional.cross_entropy(logits, y).item<float>();
        double acc = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        return (loss, 1 - acc);
    }

    /// <summary>Per-example gradients of the true-class logit (eval mode), grouped by layer: layer → <c>[images, P_layer]</c>.</summary>
    private static Dictionary<string, Tensor> LogitGradients(
        nn.Module<Tensor, Tensor> model,
        Tensor x,
        Tensor y
    )
    {
        model.eval();
        var named = model.named_parameters().ToArray();
        var rows = named.Select(_ => new List<Tensor>()).ToArray();
        long n = x.shape[0];
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            foreach (var (_, p) in named)
                p.grad?.zero_();
            var logit = model.forward(x.narrow(0, i, 1))[0, y[i].item<long>()];
            logit.backward();
            for (int k = 0; k < named.Length; k++)
            {
                var g = named[k].parameter.grad!.detach().reshape(-1).clone();
                g.DetachFromDisposeScope();
                rows[k].Add(g);
            }
        }
        var result = new Dictionary<string, Tensor>();
        foreach (
            var group in named
                .Select((p, k) => (layer: p.name.Split('.')[0], k))
                .GroupBy(p => p.layer)
        )
        {
            var parts = group.Select(p => torch.stack(rows[p.k])).ToArray(); // each [n, P_param]
            var t = torch.cat(parts, 1);
            t.DetachFromDisposeScope();
            result[group.Key] = t;
            foreach (var part in parts)
                part.Dispose();
        }
        foreach (var list in rows)
        foreach (var g in list)
            g.Dispose();
        return result;
    }

    private TrajectoryResult RunOne(
        bool batchNorm,
        long seed,
        IObservationSink sink,
        Action<long> progress,
        CancellationToken cancel
    )
    {
        var (train, test) = _data.Value;
        var final = new Dictionary<string, double>();
        var evalIdx = Enumerable.Range(0, _cfg.EvalImages).ToArray();
        var gradIdx = Enumerable
            .Range(test.Count - _cfg.GradientImages, _cfg.GradientImages)
            .ToArray(); // disjoint from the barrier images when possible
        using var xEval = Images(test, evalIdx, null);
        using var yEval = Labels(test, evalIdx);
        using var xGrad = Images(test, gradIdx, null);
        using var yGrad = Labels(test, gradIdx);
        var (c1, c2) = (_cfg.Channels[0], _cfg.Channels[1]);
        long done = 0;

        // ---- trunk
        using var trunk = SmallCnn.Build(batchNorm, c1, c2, seed);
        var velocity = trunk
            .parameters()
            .Select(p => torch.zeros_like(p).DetachFromDisposeScope())
            .ToArray();
        var sampler = new BatchSampler(train.Count, _cfg.Batch, seed);
        var augment = _cfg.Augment ? new Rng(seed, stream: 600) : null;
        var snapshots =
            new Dictionary<int, (Dictionary<string, Tensor> state, Tensor[] velocity)>();
        var gradAt = new Dictionary<int, Dictionary<string, Tensor>>();
        var gradSteps = _cfg
            .GradientSteps.Where(s => s + _cfg.GradientLag <= _cfg.Steps)
            .ToHashSet();
        for (int t = 0; t <= _cfg.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            // state θ_t: spawn snapshots and gradient probes happen before step t + 1
            if (_cfg.Spawns.Contains(t))
                snapshots[t] = (
                    SmallCnn.Snapshot(trunk),
                    velocity.Select(v => v.detach().clone().DetachFromDisposeScope()).ToArray()
                );
            if (gradSteps.Contains(t))
                gradAt[t] = LogitGradients(trunk, xGrad, yGrad);
            if (gradAt.TryGetValue(t - _cfg.GradientLag, out var before))
            {
                var after = LogitGradients(trunk, xGrad, yGrad);
                foreach (var (layer, g0) in before)
                {
                    using var scope = torch.NewDisposeScope();
                    double change = after[layer]
                        .Minus(g0)
                        .Squared()
                        .mean()
                        .to_type(ScalarType.Float64)
                        .item<double>();
                    sink.Write(
                        new Observation("gradient_change", change, t - _cfg.GradientLag, "test").At(
                            "layer",
                            layer
                        )
                    );
                }
                foreach (var g in before.Values.Concat(after.Values))
                    g.Dispose();
                gradAt.Remove(t - _cfg.GradientLag);
            }
            if (t == _cfg.Steps)
                break;
            using var stepScope = torch.NewDisposeScope();
            var batch = sampler.Next();
            double loss = Step(
                trunk,
                velocity,
                Images(train, batch, augment),
                Labels(train, batch),
                RateAt(t + 1)
            );
            if (!double.IsFinite(loss))
                return new TrajectoryResult(
                    t,
                    $"trunk loss is {loss} at step {t + 1}",
                    t + 1,
                    final
                );
            if ((t + 1) % 10 == 0 || t == 0)
                sink.Write(new Observation("train_loss", loss, t + 1, "train"));
            progress(++done);
        }
        var (trunkLoss, trunkError) = Evaluate(trunk, xEval, yEval);
        sink.Write(new Observation("test_error", trunkError, _cfg.Steps, "test"));
        sink.Write(new Observation("test_loss", trunkLoss, _cfg.Steps, "test"));
        final["trunk/test_error"] = trunkError;

        // ---- children and barriers
        int spawnIndex = 0;
        foreach (var t0 in _cfg.Spawns.Order())
        {
            var (state, vel) = snapshots[t0];
            var ends = new List<Dictionary<string, Tensor>>();
            for (int c = 0; c < _cfg.Children; c++)
            {
                using var child = SmallCnn.Build(batchNorm, c1, c2, seed);
                child.load_state_dict(state);
                var v = vel.Select(x => x.clone().DetachFromDisposeScope()).ToArray();
                long childSeed = seed * 1_000_003 + 7919 * (spawnIndex + 1) + 104_729 * (c + 1);
                var childSampler = new BatchSampler(train.Count, _cfg.Batch, childSeed);
                var childAugment = _cfg.Augment ? new Rng(childSeed, stream: 600) : null;
                for (int t = t0; t < _cfg.Steps; t++)
                {
                    cancel.ThrowIfCancellationRequested();
                    using var stepScope = torch.NewDisposeScope();
                    var batch = childSampler.Next();
                    double loss = Step(
                        child,
                        v,
                        Images(train, batch, childAugment),
                        Labels(train, batch),
                        RateAt(t + 1)
                    );
                    if (!double.IsFinite(loss))
                        return new TrajectoryResult(
                            done,
                            $"child {c} of spawn {t0}: loss is {loss} at step {t + 1}",
                            t + 1,
                            final
                        );
                    progress(++done);
                }
                ends.Add(SmallCnn.Snapshot(child));
                foreach (var x in v)
                    x.Dispose();
            }
            // barrier between child 0 and child 1 (further children: more pairs)
            using var probe = SmallCnn.Build(batchNorm, c1, c2, seed);
            var pairs =
                new List<(double errMax, double errHalf, double lossMax, double lossHalf)>();
            var childErrors = new List<double>();
            for (int a = 0; a + 1 < ends.Count; a += 2)
            {
                var path = new (double alpha, double loss, double error)[_cfg.Alphas];
                for (int k = 0; k < _cfg.Alphas; k++)
                {
                    double alpha = (double)k / (_cfg.Alphas - 1);
                    using var scope = torch.NewDisposeScope();
                    var mix = SmallCnn.Interpolate(ends[a], ends[a + 1], alpha);
                    probe.load_state_dict(mix);
                    var (l, e) = Evaluate(probe, xEval, yEval);
                    path[k] = (alpha, l, e);
                    if (a == 0)
                    {
                        sink.Write(new Observation("path_error", e, t0, "test").At("alpha", alpha));
                        sink.Write(new Observation("path_loss", l, t0, "test").At("alpha", alpha));
                    }
                }
                // endpoints: α = 1 is child a, α = 0 is child a+1
                var (e1, e0) = (path[^1].error, path[0].error);
                var (l1, l0) = (path[^1].loss, path[0].loss);
                childErrors.Add(e0);
                childErrors.Add(e1);
                double ErrGap(int k) =>
                    path[k].error - (path[k].alpha * e1 + (1 - path[k].alpha) * e0);
                double LossGap(int k) =>
                    path[k].loss - (path[k].alpha * l1 + (1 - path[k].alpha) * l0);
                int half = Array.FindIndex(path, p => Math.Abs(p.alpha - 0.5) < 1e-9);
                pairs.Add(
                    (
                        Enumerable.Range(0, path.Length).Max(ErrGap),
                        half >= 0 ? ErrGap(half) : double.NaN,
                        Enumerable.Range(0, path.Length).Max(LossGap),
                        half >= 0 ? LossGap(half) : double.NaN
                    )
                );
            }
            sink.Write(new Observation("error_barrier_max", pairs.Average(p => p.errMax), t0));
            sink.Write(new Observation("error_barrier_half", pairs.Average(p => p.errHalf), t0));
            sink.Write(new Observation("loss_barrier_max", pairs.Average(p => p.lossMax), t0));
            sink.Write(new Observation("loss_barrier_half", pairs.Average(p => p.lossHalf), t0));
            sink.Write(new Observation("child_error", childErrors.Average(), t0));
            final[$"t0={t0}/error_barrier_max"] = pairs.Average(p => p.errMax);
            foreach (var d in ends)
            foreach (var x in d.Values)
                x.Dispose();
            foreach (var x in state.Values.Concat(vel))
                x.Dispose();
            spawnIndex++;
        }
        foreach (var v in velocity)
            v.Dispose();
        return new TrajectoryResult(done, null, null, final);
    }
}
