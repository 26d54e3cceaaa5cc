using Telescope.Kernels;
using Telescope.Smoothing;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// What a <see cref="TelescopeRecorder"/> records. Immutable; use <c>with</c>. Only the first three
/// members cost anything by default; everything else is off.
/// </summary>
public sealed record RecorderOptions
{
    /// <summary>The loss the user trains with: it defines the <c>loss</c>/<c>accuracy</c> rows and, for attribution, the per-example loss gradients.</summary>
    public LossKind Loss { get; init; } = LossKind.Squared;

    /// <summary>Log every k-th step (step 0 is always logged; 0: only <see cref="LogSteps"/> and steps asked for with <see cref="StepInfo.Log"/>). f̃ is updated at every step regardless.</summary>
    public int RecordEvery { get; init; } = 1;

    /// <summary>Further steps to log (for example <see cref="LogGrid.Steps"/> of a known T).</summary>
    public IReadOnlySet<long>? LogSteps { get; init; }

    /// <summary>Also stream per-example <c>f</c>, <c>f_telescoped</c>, <c>f_linearised</c> rows for the first this-many rows of each split (as <see cref="TrajectoryConfig.RecordExamples"/>).</summary>
    public int RecordExamples { get; init; }

    /// <summary>How ∇f_{θ_{t−1}}(X)ᵀΔθ_t (and f_lin's JVP) is computed; all methods are exact. <see cref="JvpMethod.DoubleBackward"/> needs only a layer's forward map.</summary>
    public JvpMethod Method { get; init; } = JvpMethod.Forward;

    /// <summary>Keep f_t, f̃_t, f_lin,t of every logged step in memory for <see cref="TelescopeRecorder.Trajectory"/> (T_logged·N·k·3 numbers).</summary>
    public bool KeepTrajectory { get; init; } = true;

    /// <summary>Also keep θ_t and Δθ_t of every logged step (T_logged·P·2 numbers: off by default).</summary>
    public bool KeepParameters { get; init; }

    /// <summary>Logged steps at which to keep the per-example loss gradients ∇_θ ℓ(z_i; θ_t) of the probe's train rows (<c>[n, P]</c> each).</summary>
    public IReadOnlySet<long>? GradientSteps { get; init; }

    /// <summary>Logged steps at which to keep the tangent kernel K_{θ_t}(X_all, X_all) (<c>[N, N]</c>, trace over outputs).</summary>
    public IReadOnlySet<long>? KernelSteps { get; init; }

    /// <summary>Split f̃ by layer: per parameterised layer l the running sum of ∇_{θ_l}f_{θ_{s−1}}(x)ᵀΔθ_{l,s} (one extra JVP per layer and step; the parts sum to f̃_t − f̃_0).</summary>
    public bool ByLayer { get; init; }

    /// <summary>
    /// The update rule the user's optimiser applies (its learning rate is used when a step gives none). Needed by
    /// <see cref="Smoother"/> and <see cref="Attribution"/>, which re-express Δθ_t through it; f, f̃ and f_lin never
    /// need it. TorchSharp's <c>SGD</c> (plain, momentum, Nesterov, weight decay) is mirrored exactly by
    /// <see cref="OptimizerKind.Sgd"/>, <see cref="OptimizerKind.Momentum"/>, <see cref="OptimizerKind.Nesterov"/>.
    /// </summary>
    public OptimizerSpec? UpdateRule { get; init; }

    /// <summary>Run the smoother (spec §3; squared loss, k = 1; plain SGD by A3, other rules by A2) and log <c>smoother_gap</c> and <c>effective_parameters</c>. Steps must give their batch.</summary>
    public bool Smoother { get; init; }

    /// <summary>Exact training-data attribution (see <see cref="TrainingAttribution"/>). Steps must give their batch.</summary>
    public bool Attribution { get; init; }

    /// <summary>Steps whose per-step attribution a_t(x, z_i) is kept as well (<c>[N, k, n]</c> each).</summary>
    public IReadOnlySet<long>? AttributionSteps { get; init; }

    /// <summary>
    /// Adam/AdamW with <see cref="Smoother"/> or <see cref="Attribution"/>: where each step's 1/φ_t comes from, read
    /// after the step (the library's optimiser: <c>() =&gt; optimizer.LastInvPhi</c>); a step's
    /// <see cref="StepInfo.InvPhi"/> overrides it. Adam is not linear in the gradients, so without φ_t neither is
    /// defined, and <c>Attach</c> refuses them — TorchSharp's <c>torch.optim.Adam</c> does
    /// not expose φ_t.
    /// </summary>
    public Func<IReadOnlyList<Tensor?>>? InvPhiSource { get; init; }

    /// <summary>
    /// What <see cref="Attribution"/> does at a step its declared <see cref="UpdateRule"/> does not explain (Σ_i a_t
    /// differs from ∇f(X)ᵀΔθ_t beyond round-off, e.g. momentum declared as plain SGD): refuse there (default; a
    /// <see cref="Counterfactual.RuleMismatchException"/> naming the step) or record it
    /// (<see cref="TrainingAttribution.FirstMismatch"/>, <see cref="TrainingAttribution.MaxResidual"/>).
    /// </summary>
    public RuleMismatchPolicy RuleMismatch { get; init; } = RuleMismatchPolicy.Refuse;
}

/// <summary>What attribution does when the declared update rule does not explain a step.</summary>
public enum RuleMismatchPolicy
{
    /// <summary>Throw at the step (the default).</summary>
    Refuse,

    /// <summary>Carry on; the first such step is <see cref="TrainingAttribution.FirstMismatch"/>.</summary>
    Record,
}

/// <summary>What the user's loop knows about the step it just took; every member is optional.</summary>
/// <param name="Batch">Indices B_t of the rows of the probe's train split the step's loss was averaged over (needed by the smoother and attribution).</param>
/// <param name="LearningRate">γ_t (default: the <see cref="RecorderOptions.UpdateRule"/>'s rate at t, or unknown).</param>
/// <param name="BatchLoss">The loss of the batch (written as <c>batch_loss</c>).</param>
/// <param name="InvPhi">Adam/AdamW only: 1/φ_t per parameter tensor (the library's <see cref="Optimizer.LastInvPhi"/>).</param>
/// <param name="Log">Force (true) or suppress (false) logging this step.</param>
public sealed record StepInfo(
    IReadOnlyList<int>? Batch = null,
    double? LearningRate = null,
    double? BatchLoss = null,
    IReadOnlyList<Tensor?>? InvPhi = null,
    bool? Log = null
);

/// <summary>
/// The telescoping lens attached to <em>any</em> training loop and optimiser, TorchSharp's own included (issue 17).
/// f̃ needs only the actual update Δθ_t = θ_t − θ_{t−1}: after each optimiser step the loop calls
/// <see cref="Step()"/>, which reads θ_t from the network's parameters, adds the exact batched JVP
/// <c>∇f_{θ_{t−1}}(X)ᵀΔθ_t</c> (at the kept θ_{t−1}) to f̃ and keeps θ_t for the next step. At logged steps it
/// evaluates f_t and f_lin,t and streams the same tidy rows as <see cref="Trajectory.Run"/> to the sink, and keeps
/// them in memory (<see cref="Trajectory"/>). With a declared <see cref="RecorderOptions.UpdateRule"/> it also
/// runs the smoother and exact training-data attribution.
/// <para>
/// The recorder reads the network only through <see cref="Network.Parameters"/> (θ_t, stepped in place by the
/// user's optimiser: <c>torch.optim.Adam(network.Parameters, …)</c>), <see cref="Network.Forward(Tensor, IReadOnlyList{Tensor})"/>
/// and <see cref="Jvp.Compute"/> at explicit θ, so any model presented as a <see cref="Network"/> (for example a
/// TorchSharp module behind an adapter layer) plugs in unchanged.
/// </para>
/// <para>
/// Lifetime: every tensor the recorder keeps is detached from all dispose scopes (a step called inside the user's
/// <c>torch.NewDisposeScope()</c> is safe); what it hands out (<see cref="Telescoped"/>, <see cref="Trajectory"/>,
/// <see cref="Attribution"/>) are new tensors, owned by the caller, that survive <see cref="Dispose"/>.
/// </para>
/// </summary>
public sealed class TelescopeRecorder : IDisposable
{
    private readonly Network _net;
    private readonly RecorderOptions _o;
    private readonly Tensor _xAll,
        _yAll,
        _lAll,
        _yTrain;
    private readonly int _nTrain,
        _nAll;
    private readonly TrajectoryRows? _rows;
    private readonly IObservationSink? _sink;
    private readonly Tensor[] _theta0;
    private Tensor[] _thetaPrev;
    private readonly Tensor _f0,
        _fTel;
    private readonly int[] _layers; // parameterised layers (indices into Network.Layers)
    private readonly int[] _layerOfTensor; // parameter tensor → position in _layers
    private readonly Tensor? _layerParts; // [L, N, k]
    private readonly Smoother? _smoother;
    private readonly AttributionTracker? _attribution;
    private readonly List<long> _steps = [];
    private readonly List<Tensor> _f = [],
        _ft = [],
        _fl = [],
        _th = [],
        _dth = [],
        _lp = [];
    private readonly Dictionary<long, Tensor> _grads = new(),
        _kernels = new();
    private bool _disposed;

    /// <summary>Steps recorded so far (t of the last <see cref="Step()"/>).</summary>
    public long StepCount { get; private set; }

    /// <summary>The network attached to.</summary>
    public Network Network => _net;

    /// <summary>N, the tracked points (train rows first).</summary>
    public int Count => _nAll;

    /// <summary>n, the probe's train rows (the rows batches index).</summary>
    public int TrainCount => _nTrain;

    /// <summary>The options.</summary>
    public RecorderOptions Options => _o;

    /// <summary>The smoother, when <see cref="RecorderOptions.Smoother"/> is set (its S and C are live: copy before the next step).</summary>
    public Smoother? Smoother => _smoother;

    private TelescopeRecorder(Network net, Probe probe, RecorderOptions o, IObservationSink? sink)
    {
        if (o.RecordEvery < 0)
            throw new ArgumentException($"RecordEvery must be ≥ 0, got {o.RecordEvery}");
        if ((o.Smoother || o.Attribution) && o.UpdateRule is null)
            throw new ArgumentException(
                "the smoother and attribution re-express Δθ_t through the optimiser's update rule: set RecorderOptions.UpdateRule to the rule your optimiser applies (for torch.optim.SGD(lr) that is new OptimizerSpec(OptimizerKind.Sgd, lr))"
            );
        if (
            (o.Smoother || o.Attribution)
            && o.UpdateRule?.Kind is OptimizerKind.Adam or OptimizerKind.AdamW
            && o.InvPhiSource is null
        )
            throw new NotSupportedException(
                "the smoother and attribution under Adam/AdamW need 1/φ_t at every step: set RecorderOptions.InvPhiSource (the library's Optimizer: () => optimizer.LastInvPhi); TorchSharp's torch.optim.Adam does not expose φ_t — attribute by batch instead (the step's ∇f(x)ᵀΔθ_t, f̃'s increment)"
            );
        if (o.UpdateRule is { } rule && rule.Problems().ToList() is { Count: > 0 } ps)
            throw new ArgumentException(string.Join("; ", ps));
        _net = net;
        _o = o;
        _sink = sink;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var dt = net.DType;
        var dev = net.Device;
        _nTrain = probe.Train.Count;
        _xAll = Own(torch.cat([probe.Train.Inputs(dt, dev), probe.Test.Inputs(dt, dev)], 0));
        _nAll = (int)_xAll.shape[0];
        _yTrain = Own(probe.Train.Targets(dt, dev));
        _yAll = Own(
            torch
                .cat([probe.Train.Targets(dt, dev), probe.Test.Targets(dt, dev)], 0)
                .to_type(ScalarType.Float64)
        );
        _lAll = Own(torch.cat([probe.Train.LabelTensor(dev), probe.Test.LabelTensor(dev)], 0));
        _theta0 = OwnAll(net.Snapshot());
        _thetaPrev = OwnAll(net.Snapshot());
        _f0 = Own(net.Forward(_xAll, _theta0).to_type(ScalarType.Float64));
        _fTel = Own(_f0.clone());
        var layers = new List<int>();
        var layerOf = new List<int>();
        for (int l = 0; l < net.Layers.Count; l++)
            if (net.Layers[l].ParameterShapes.Count > 0)
            {
                foreach (var _ in net.Layers[l].ParameterShapes)
                    layerOf.Add(layers.Count);
                layers.Add(l);
            }
        _layers = [.. layers];
        _layerOfTensor = [.. layerOf];
        if (o.ByLayer)
            _layerParts = Own(
                torch.zeros(
                    [_layers.Length, _nAll, net.Outputs],
                    dtype: ScalarType.Float64,
                    device: dev
                )
            );
        if (sink is not null)
            _rows = new TrajectoryRows(
                sink,
                o.Loss,
                o.RecordExamples,
                _nTrain,
                _nAll,
                _yAll,
                _lAll,
                Telescoping.Trajectory.Threshold(o.Loss, net),
                skipUnknownStepFacts: true
            );
        if (o.Smoother)
            _smoother = new Smoother(net, _xAll, _nTrain, o.Loss, o.UpdateRule!);
        if (o.Attribution)
            _attribution = new AttributionTracker(
                net,
                _xAll,
                probe.Train,
                _nTrain,
                o.Loss,
                o.UpdateRule!,
                o.AttributionSteps,
                o.RuleMismatch == RuleMismatchPolicy.Refuse
            );
        Log(0, _f0, _f0, double.NaN, double.NaN, double.NaN, double.NaN, null);
    }

    /// <summary>
    /// Attach to <paramref name="net"/> at its current parameters (θ_0 = now: attach before the first optimiser
    /// step). The probe's train rows come first; the smoother and attribution take them as the training set, so
    /// batch indices address them (use <c>Probe.Of(train, test, train.Count)</c> to track every training row).
    /// Rows stream to <paramref name="sink"/> when one is given.
    /// </summary>
    public static TelescopeRecorder Attach(
        Network net,
        Probe probe,
        RecorderOptions? options = null,
        IObservationSink? sink = null
    ) => new(net, probe, options ?? new RecorderOptions(), sink);

    /// <summary>Record the step the optimiser just took (nothing known about it but θ_t).</summary>
    public void Step() => Step(new StepInfo());

    /// <summary>Record the step the optimiser just took on batch <paramref name="batch"/> with rate <paramref name="learningRate"/>.</summary>
    public void Step(
        IReadOnlyList<int> batch,
        double learningRate,
        double batchLoss = double.NaN
    ) => Step(new StepInfo(batch, learningRate, double.IsNaN(batchLoss) ? null : batchLoss));

    /// <summary>
    /// Record the step the optimiser just took: Δθ_t = θ_t − θ_{t−1} from the network's parameters,
    /// f̃_t = f̃_{t−1} + ∇f_{θ_{t−1}}(X)ᵀΔθ_t, and at logged steps f_t, f_lin,t and the rows. Throws
    /// <see cref="InvalidOperationException"/> when Δθ_t is not finite (divergence), naming the step.
    /// </summary>
    public void Step(StepInfo info)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long t = StepCount + 1;
        using var scope = torch.NewDisposeScope();
        Tensor[] delta;
        double gradNorm;
        using (torch.no_grad())
        {
            delta = _net.Parameters.Select((p, i) => p.detach().Minus(_thetaPrev[i])).ToArray();
            gradNorm = _net.Parameters.All(p => p.grad is null)
                ? double.NaN
                : ParameterVector.Norm(_net.Parameters.Select(p => p.grad ?? torch.zeros_like(p)));
        }
        double updateNorm = ParameterVector.Norm(delta);
        if (!double.IsFinite(updateNorm))
            throw new InvalidOperationException(
                $"parameter update norm is {updateNorm} at step {t} (divergence: lower the learning rate)"
            );
        double lr = info.LearningRate ?? _o.UpdateRule?.RateAt(t) ?? double.NaN;
        if ((_smoother is not null || _attribution is not null) && info.Batch is null)
            throw new ArgumentException(
                $"step {t}: the smoother and attribution need the batch B_t (StepInfo.Batch: indices of the probe's train rows)"
            );

        var inc = Jvp.Compute(_net, _xAll, _thetaPrev, delta, _o.Method)
            .to_type(ScalarType.Float64);
        if (_layerParts is not null)
            for (int l = 0; l < _layers.Length; l++)
            {
                var dir = delta
                    .Select((d, i) => _layerOfTensor[i] == l ? d : torch.zeros_like(d))
                    .ToArray();
                _layerParts
                    .select(0, l)
                    .PlusInPlace(
                        Jvp.Compute(_net, _xAll, _thetaPrev, dir, _o.Method)
                            .to_type(ScalarType.Float64)
                    );
            }
        var invPhi =
            info.InvPhi
            ?? (_smoother is null && _attribution is null ? null : _o.InvPhiSource?.Invoke());
        _smoother?.Step(t, lr, _thetaPrev, info.Batch!, invPhi);
        _attribution?.Step(t, lr, _thetaPrev, info.Batch!, invPhi, inc);
        _fTel.PlusInPlace(inc);
        StepCount = t;

        bool log =
            info.Log
            ?? (
                (_o.RecordEvery > 0 && t % _o.RecordEvery == 0)
                || (_o.LogSteps?.Contains(t) ?? false)
            );
        if (log)
        {
            Tensor f,
                fLin;
            using (torch.no_grad())
            {
                f = _net.Forward(_xAll).to_type(ScalarType.Float64);
                var dir = _net.Parameters.Select((p, i) => p.detach().Minus(_theta0[i])).ToArray();
                fLin = _f0.Plus(
                    Jvp.Compute(_net, _xAll, _theta0, dir, _o.Method).to_type(ScalarType.Float64)
                );
            }
            Log(t, f, fLin, info.BatchLoss ?? double.NaN, gradNorm, updateNorm, lr, delta);
        }
        foreach (var p in _thetaPrev)
            p.Dispose();
        _thetaPrev = OwnAll(_net.Snapshot());
    }

    private void Log(
        long t,
        Tensor f,
        Tensor fLin,
        double batchLoss,
        double gradNorm,
        double updateNorm,
        double lr,
        Tensor[]? delta
    )
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        _rows?.Record(t, f, _fTel, fLin, batchLoss, gradNorm, updateNorm, lr);
        if (_sink is not null)
            WriteExtras(t);
        if (_o.KeepTrajectory)
        {
            _steps.Add(t);
            _f.Add(Host(f));
            _ft.Add(Host(_fTel));
            _fl.Add(Host(fLin));
            if (_layerParts is not null)
                _lp.Add(Host(_layerParts));
            if (_o.KeepParameters)
            {
                _th.Add(Host(ParameterVector.Flatten(_net.Parameters)));
                _dth.Add(
                    Host(
                        delta is null
                            ? torch.zeros(_net.ParameterCount, _net.DType, _net.Device)
                            : ParameterVector.Flatten(delta)
                    )
                );
            }
        }
        if (_o.GradientSteps?.Contains(t) ?? false)
        {
            var xTrain = _xAll.narrow(0, 0, _nTrain);
            var fTrain = _net.Forward(xTrain);
            var r = Training.Loss.OutputGradient(
                _o.Loss,
                fTrain,
                _yTrain,
                _lAll.narrow(0, 0, _nTrain)
            );
            var g = PerExampleGradients.Of(_net, xTrain, r, _net.Parameters);
            _grads[t] = Host(torch.cat(g.Select(x => x.reshape(_nTrain, -1)).ToArray(), 1));
        }
        if (_o.KernelSteps?.Contains(t) ?? false)
            _kernels[t] = Host(
                Ntk.Compute(
                    _net,
                    _xAll,
                    _xAll,
                    _net.Parameters,
                    KernelFeatures.Supports(_net) ? NtkMethod.Structured : NtkMethod.Jacobian
                )
            );
    }

    private void WriteExtras(long t)
    {
        var sink = _sink!;
        int k = _net.Outputs;
        if (_smoother is not null)
        {
            var fHat = _smoother.Predict(_yTrain.select(1, 0));
            var gaps = fHat.Minus(_fTel.select(1, 0)).abs();
            var (pTrain, pTest) = _smoother.EffectiveParameters();
            foreach (var (split, start, count) in Splits())
            {
                sink.Write(
                    new Observation(
                        "smoother_gap",
                        gaps.narrow(0, start, count).mean().item<double>(),
                        t,
                        split
                    )
                );
                sink.Write(
                    new Observation(
                        "effective_parameters",
                        split == "train" ? pTrain : pTest,
                        t,
                        split
                    )
                );
            }
        }
        if (_layerParts is not null && _o.RecordExamples > 0)
        {
            var parts = _layerParts.cpu();
            foreach (var (split, start, count) in Splits())
                for (int i = 0; i < Math.Min(_o.RecordExamples, count); i++)
                for (int o = 0; o < k; o++)
                for (int l = 0; l < _layers.Length; l++)
                    sink.Write(
                        LayerRow(t, split, i, o, _layers[l], parts[l, start + i, o].item<double>())
                    );
        }
    }

    internal static Observation LayerRow(long t, string split, int i, int o, int layer, double v) =>
        new Observation("f_telescoped_layer", v, t, split, i, o).At("layer", layer);

    private IEnumerable<(string split, int start, int count)> Splits()
    {
        yield return ("train", 0, _nTrain);
        if (_nAll > _nTrain)
            yield return ("test", _nTrain, _nAll - _nTrain);
    }

    /// <summary>f̃_t <c>[N, k]</c> float64 (a new tensor, owned by the caller).</summary>
    public Tensor Telescoped
    {
        get
        {
            var c = _fTel.detach().clone();
            return c;
        }
    }

    /// <summary>f_0 <c>[N, k]</c> float64 (a new tensor, owned by the caller).</summary>
    public Tensor Initial => _f0.detach().clone();

    /// <summary>
    /// The trajectory tensors of every logged step so far (<see cref="RecorderOptions.KeepTrajectory"/>): new CPU
    /// float64 tensors, owned by the returned object (dispose it, or let the GC), independent of the recorder.
    /// </summary>
    public TrajectoryTensors Trajectory()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Tensor Stack(List<Tensor> xs) =>
            Detached(
                xs.Count == 0
                    ? torch.zeros(0, dtype: ScalarType.Float64)
                    : torch.stack(xs.ToArray())
            );
        using var scope = torch.NewDisposeScope();
        return new TrajectoryTensors(
            [.. _steps],
            _nTrain,
            _nAll,
            _net.Outputs,
            Stack(_f),
            Stack(_ft),
            Stack(_fl),
            _th.Count > 0 ? Stack(_th) : null,
            _dth.Count > 0 ? Stack(_dth) : null,
            _lp.Count > 0 ? Stack(_lp) : null,
            [.. _layers.Select(l => $"{l}: {_net.Layers[l].Describe()}")],
            [.. _layers],
            _grads.ToDictionary(kv => kv.Key, kv => Detached(kv.Value.clone())),
            _kernels.ToDictionary(kv => kv.Key, kv => Detached(kv.Value.clone()))
        );
    }

    /// <summary>The attribution so far (<see cref="RecorderOptions.Attribution"/>): a snapshot owned by the caller.</summary>
    public TrainingAttribution Attribution()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_attribution is null)
            throw new InvalidOperationException(
                "attribution was not recorded: attach with RecorderOptions { Attribution = true, UpdateRule = … }"
            );
        return _attribution.Snapshot(StepCount);
    }

    private static Tensor Own(Tensor t)
    {
        t.DetachFromDisposeScope();
        return t;
    }

    private static Tensor[] OwnAll(Tensor[] ts)
    {
        foreach (var t in ts)
            t.DetachFromDisposeScope();
        return ts;
    }

    private static Tensor Host(Tensor t) =>
        Own(t.detach().to_type(ScalarType.Float64).cpu().clone());

    internal static Tensor Detached(Tensor t)
    {
        t.DetachFromDisposeScope();
        return t;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (
            var t in new[] { _xAll, _yAll, _lAll, _yTrain, _f0, _fTel }
                .Concat(_theta0)
                .Concat(_thetaPrev)
                .Concat(_f)
                .Concat(_ft)
                .Concat(_fl)
                .Concat(_th)
                .Concat(_dth)
                .Concat(_lp)
                .Concat(_grads.Values)
                .Concat(_kernels.Values)
        )
            t.Dispose();
        _layerParts?.Dispose();
        _smoother?.Dispose();
        _attribution?.Dispose();
    }
}
