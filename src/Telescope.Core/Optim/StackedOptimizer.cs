using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Optim;

/// <summary>
/// <see cref="Optimizer"/> for R runs whose parameters are stacked along a leading run dimension (tensors
/// <c>[R, …]</c>), each run with its own <see cref="OptimizerSpec"/> (all of one <see cref="OptimizerKind"/>) and
/// schedule. It is <see cref="Optimizer.Apply"/> and <see cref="UpdateOperator.Delta"/> line by line (SGD with one
/// γ_t for all runs: the fused <c>θ + (−γ_t)G′</c>, a last-bit difference from <c>θ + (−γ_t G′)</c>), with each
/// scalar (γ_t, μ, β₁, β₂, ε, λ and the bias corrections) a per-run factor: a plain scalar when every run has the
/// same value (then each run's arithmetic is the single run's, operation for operation), else a <c>[R, 1, …]</c>
/// tensor (the same products; a fused <c>a + αb</c> becomes <c>a + (αb)</c>, a last-bit difference). State
/// buffers are updated in place where the single-run rule makes a new tensor of the same value.
/// </summary>
public sealed class StackedOptimizer : IDisposable
{
    private readonly OptimizerSpec[] _specs;
    private readonly LearningRateSchedule?[] _schedules;
    private readonly OptimizerKind _kind;
    private readonly bool _decay;
    private readonly Tensor?[] _buffer,
        _v;
    private readonly int _dims;

    /// <summary>Steps taken (t of the last step), the same for every run.</summary>
    public long Step { get; private set; }

    /// <summary>The runs' configurations, in stack order.</summary>
    public IReadOnlyList<OptimizerSpec> Specs => _specs;

    /// <summary>An optimiser for <paramref name="parameterCount"/> stacked tensors of rank <paramref name="rank"/> (run dimension included).</summary>
    public StackedOptimizer(
        IReadOnlyList<OptimizerSpec> specs,
        IReadOnlyList<LearningRateSchedule?> schedules,
        int parameterCount,
        int rank
    )
    {
        if (specs.Count == 0 || specs.Count != schedules.Count)
            throw new ArgumentException("one optimiser and one schedule per run");
        var problems = specs.SelectMany(s => s.Problems()).Distinct().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
        if (specs.Any(s => s.Kind != specs[0].Kind))
            throw new ArgumentException(
                "stacked runs must share the optimiser kind (group them by kind)"
            );
        _specs = specs.ToArray();
        _schedules = schedules.ToArray();
        _kind = specs[0].Kind;
        _decay = specs.Any(s => s.WeightDecay != 0);
        _buffer = new Tensor?[parameterCount];
        _v = new Tensor?[parameterCount];
        _dims = rank;
    }

    /// <summary>γ_t of each run at step t (<see cref="OptimizerSpec.RateAt"/>, then the run's schedule), as <see cref="Optimizer"/> computes it.</summary>
    public double[] RatesAt(long t) =>
        _specs
            .Select((s, r) => _schedules[r] is { } sc ? sc.RateAt(s.RateAt(t), t) : s.RateAt(t))
            .ToArray();

    /// <summary>One step of every run on <paramref name="parameters"/> with gradients <paramref name="gradients"/> (both stacked; the gradients may be overwritten); returns each run's γ_t.</summary>
    public double[] Apply(IReadOnlyList<Tensor> parameters, IReadOnlyList<Tensor> gradients)
    {
        Step++;
        long t = Step;
        var lr = RatesAt(t);
        using var _ = torch.no_grad();
        using var scope = torch.NewDisposeScope();
        var negLr = Factor(lr.Select(x => -x));
        var lambda = Factor(_specs.Select(s => s.WeightDecay));
        var mu = Factor(_specs.Select(s => s.Momentum));
        var beta1 = Factor(_specs.Select(s => s.Beta1));
        var oneMinusBeta1 = Factor(_specs.Select(s => 1 - s.Beta1));
        var beta2 = Factor(_specs.Select(s => s.Beta2));
        var oneMinusBeta2 = Factor(_specs.Select(s => 1 - s.Beta2));
        var eps = Factor(_specs.Select(s => s.Epsilon));
        var bias2 = Factor(_specs.Select(s => Math.Sqrt(1 - Math.Pow(s.Beta2, t))));
        var negLrBias1 = Factor(_specs.Select((s, r) => -lr[r] / (1 - Math.Pow(s.Beta1, t))));
        var lrLambda = Factor(_specs.Select((s, r) => lr[r] * s.WeightDecay));
        for (int i = 0; i < parameters.Count; i++)
        {
            using var step = torch.NewDisposeScope();
            var p = parameters[i];
            var g = gradients[i];
            Tensor? invPhi = null;
            bool adam = _kind is OptimizerKind.Adam or OptimizerKind.AdamW;
            // G′ = G + λθ (coupled L2: every kind but AdamW); Adam's second moment is built from it too
            var gp = _decay && _kind != OptimizerKind.AdamW ? lambda.AddScaled(g, p) : g;
            if (adam)
            {
                if (_v[i] is null)
                    _v[i] = oneMinusBeta2.MulInPlace(gp.mul(gp)).DetachFromDisposeScope();
                else
                    oneMinusBeta2.AddProductInPlace(beta2.MulInPlace(_v[i]!), gp);
                var denom = bias2.DivInPlace(_v[i]!.sqrt());
                invPhi = eps.AddInPlace(denom).reciprocal_();
            }
            if (_kind == OptimizerKind.Sgd && negLr.Scalar is { } c)
            {
                // one γ_t for all runs: θ ← θ + (−γ_t)G′ as one fused pass over the stacked tensor (no δ written
                // and read back: the step is memory-bound); the same sum as θ + (−γ_t G′) up to the last bit
                p.PlusScaledInPlace(gp, c);
                continue;
            }
            Tensor delta;
            switch (_kind)
            {
                case OptimizerKind.Sgd: // −γ_t G′ into G′'s own storage (the gradient is consumed): no new tensor
                    delta = negLr.MulInPlace(gp);
                    break;
                case OptimizerKind.Momentum:
                case OptimizerKind.Nesterov:
                    if (_buffer[i] is null)
                        _buffer[i] = gp.clone().DetachFromDisposeScope();
                    else
                        mu.MulInPlace(_buffer[i]!).PlusInPlace(gp);
                    delta =
                        _kind == OptimizerKind.Momentum
                            ? negLr.Mul(_buffer[i]!)
                            : negLr.MulInPlace(mu.AddScaled(gp, _buffer[i]!));
                    break;
                default: // EMA momentum, Adam, AdamW: m_t = β₁m + (1−β₁)G′
                    if (_buffer[i] is null)
                        _buffer[i] = oneMinusBeta1.Mul(gp).DetachFromDisposeScope();
                    else
                        oneMinusBeta1.AddScaledInPlace(beta1.MulInPlace(_buffer[i]!), gp);
                    delta = adam
                        ? negLrBias1.MulInPlace(_buffer[i]!.mul(invPhi!))
                        : negLrBias1.Mul(_buffer[i]!);
                    if (_kind == OptimizerKind.AdamW && _decay)
                        delta = delta.MinusInPlace(lrLambda.Mul(p));
                    break;
            }
            p.PlusInPlace(delta);
        }
        return lr;
    }

    private Factor Factor(IEnumerable<double> values) => new(values.ToArray(), _dims);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in _buffer)
            b?.Dispose();
        foreach (var v in _v)
            v?.Dispose();
    }
}

/// <summary>
/// A per-run scalar c_r applied to a stacked tensor: a <see cref="Scalar"/> (through <see cref="ScalarSafe"/>) when all
/// runs share it, else a <c>[R, 1, …]</c> tensor made in the caller's dispose scope.
/// </summary>
internal sealed class Factor
{
    private readonly double _c;
    private readonly Tensor? _t;

    public Factor(double[] values, int rank)
    {
        if (values.All(v => v.Equals(values[0])))
            _c = values[0];
        else
            _t = HostArrays.ToTensor(values, [values.Length, .. Enumerable.Repeat(1L, rank - 1)]);
    }

    private Tensor T(Tensor like) => _t!.to(like.dtype);

    /// <summary>c when every run shares it, else null.</summary>
    public double? Scalar => _t is null ? _c : null;

    /// <summary>c·a (new).</summary>
    public Tensor Mul(Tensor a) => _t is null ? a.Times(_c) : a.mul(T(a));

    /// <summary>a ← c·a.</summary>
    public Tensor MulInPlace(Tensor a) => _t is null ? a.TimesInPlace(_c) : a.mul_(T(a));

    /// <summary>a ← a / c.</summary>
    public Tensor DivInPlace(Tensor a) => _t is null ? a.DivideInPlace(_c) : a.div_(T(a));

    /// <summary>a ← a + c.</summary>
    public Tensor AddInPlace(Tensor a) =>
        _t is null ? a.PlusConstInPlace(_c) : a.PlusInPlace(T(a).expand_as(a));

    /// <summary>a + c·b (new).</summary>
    public Tensor AddScaled(Tensor a, Tensor b) =>
        _t is null ? a.PlusScaled(b, _c) : a.Plus(b.mul(T(b)));

    /// <summary>a ← a + c·b.</summary>
    public Tensor AddScaledInPlace(Tensor a, Tensor b) =>
        _t is null ? a.PlusScaledInPlace(b, _c) : a.PlusInPlace(b.mul(T(b)));

    /// <summary>a ← a + c·x⊙x (addcmul's order: (c·x)·x).</summary>
    public Tensor AddProductInPlace(Tensor a, Tensor x) =>
        _t is null ? a.AddProductInPlace(x, x, _c) : a.PlusInPlace(x.mul(T(x)).mul_(x));
}
