using Telescope.Data;
using Telescope.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// Exact training-data attribution of the telescoped model (issue 17 item 5): for every probe point x, output o
/// and training row z_i, <c>A(x, z_i) = Σ_t a_t(x, z_i)</c>, the part of <c>f̃_T(x) − f̃_0(x)</c> that the gradient
/// of example i moved, summed over steps, with
/// <c>Σ_i A(x, z_i) + A_decay(x) = f̃_T(x) − f̃_0(x)</c> to round-off.
/// <para>
/// The update rule is the declared <see cref="RecorderOptions.UpdateRule"/>, applied by the library's
/// <see cref="UpdateOperator"/> (the one the real optimiser and the smoother use) to the per-example gradients as
/// columns: with the non-linear state held at its real value, Δθ_t is linear in the batch gradient
/// <c>G_t = (1/b_t) Σ_{i∈B_t} ∇_θ ℓ(z_i; θ_{t−1})</c> and the weights θ_{t−1}, so it splits exactly into one
/// column per training row plus one for θ_{t−1} (weight decay), and <c>a_t(x, z_i) = ∇f_{θ_{t−1}}(x)ᵀΔθ_t^{(i)}</c>.
/// </para>
/// <list type="bullet">
/// <item>Plain SGD: <c>a_t(x, z_i) = −(γ_t/b_t) ∇f_{θ_{t−1}}(x)ᵀ∇_θ ℓ(z_i; θ_{t−1})</c> for i ∈ B_t (0 otherwise); coupled L2
/// adds <c>A_decay = −Σ_t γ_t λ ∇f(x)ᵀθ_{t−1}</c>.</item>
/// <item>Heavy-ball, Nesterov, EMA momentum: exact through Δθ_t's linear dependence on <em>past</em> gradients
/// (Δθ_t = −γ_t Σ_{s≤t} μ^{t−s} G_s for heavy ball): example i, seen at step s, keeps moving f̃ at later steps
/// through the momentum buffer. Memory <c>P·(n + 1)</c> (two copies with direct label weights).</item>
/// <item>Adam/AdamW: Δθ_t is not linear in the gradients (φ_t depends on all of them). Given φ_t from the real run
/// (<see cref="StepInfo.InvPhi"/>: the library's <see cref="Optimizer.LastInvPhi"/>) the same split is exact as an
/// additive decomposition of Δθ_t, but it is not what removing example i would have done. TorchSharp's own
/// <c>torch.optim.Adam</c> does not expose φ_t, so there attribute by batch: the whole step's
/// <c>∇f(x)ᵀΔθ_t</c> (f̃'s increment, <see cref="TrajectoryTensors"/> with every step logged).</item>
/// </list>
/// <para>
/// Squared loss, k = 1 (spec §2, A3): <c>a_t(x, z_i) = w_t(x, i) (y_i − f_{θ_{t−1}}(x_i))</c> with
/// <c>w_t(x, i) = (γ_t/b_t) 1{i∈B_t} K_{t−1}(x, x_i)</c> for plain SGD. <see cref="TrainingAttribution.DirectLabelWeights"/>
/// is <c>D_T(x, i) = Σ_t w_t(x, i) = ∂A(x, z_i)/∂y_i</c> with the trajectory held fixed (the direct dependence on y_i),
/// whereas the smoother's <c>s_T(x)_i</c> is the total linear dependence on y_i, feedback through the other
/// rows' residuals included: <c>S_T = D_T − Σ_t W_t S_{t−1}[train]</c> (W_t = D_t − D_{t−1}; tested to round-off).
/// </para>
/// </summary>
internal sealed class AttributionTracker : IDisposable
{
    private readonly Network _net;
    private readonly Tensor _xAll,
        _xTrain,
        _yTrain,
        _lTrain;
    private readonly int _n,
        _nAll,
        _k;
    private readonly LossKind _loss;
    private readonly OptimizerSpec _rule;
    private readonly bool _stateless,
        _direct;
    private readonly UpdateOperator _op;
    private readonly Tensor _total; // [N·k, n]
    private readonly Tensor _decay; // [N·k]
    private readonly Tensor? _directW; // [N, n]
    private readonly IReadOnlySet<long>? _keepSteps;
    private readonly Dictionary<long, Tensor> _perStep = new();
    private double _maxResidual;
    private long? _firstMismatch;
    private readonly bool _refuse;

    public AttributionTracker(
        Network net,
        Tensor xAll,
        Dataset train,
        int n,
        LossKind loss,
        OptimizerSpec rule,
        IReadOnlySet<long>? keepSteps,
        bool refuseMismatch = true
    )
    {
        _refuse = refuseMismatch;
        _net = net;
        _xAll = xAll;
        _n = n;
        _nAll = (int)xAll.shape[0];
        _k = net.Outputs;
        _loss = loss;
        _rule = rule;
        _stateless = rule.Kind == OptimizerKind.Sgd;
        _direct = loss == LossKind.Squared && _k == 1;
        _op = new UpdateOperator(rule);
        _keepSteps = keepSteps;
        using var scope = torch.NewDisposeScope();
        _xTrain = Keep(xAll.narrow(0, 0, n).clone());
        _yTrain = Keep(train.Targets(net.DType, net.Device));
        _lTrain = Keep(train.LabelTensor(net.Device));
        _total = Keep(torch.zeros([_nAll * _k, n], ScalarType.Float64, device: net.Device));
        _decay = Keep(torch.zeros([_nAll * _k], ScalarType.Float64, device: net.Device));
        if (_direct)
            _directW = Keep(torch.zeros([_nAll, n], ScalarType.Float64, device: net.Device));
    }

    private static Tensor Keep(Tensor t)
    {
        t.DetachFromDisposeScope();
        return t;
    }

    /// <summary>The largest |Σ_i a_t(·, z_i) + a_t,decay − ∇f(X)ᵀΔθ_t| over steps so far: round-off when the declared rule is the real one.</summary>
    public double MaxResidual => _maxResidual;

    /// <summary>The first step whose residual exceeded <see cref="RelativeTolerance"/> (null: none).</summary>
    public long? FirstMismatch => _firstMismatch;

    /// <summary>
    /// The per-step tolerance of the rule check: residual / max_x Σ_columns |a_t(x, ·)| above this means the declared
    /// rule does not explain the update (1e-8 in float64, 1e-3 in float32, where round-off is ~1e-16 and ~1e-7).
    /// </summary>
    public static double RelativeTolerance(ScalarType dtype) =>
        dtype == ScalarType.Float64 ? 1e-8 : 1e-3;

    public void Step(
        long t,
        double lr,
        IReadOnlyList<Tensor> thetaPrev,
        IReadOnlyList<int> batch,
        IReadOnlyList<Tensor?>? invPhi,
        Tensor increment
    )
    {
        if (double.IsNaN(lr))
            throw new ArgumentException($"step {t}: attribution needs the learning rate γ_t");
        Tensor? phi = null;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        if (_rule.Kind is OptimizerKind.Adam or OptimizerKind.AdamW)
        {
            if (invPhi is null || invPhi.Any(p => p is null))
                throw new NotSupportedException(
                    "attribution under Adam/AdamW needs 1/φ_t at every step (StepInfo.InvPhi, e.g. the library Optimizer.LastInvPhi): Adam is not linear in the gradients, and TorchSharp's torch.optim.Adam does not expose φ_t — attribute by batch instead (the step's ∇f(x)ᵀΔθ_t, f̃'s increment)"
                );
            phi = torch
                .cat(invPhi.Select(p => p!.reshape(-1)).ToArray())
                .to_type(ScalarType.Float64)
                .unsqueeze(1);
        }
        int b = batch.Count;
        var idx = HostArrays.ToTensor(batch.Select(i => (long)i).ToArray(), device: _net.Device);
        var xB = _xTrain.index_select(0, idx);
        var fB = _net.Forward(xB, thetaPrev);
        var r = Loss.OutputGradient(
            _loss,
            fB,
            _yTrain.index_select(0, idx),
            _lTrain.index_select(0, idx)
        );
        Tensor Flat(Tensor[] g) =>
            torch.cat(g.Select(x => x.reshape(b, -1)).ToArray(), 1).to_type(ScalarType.Float64); // [b, P]
        var g = Flat(PerExampleGradients.Of(_net, xB, r, thetaPrev)).Times(1.0 / b).t(); // [P, b]
        Tensor? u = _direct
            ? Flat(PerExampleGradients.Of(_net, xB, torch.ones_like(r), thetaPrev))
                .Times(-1.0 / b)
                .t()
            : null; // ∂(g_i/b)/∂y_i = −∇f(x_i)/b
        var theta = ParameterVector.Flatten(thetaPrev).to_type(ScalarType.Float64).unsqueeze(1); // [P, 1]
        long p = theta.shape[0];
        int cols = _stateless ? b : _n;
        Tensor G,
            W;
        if (_stateless)
        {
            var parts = new List<Tensor> { g, torch.zeros_like(theta) };
            if (u is not null)
                parts.Add(u);
            G = torch.cat(parts.ToArray(), 1);
        }
        else
        {
            G = torch.zeros(
                [p, _direct ? 2 * _n + 1 : _n + 1],
                ScalarType.Float64,
                device: _net.Device
            );
            G.index_copy_(1, idx, g);
            if (u is not null)
                G.index_copy_(
                    1,
                    HostArrays.ToTensor(
                        batch.Select(i => (long)i + _n + 1).ToArray(),
                        device: _net.Device
                    ),
                    u
                );
        }
        W = torch.zeros_like(G);
        W.select(1, cols).copy_(theta.squeeze(1));
        var delta = _op.Delta(t, lr, G, W, phi); // [P, C]: the rule's own algebra on the columns
        var j = Ntk.Jacobian(_net, _xAll, thetaPrev)
            .to_type(ScalarType.Float64)
            .reshape(_nAll * _k, -1); // [N·k, P]
        var contrib = j.matmul(delta); // [N·k, C]
        var ex = contrib.narrow(1, 0, cols);
        var dec = contrib.select(1, cols);
        if (_stateless)
            _total.IndexAddInPlace(1, idx, ex);
        else
            _total.PlusInPlace(ex);
        _decay.PlusInPlace(dec);
        if (_directW is not null)
        {
            var dw = contrib.narrow(1, cols + 1, cols);
            if (_stateless)
                _directW.IndexAddInPlace(1, idx, dw);
            else
                _directW.PlusInPlace(dw);
        }
        var sum = ex.sum(1).Plus(dec);
        double res = sum.Minus(increment.reshape(-1)).abs().max().item<double>();
        _maxResidual = Math.Max(_maxResidual, res);
        // the rule check, at the step: relative to the gross size of the step's columns (round-off scales with it)
        double gross = Math.Max(ex.abs().sum(1).Plus(dec.abs()).max().item<double>(), double.Epsilon);
        if (res / gross > RelativeTolerance(_net.DType) && _firstMismatch is null)
        {
            _firstMismatch = t;
            if (_refuse)
                throw new Counterfactual.RuleMismatchException(t, _rule.Name, res, gross);
        }
        if (_keepSteps?.Contains(t) ?? false)
        {
            var full = _stateless
                ? torch
                    .zeros([_nAll * _k, _n], ScalarType.Float64, device: _net.Device)
                    .IndexAddInPlace(1, idx, ex)
                : ex.clone();
            _perStep[t] = Keep(full.reshape(_nAll, _k, _n).cpu().clone());
        }
    }

    public TrainingAttribution Snapshot(long steps)
    {
        using var scope = torch.NewDisposeScope();
        Tensor Copy(Tensor x) => Keep(x.detach().cpu().clone());
        return new TrainingAttribution(
            steps,
            _n,
            _nAll,
            _k,
            Copy(_total.reshape(_nAll, _k, _n)),
            Copy(_decay.reshape(_nAll, _k)),
            _directW is null ? null : Copy(_directW),
            _perStep.ToDictionary(kv => kv.Key, kv => Copy(kv.Value)),
            _maxResidual,
            _rule.Name
        )
        {
            FirstMismatch = _firstMismatch,
        };
    }

    public void Dispose()
    {
        foreach (var t in new[] { _xTrain, _yTrain, _lTrain, _total, _decay })
            t.Dispose();
        _directW?.Dispose();
        foreach (var t in _perStep.Values)
            t.Dispose();
        _op.Restore(null);
    }
}

/// <summary>
/// A snapshot of exact training-data attribution (see the recorder's <see cref="RecorderOptions.Attribution"/>):
/// CPU float64 tensors owned by this object (they survive the recorder; free them with <see cref="Dispose"/>).
/// Probe points are rows 0..N−1 (train rows first); training rows are the probe's train rows 0..n−1.
/// </summary>
public sealed class TrainingAttribution : IDisposable
{
    internal TrainingAttribution(
        long steps,
        int trainCount,
        int count,
        int outputs,
        Tensor total,
        Tensor decay,
        Tensor? direct,
        Dictionary<long, Tensor> perStep,
        double maxResidual,
        string rule
    )
    {
        Steps = steps;
        TrainCount = trainCount;
        Count = count;
        Outputs = outputs;
        Total = total;
        WeightDecay = decay;
        DirectLabelWeights = direct;
        PerStep = perStep;
        MaxResidual = maxResidual;
        Rule = rule;
    }

    /// <summary>T, the steps summed over.</summary>
    public long Steps { get; }

    /// <summary>n, the training rows.</summary>
    public int TrainCount { get; }

    /// <summary>N, the probe points.</summary>
    public int Count { get; }

    /// <summary>k, the outputs.</summary>
    public int Outputs { get; }

    /// <summary>The update rule attributed through (sgd, momentum, …).</summary>
    public string Rule { get; }

    /// <summary>A(x, z_i) = Σ_t a_t(x, z_i), <c>[N, k, n]</c>.</summary>
    public Tensor Total { get; }

    /// <summary>The part of f̃_T − f̃_0 moved by the θ_{t−1} terms of the rule (weight decay), <c>[N, k]</c> (zeros without decay).</summary>
    public Tensor WeightDecay { get; }

    /// <summary>Squared loss, k = 1: D_T(x, i) = Σ_t w_t(x, i) = ∂A(x, z_i)/∂y_i at a fixed trajectory, <c>[N, n]</c>; else null.</summary>
    public Tensor? DirectLabelWeights { get; }

    /// <summary>Per kept step t, a_t(x, z_i), <c>[N, k, n]</c>.</summary>
    public IReadOnlyDictionary<long, Tensor> PerStep { get; }

    /// <summary>The largest per-step gap between Σ_i a_t + decay and ∇f(X)ᵀΔθ_t: round-off when the declared rule is the optimiser's.</summary>
    public double MaxResidual { get; }

    /// <summary>
    /// The first step the declared rule did not explain (residual above <see cref="AttributionTracker.RelativeTolerance"/>
    /// of the step's gross contributions), recorded with <see cref="RuleMismatchPolicy.Record"/>; null when every step
    /// closed. Under the default <see cref="RuleMismatchPolicy.Refuse"/> the recorder throws at that step instead.
    /// </summary>
    public long? FirstMismatch { get; init; }

    /// <summary>
    /// Per probe point (of <paramref name="split"/>) and output, how much the rows' contributions cancel:
    /// <c>attribution_net</c> = Σ_i A(x, z_i) (+ weight decay: f̃_T − f̃_0) and <c>attribution_gross</c> = Σ_i |A(x, z_i)|.
    /// gross ≫ |net| means large contributions that cancel: the rows with the largest |A| are then not the rows whose
    /// removal would change the prediction most (for that, replay: <c>Telescope.Counterfactual</c>).
    /// </summary>
    public IEnumerable<Observation> Cancellation(string split = "test")
    {
        var a = Total.contiguous().data<double>().ToArray();
        var dec = WeightDecay.contiguous().data<double>().ToArray();
        for (int r = 0; r < Count; r++)
        {
            var (s, ex) = Row(r);
            if (s != split)
                continue;
            for (int o = 0; o < Outputs; o++)
            {
                double net = dec[r * Outputs + o],
                    gross = 0;
                for (int i = 0; i < TrainCount; i++)
                {
                    double v = a[(r * Outputs + o) * TrainCount + i];
                    net += v;
                    gross += Math.Abs(v);
                }
                yield return new Observation("attribution_net", net, Steps, s, ex, o);
                yield return new Observation("attribution_gross", gross, Steps, s, ex, o);
            }
        }
    }

    private (string split, int example) Row(int r) =>
        r < TrainCount ? ("train", r) : ("test", r - TrainCount);

    /// <summary>
    /// Tidy rows: <c>attribution</c> (probe split/example/output × <c>train_example</c>, summed over steps, at
    /// step T), <c>attribution_weight_decay</c> when non-zero, <c>direct_label_weight</c> (squared loss) and, for
    /// the kept steps, <c>attribution_step</c> at step t.
    /// </summary>
    public IEnumerable<Observation> ToObservations(bool perStep = true)
    {
        var a = Total.contiguous().data<double>().ToArray();
        var dec = WeightDecay.contiguous().data<double>().ToArray();
        var d = DirectLabelWeights?.contiguous().data<double>().ToArray();
        bool anyDecay = dec.Any(v => v != 0);
        for (int r = 0; r < Count; r++)
        {
            var (split, ex) = Row(r);
            for (int o = 0; o < Outputs; o++)
            {
                for (int i = 0; i < TrainCount; i++)
                    yield return new Observation(
                        "attribution",
                        a[(r * Outputs + o) * TrainCount + i],
                        Steps,
                        split,
                        ex,
                        o
                    ).At("train_example", i);
                if (anyDecay)
                    yield return new Observation(
                        "attribution_weight_decay",
                        dec[r * Outputs + o],
                        Steps,
                        split,
                        ex,
                        o
                    );
            }
            if (d is not null)
                for (int i = 0; i < TrainCount; i++)
                    yield return new Observation(
                        "direct_label_weight",
                        d[r * TrainCount + i],
                        Steps,
                        split,
                        ex,
                        0
                    ).At("train_example", i);
        }
        if (!perStep)
            yield break;
        foreach (var (t, x) in PerStep.OrderBy(kv => kv.Key))
        {
            var v = x.contiguous().data<double>().ToArray();
            for (int r = 0; r < Count; r++)
            {
                var (split, ex) = Row(r);
                for (int o = 0; o < Outputs; o++)
                for (int i = 0; i < TrainCount; i++)
                {
                    double val = v[(r * Outputs + o) * TrainCount + i];
                    if (val != 0)
                        yield return new Observation("attribution_step", val, t, split, ex, o).At(
                            "train_example",
                            i
                        );
                }
            }
        }
    }

    /// <summary>
    /// The top <paramref name="k"/> training rows per probe point of <paramref name="split"/> (and output), by |A|:
    /// rows <c>attribution_top</c> with columns <c>rank</c> (1 = largest) and <c>train_example</c>, value A(x, z_i).
    /// </summary>
    public IEnumerable<Observation> TopK(int k, string split = "test")
    {
        var a = Total.contiguous().data<double>().ToArray();
        for (int r = 0; r < Count; r++)
        {
            var (s, ex) = Row(r);
            if (s != split)
                continue;
            for (int o = 0; o < Outputs; o++)
            {
                int rank = 0;
                foreach (
                    var i in Enumerable
                        .Range(0, TrainCount)
                        .OrderByDescending(i => Math.Abs(a[(r * Outputs + o) * TrainCount + i]))
                        .ThenBy(i => i)
                        .Take(k)
                )
                    yield return new Observation(
                        "attribution_top",
                        a[(r * Outputs + o) * TrainCount + i],
                        Steps,
                        s,
                        ex,
                        o
                    )
                        .At("rank", ++rank)
                        .At("train_example", i);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Total.Dispose();
        WeightDecay.Dispose();
        DirectLabelWeights?.Dispose();
        foreach (var t in PerStep.Values)
            t.Dispose();
    }
}
