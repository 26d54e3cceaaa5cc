using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// The exact every-step attribution of the probe measurement to c candidate training rows (issue 27 provider a):
/// <c>A(x, z_i) = Σ_t ∇f_{θ_{t−1}}(x)ᵀΔθ_t^{(i)}</c>, with Δθ_t split by the declared update rule (the library's
/// <see cref="UpdateOperator"/>, φ_t from the real optimiser under Adam) into one column per candidate, one for every
/// other training row together (<see cref="Others"/>) and one for the θ_{t−1} terms (<see cref="Decay"/>).
/// Closure: <c>Σ_i A(x, z_i) + Others(x) + Decay(x) = f̃_T(x) − f̃_0(x)</c>, f̃ summing the actual
/// <c>∇f_{θ_{t−1}}(x)ᵀ(θ_t − θ_{t−1})</c>; <see cref="ClosureResidual"/> is the relative gap.
/// </summary>
public sealed record ExactAttribution(
    IReadOnlyList<int> Candidates,
    double[,] Scores,
    double[] Others,
    double[] Decay,
    double[] Telescoped,
    double ClosureResidual,
    double MaxStepResidual,
    long WorstStep
);

/// <summary>Accumulates <see cref="ExactAttribution"/> during <see cref="ReplayableRun.Record"/>; refuses at the first step the declared rule does not explain.</summary>
internal sealed class ExactAttributionTracker : IDisposable
{
    /// <summary>Relative per-step tolerance of <c>|Σ columns − ∇f(x)ᵀΔθ_t|</c> (max over test rows, relative to the gross max_x Σ_columns |·|): the recorder's own (<see cref="Telescoping.AttributionTracker.RelativeTolerance"/>).</summary>
    public double StepTolerance => Telescoping.AttributionTracker.RelativeTolerance(_c.Net.DType);

    private readonly ReplayableRun.Trainer _c;
    private readonly int[] _cand;
    private readonly Dictionary<int, int> _col = new();
    private readonly int _m;
    private readonly bool _stateless;
    private readonly UpdateOperator _op;
    private readonly Tensor _total; // [m, c + 2]
    private readonly Tensor _tel; // [m]
    private double _maxRes;
    private long _worst;

    public ExactAttributionTracker(ReplayableRun.Trainer c, IReadOnlyList<int> candidates)
    {
        _c = c;
        _cand = candidates.ToArray();
        for (int j = 0; j < _cand.Length; j++)
        {
            if (_cand[j] < 0 || _cand[j] >= c.S.Train.Count)
                throw new ArgumentOutOfRangeException(
                    nameof(candidates),
                    $"candidate row {_cand[j]} outside 0..{c.S.Train.Count - 1}"
                );
            if (!_col.TryAdd(_cand[j], j))
                throw new ArgumentException($"candidate row {_cand[j]} listed twice");
        }
        _m = c.S.Test.Count;
        _stateless = c.S.Optimizer.Kind == OptimizerKind.Sgd;
        _op = new UpdateOperator(c.S.Optimizer);
        _total = torch.zeros([_m, _cand.Length + 2], dtype: ScalarType.Float64);
        _total.DetachFromDisposeScope();
        _tel = torch.zeros([_m], dtype: ScalarType.Float64);
        _tel.DetachFromDisposeScope();
    }

    private Tensor Flat(Tensor[] g, long rows) =>
        torch.cat(g.Select(x => x.reshape(rows, -1)).ToArray(), 1).to_type(ScalarType.Float64);

    public void Step(long t, double lr, Tensor[] prev, int[] rows)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var net = _c.Net;
        int b = rows.Length;
        int c = _cand.Length;
        var idx = HostArrays.Indices(rows);
        var xB = _c.XTrain.index_select(0, idx);
        var r = Loss.OutputGradient(
            _c.S.Loss,
            net.Forward(xB, prev),
            _c.YTrain.index_select(0, idx),
            _c.LTrain.index_select(0, idx)
        );
        var g = Flat(PerExampleGradients.Of(net, xB, r, prev), b).Times(1.0 / b); // [b, P]
        var theta = ParameterVector.Flatten(prev).to_type(ScalarType.Float64); // [P]
        long p = theta.shape[0];
        // columns: candidates in the batch (stateless) or all candidates (stateful), then others, then θ
        var inBatch = rows.Select((row, k) => (row, k)).Where(x => _col.ContainsKey(x.row)).ToArray();
        int cols = _stateless ? inBatch.Length : c;
        var G = torch.zeros([p, cols + 2], dtype: ScalarType.Float64);
        var others = g.sum(dim: 0);
        for (int q = 0; q < inBatch.Length; q++)
        {
            var gi = g.select(0, inBatch[q].k);
            G.select(1, _stateless ? q : _col[inBatch[q].row]).copy_(gi);
            others = others.Minus(gi);
        }
        G.select(1, cols).copy_(others);
        Tensor W = G;
        if (_c.S.Optimizer.WeightDecay != 0)
        {
            W = torch.zeros_like(G);
            W.select(1, cols + 1).copy_(theta);
        }
        Tensor? phi = null;
        if (_c.S.Optimizer.Kind is OptimizerKind.Adam or OptimizerKind.AdamW)
            phi = torch
                .cat(_c.Opt.LastInvPhi.Select(x => x!.reshape(-1)).ToArray())
                .to_type(ScalarType.Float64)
                .unsqueeze(1);
        var delta = _op.Delta(t, lr, G, W, phi); // [P, cols + 2]
        var j = Flat(PerExampleGradients.Of(net, _c.XTest, _c.TestSelect, prev), _m); // [m, P]
        var contrib = j.matmul(delta); // [m, cols + 2]
        var actual = ParameterVector
            .Flatten(net.Parameters.Select((q, i) => q.detach().Minus(prev[i])))
            .to_type(ScalarType.Float64);
        var inc = j.matmul(actual); // [m]
        double res = contrib.sum(1).Minus(inc).abs().max().item<double>();
        double scale = Math.Max(contrib.abs().sum(1).max().item<double>(), double.Epsilon); // gross: round-off scales with it
        if (res / scale > _maxRes)
        {
            _maxRes = res / scale;
            _worst = t;
        }
        if (res / scale > StepTolerance)
            throw new RuleMismatchException(t, _c.S.Optimizer.Name, res, scale);
        if (_stateless)
        {
            for (int q = 0; q < inBatch.Length; q++)
                _total.select(1, _col[inBatch[q].row]).PlusInPlace(contrib.select(1, q));
            _total.narrow(1, c, 2).PlusInPlace(contrib.narrow(1, cols, 2));
        }
        else
            _total.PlusInPlace(contrib);
        _tel.PlusInPlace(inc);
    }

    public ExactAttribution Result(double[] final, double[] initial)
    {
        int c = _cand.Length;
        var a = _total.contiguous().data<double>().ToArray();
        var tel = _tel.contiguous().data<double>().ToArray();
        var scores = new double[_m, c];
        var others = new double[_m];
        var decay = new double[_m];
        double gap = 0,
            size = 1e-300;
        for (int x = 0; x < _m; x++)
        {
            double sum = 0;
            for (int i = 0; i < c + 2; i++)
                sum += a[x * (c + 2) + i];
            for (int i = 0; i < c; i++)
                scores[x, i] = a[x * (c + 2) + i];
            others[x] = a[x * (c + 2) + c];
            decay[x] = a[x * (c + 2) + c + 1];
            gap = Math.Max(gap, Math.Abs(sum - tel[x]));
            size = Math.Max(size, Math.Abs(tel[x]));
        }
        return new ExactAttribution(_cand, scores, others, decay, tel, gap / size, _maxRes, _worst);
    }

    public void Dispose()
    {
        _total.Dispose();
        _tel.Dispose();
        _op.Restore(null);
    }
}

/// <summary>
/// Thrown at the step where the declared update rule does not explain the update the optimiser made:
/// <c>max_x |Σ_columns ∇f(x)ᵀΔθ_t^{(col)} − ∇f(x)ᵀ(θ_t − θ_{t−1})|</c> above the tolerance (relative).
/// </summary>
public sealed class RuleMismatchException(long step, string rule, double residual, double scale)
    : InvalidOperationException(
        $"step {step}: the declared update rule '{rule}' does not explain the optimiser's update (attribution residual {residual:G3} against gross step contributions of {scale:G3}, relative {residual / scale:G3}): declare the rule the optimiser applies (momentum declared as plain SGD does this)"
    )
{
    /// <summary>The step t.</summary>
    public long Step { get; } = step;

    /// <summary>The residual relative to the step's increment.</summary>
    public double Relative { get; } = residual / scale;
}
