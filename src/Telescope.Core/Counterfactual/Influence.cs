using Telescope.Models;
using Telescope.Optim;
using Telescope.Tangents;
using Telescope.Tensors;
using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// The mean training loss <c>L(θ) = (1/|S|) Σ_{j∈S} ℓ(z_j; θ)</c> of a set of rows S at one point θ, with its gradient
/// kept as a graph so that exact Hessian–vector products <c>H v = ∇_θ(∇L(θ)ᵀv)</c> (double backward) reuse it. Tensors
/// live in the caller's dispose scope.
/// </summary>
internal sealed class LossHessian
{
    private readonly Tensor[] _theta;
    private readonly Tensor _g;

    /// <summary>∇L(θ), flattened, detached <c>[P]</c>.</summary>
    public Tensor Gradient { get; }

    public LossHessian(ReplayableRun.Trainer c, IReadOnlyList<Tensor> at, int[] rows)
    {
        _theta = at.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        using var enable = torch.enable_grad();
        var idx = HostArrays.Indices(rows);
        var f = c.Net.Forward(c.XTrain.index_select(0, idx), _theta);
        var loss = Loss.Compute(
            c.S.Loss,
            f,
            c.YTrain.index_select(0, idx),
            c.LTrain.index_select(0, idx)
        );
        var g = torch.autograd.grad(
            [loss],
            _theta,
            retain_graph: true,
            create_graph: true,
            allow_unused: true
        );
        _g = torch.cat(
            g.Select((x, i) => (x ?? torch.zeros_like(_theta[i])).reshape(-1)).ToArray()
        );
        Gradient = _g.detach();
    }

    /// <summary>H v for v <c>[P]</c> (exact; the graph is kept for the next product).</summary>
    public Tensor Apply(Tensor v)
    {
        if (!_g.requires_grad) // a loss whose gradient does not depend on θ: H = 0
            return torch.zeros_like(v);
        using var enable = torch.enable_grad();
        var s = _g.dot(v.detach());
        var hv = torch.autograd.grad([s], _theta, retain_graph: true, allow_unused: true);
        return torch.cat(
            hv.Select((x, i) => (x ?? torch.zeros_like(_theta[i])).reshape(-1)).ToArray()
        );
    }
}

/// <summary>
/// The generalised Gauss–Newton matrix of the mean training loss of a set of rows S at one point θ,
/// <c>G = (1/|S|) Σ_{j∈S} J_jᵀ H_j J_j</c>, J_j = ∂f(x_j)/∂θ <c>[k, P]</c>, H_j the output Hessian of the loss
/// (<see cref="Loss.OutputHessianTimes"/>: positive semi-definite, so G is), applied exactly without forming J:
/// <c>J v</c> by the double-backward trick (<c>J v = ∂/∂u [(Jᵀu)ᵀv]</c>, Jᵀu linear in u), then H, then the
/// vector–Jacobian product <c>Jᵀ(H J v)</c>. Drops the Hessian's second term Σ_j Σ_c (∂ℓ_j/∂f_c) ∇²f_c, the one
/// that can be indefinite. Tensors live in the caller's dispose scope.
/// </summary>
internal sealed class GaussNewton
{
    private readonly Tensor[] _theta;
    private readonly Tensor _f;
    private readonly Tensor _fDetached;
    private readonly Tensor _u;
    private readonly Tensor _jtu;
    private readonly LossKind _loss;
    private readonly double _rows;

    public GaussNewton(ReplayableRun.Trainer c, IReadOnlyList<Tensor> at, int[] rows)
    {
        _theta = at.Select(t => t.detach().clone().requires_grad_(true)).ToArray();
        _loss = c.S.Loss;
        _rows = rows.Length;
        using var enable = torch.enable_grad();
        var idx = HostArrays.Indices(rows);
        _f = c.Net.Forward(c.XTrain.index_select(0, idx), _theta);
        _fDetached = _f.detach();
        _u = torch.zeros_like(_fDetached).requires_grad_(true);
        var g = torch.autograd.grad(
            [_f.mul(_u).sum()],
            _theta,
            retain_graph: true,
            create_graph: true,
            allow_unused: true
        );
        _jtu = torch.cat(
            g.Select((x, i) => (x ?? torch.zeros_like(_theta[i])).reshape(-1)).ToArray()
        );
    }

    /// <summary>G v for v <c>[P]</c> (exact; the graphs are kept for the next product).</summary>
    public Tensor Apply(Tensor v)
    {
        using var enable = torch.enable_grad();
        if (!_jtu.requires_grad) // f does not depend on θ
            return torch.zeros_like(v);
        var jv = torch.autograd.grad([_jtu.dot(v.detach())], [_u], retain_graph: true)[0]; // [|S|, k]
        var hjv = Loss.OutputHessianTimes(_loss, _fDetached, jv.detach()).Times(1.0 / _rows);
        var gv = torch.autograd.grad(
            [_f.mul(hjv).sum()],
            _theta,
            retain_graph: true,
            allow_unused: true
        );
        return torch.cat(
            gv.Select((x, i) => (x ?? torch.zeros_like(_theta[i])).reshape(-1)).ToArray()
        );
    }
}

/// <summary>
/// Providers (c) and (d) of issue 27: the linear response of θ_T to removing a training row, propagated through the
/// recorded steps with exact Hessian–vector products, and the classical influence function at θ_T.
/// </summary>
internal static class Influence
{
    /// <summary>Candidate columns propagated together (memory P·c doubles per chunk).</summary>
    private const int Chunk = 32;

    internal static void CheckCandidates(ReplaySetup s, IReadOnlyList<int> candidates)
    {
        var seen = new HashSet<int>();
        foreach (var i in candidates)
        {
            if (i < 0 || i >= s.Train.Count)
                throw new ArgumentOutOfRangeException(
                    nameof(candidates),
                    $"candidate row {i} outside 0..{s.Train.Count - 1}"
                );
            if (!seen.Add(i))
                throw new ArgumentException($"candidate row {i} listed twice");
        }
    }

    private static Tensor Flat(Tensor[] g, long rows) =>
        torch.cat(g.Select(x => x.reshape(rows, -1)).ToArray(), 1).to_type(ScalarType.Float64);

    /// <summary>∇f(x) per test row at θ, <c>[m, P]</c>.</summary>
    internal static Tensor ProbeGradients(ReplayableRun.Trainer c, IReadOnlyList<Tensor> theta)
    {
        using var noGrad = torch.no_grad();
        return Flat(PerExampleGradients.Of(c.Net, c.XTest, c.TestSelect, theta), c.S.Test.Count);
    }

    /// <summary>
    /// See <see cref="ScoreProviders.LinearResponse"/>; <paramref name="dropHessian"/> is the tests' must-fail control.
    /// <paramref name="products"/> picks how <c>H_t U</c> is applied to the chunk's columns (the tests and the bench force
    /// the per-column oracle); <paramref name="dropActivationCurvature"/> drops φ″ from the batched products (the tests'
    /// must-fail control).
    /// </summary>
    public static ScoreTable LinearResponse(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        double weight,
        bool dropHessian,
        CancellationToken cancel,
        HessianProducts products = HessianProducts.Batched,
        bool dropActivationCurvature = false
    )
    {
        var s = run.Setup;
        if (!ScoreProviders.LinearResponseApplies(s.Optimizer))
            throw new ArgumentException(
                $"linear response needs an update linear in the gradient (sgd, momentum, nesterov, ema); {s.Optimizer.Name}'s step divides by φ_t, a function of the gradient itself"
            );
        if (!(weight >= 0 && weight <= 1))
            throw new ArgumentOutOfRangeException(
                nameof(weight),
                $"the removed weight ε must be in [0, 1], got {weight}"
            );
        CheckCandidates(s, candidates);
        var scores = new double[s.Test.Count, candidates.Count];
        // columns in order of first use, so that a chunk starts late when its rows are first used late
        var order = Enumerable
            .Range(0, candidates.Count)
            .OrderBy(k => run.FirstTouch(candidates[k]))
            .ToArray();
        foreach (var part in order.Chunk(Chunk))
        {
            cancel.ThrowIfCancellationRequested();
            var rows = part.Select(k => candidates[k]).ToArray();
            var u = PropagateChunk(
                run,
                rows,
                weight,
                dropHessian,
                products,
                dropActivationCurvature,
                cancel
            );
            for (int x = 0; x < s.Test.Count; x++)
            for (int q = 0; q < part.Length; q++)
                scores[x, part[q]] = u[x, q];
        }
        string name =
            (dropHessian ? "first-order-response" : "linear-response")
            + (weight == 1 ? "" : FormattableString.Invariant($"-eps{weight:G3}"));
        return new ScoreTable(name, ScoreProviders.LogitUnit, candidates, scores, double.NaN);
    }

    private static double[,] PropagateChunk(
        ReplayableRun run,
        int[] rows,
        double eps,
        bool dropHessian,
        HessianProducts products,
        bool dropActivationCurvature,
        CancellationToken cancel
    )
    {
        var s = run.Setup;
        using var scope = torch.NewDisposeScope();
        using var c = new ReplayableRun.Trainer(s);
        int first = rows.Min(run.FirstTouch);
        int m = s.Test.Count;
        var result = new double[m, rows.Length];
        if (first == int.MaxValue)
            return result; // no row of the chunk is ever used: removing them changes nothing
        bool batched = products != HessianProducts.PerColumn && BatchedHessian.Applies(c.Net);
        var cp = run.CheckpointBefore(first);
        c.Load(cp);
        long p = c.Net.ParameterCount;
        var u = torch.zeros([rows.Length, p], dtype: ScalarType.Float64); // δθ/ε per candidate, one row each
        var op = new UpdateOperator(s.Optimizer);
        var col = rows.Select((r, q) => (r, q)).ToDictionary(x => x.r, x => x.q);
        for (long t = cp.Step + 1; t <= s.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var step = torch.NewDisposeScope();
            var batch = run.Schedule[(int)t - 1];
            int b = batch.Length;
            var at = c.Net.Parameters.Select(x => x.detach()).ToArray();
            // the batch's LossHessian only when a chunk row is in the batch (its gradient is the forcing) or per column
            bool touched = batch.Any(col.ContainsKey);
            var h = touched || !batched ? new LossHessian(c, at, batch) : null;
            // candidates whose δθ is not zero yet (first used before this step)
            var live = Enumerable
                .Range(0, rows.Length)
                .Where(q => run.FirstTouch(rows[q]) < t)
                .ToArray();
            Tensor dg; // H_t δθ per candidate row, then the forcing
            if (dropHessian || live.Length == 0)
                dg = torch.zeros_like(u);
            else if (batched)
            {
                var bh = new BatchedHessian(c, at, batch, !dropActivationCurvature);
                if (live.Length == rows.Length)
                    dg = bh.Apply(u);
                else
                {
                    var idx = HostArrays.Indices(live);
                    dg = torch.zeros_like(u).index_copy_(0, idx, bh.Apply(u.index_select(0, idx)));
                }
            }
            else
            {
                dg = torch.zeros_like(u);
                foreach (var q in live)
                    dg.select(0, q).copy_(h!.Apply(u.select(0, q)));
            }
            foreach (var i in batch)
            {
                if (!col.TryGetValue(i, out int q))
                    continue;
                // the replay's batch loss Σ_j w_j ℓ_j / Σ_j w_j with w_i = 1 − ε: G^ε − G = ε(Ḡ − g_i)/(b − ε) and
                // H^ε = (b H − ε H_i)/(b − ε); with b = ε = 1 nothing is left: G^ε = 0, H^ε = 0
                var hi = new LossHessian(c, at, [i]);
                var uq = u.select(0, q);
                if (b - eps <= 0)
                {
                    dg.select(0, q).copy_(h!.Gradient.neg());
                    continue;
                }
                var forcing = h!.Gradient.Minus(hi.Gradient).Times(1.0 / (b - eps));
                Tensor hq = dg.select(0, q);
                if (!dropHessian && run.FirstTouch(i) < t && eps != 0)
                    hq = hq.Times(b).Minus(hi.Apply(uq).Times(eps)).Times(1.0 / (b - eps));
                dg.select(0, q).copy_(hq.Plus(forcing));
            }
            var delta = op.Delta(t, run.Rates[(int)t - 1], dg, u);
            var next = u.Plus(delta);
            next.DetachFromDisposeScope();
            u.Dispose();
            u = next;
            c.Step(batch, null);
        }
        op.Restore(null);
        var theta = c.Net.Parameters.Select(x => x.detach()).ToArray();
        var scores = ProbeGradients(c, theta)
            .matmul(u.t())
            .neg()
            .contiguous()
            .data<double>()
            .ToArray();
        u.Dispose();
        for (int x = 0; x < m; x++)
        for (int q = 0; q < rows.Length; q++)
            result[x, q] = scores[x * rows.Length + q];
        return result;
    }

    /// <summary>See <see cref="ScoreProviders.InfluenceFunction"/>.</summary>
    public static ScoreTable InfluenceFunction(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        InfluenceCurvature curvature,
        double damping,
        int maxIterations,
        double tolerance,
        CancellationToken cancel
    )
    {
        var s = run.Setup;
        if (!(damping >= 0) || double.IsInfinity(damping))
            throw new ArgumentOutOfRangeException(
                nameof(damping),
                $"damping λ must be ≥ 0 and finite, got {damping}"
            );
        if (maxIterations < 1)
            throw new ArgumentOutOfRangeException(
                nameof(maxIterations),
                $"CG iterations must be ≥ 1, got {maxIterations}"
            );
        CheckCandidates(s, candidates);
        if (curvature == InfluenceCurvature.EKFac)
            return EKFac.InfluenceFunction(run, candidates, damping, cancel);
        using var scope = torch.NewDisposeScope();
        using var c = new ReplayableRun.Trainer(s);
        var theta = ParameterVector.Split(run.FinalParameters.to(c.Net.DType), c.Net.Parameters);
        int n = s.Train.Count,
            m = s.Test.Count;
        var all = Enumerable.Range(0, n).ToArray();
        Func<Tensor, Tensor> curv = curvature switch
        {
            InfluenceCurvature.GaussNewton => new GaussNewton(c, theta, all).Apply,
            InfluenceCurvature.Hessian => new LossHessian(c, theta, all).Apply,
            _ => throw new ArgumentOutOfRangeException(
                nameof(curvature),
                $"unknown curvature {curvature}"
            ),
        };
        Tensor A(Tensor v) => curv(v).PlusScaled(v, damping);
        var rhs = ProbeGradients(c, theta).t().contiguous(); // [P, m]
        var (u, residual, iterations) = ConjugateGradient(A, rhs, maxIterations, tolerance, cancel);
        var scores = InfluenceScores(c, theta, candidates, u.t(), n);
        return new ScoreTable(
            ScoreProviders.InfluenceName(curvature),
            ScoreProviders.LogitUnit,
            candidates,
            scores,
            residual
        )
        {
            SolverIterations = iterations,
        };
    }

    /// <summary>
    /// Solve <c>A u_k = b_k</c> for every column of <paramref name="b"/> <c>[P, m]</c> by conjugate gradients (A symmetric,
    /// applied to one vector at a time); a column stops when <c>‖r‖ ≤ tol·‖b‖</c> or its curvature <c>pᵀAp</c> is not
    /// positive. Returns u, the largest true relative residual <c>‖A u − b‖/‖b‖</c> over columns and the most
    /// iterations a column took.
    /// </summary>
    internal static (Tensor u, double residual, int iterations) ConjugateGradient(
        Func<Tensor, Tensor> a,
        Tensor b,
        int maxIterations,
        double tolerance,
        CancellationToken cancel
    )
    {
        long cols = b.shape[1];
        var u = torch.zeros_like(b);
        int most = 0;
        for (long k = 0; k < cols; k++)
        {
            cancel.ThrowIfCancellationRequested();
            using var inner = torch.NewDisposeScope();
            var bk = b.select(1, k);
            double bn = bk.norm().item<double>();
            if (bn == 0)
                continue;
            var x = torch.zeros_like(bk);
            var r = bk.clone();
            var d = r.clone();
            double rs = r.dot(r).item<double>();
            for (int it = 0; it < maxIterations && Math.Sqrt(rs) > tolerance * bn; it++)
            {
                most = Math.Max(most, it + 1);
                var ad = a(d);
                double curv = d.dot(ad).item<double>();
                if (!(curv > 0))
                    break;
                double alpha = rs / curv;
                x = x.PlusScaled(d, alpha);
                r = r.PlusScaled(ad, -alpha);
                double next = r.dot(r).item<double>();
                d = r.PlusScaled(d, next / rs);
                rs = next;
            }
            u.select(1, k).copy_(x);
        }
        double worst = 0;
        for (long k = 0; k < cols; k++)
        {
            using var inner = torch.NewDisposeScope();
            var bk = b.select(1, k);
            double bn = bk.norm().item<double>();
            if (bn == 0)
                continue;
            worst = Math.Max(worst, a(u.select(1, k)).Minus(bk).norm().item<double>() / bn);
        }
        return (u, worst, most);
    }

    /// <summary>
    /// The influence scores <c>τ[x, i] = −u_xᵀ∇ℓ(z_i; θ)/n</c> from the solved <c>u = (C + λI)⁻¹∇f(x)</c> per test row
    /// <c>[m, P]</c>, whatever the curvature C.
    /// </summary>
    internal static double[,] InfluenceScores(
        ReplayableRun.Trainer c,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<int> candidates,
        Tensor u,
        int n
    )
    {
        long m = u.shape[0];
        var g = RowGradients(c, theta, candidates); // [c, P]
        var sc = u.matmul(g.t()).Times(-1.0 / n).contiguous().data<double>().ToArray(); // [m, c]
        var scores = new double[m, candidates.Count];
        for (int x = 0; x < m; x++)
        for (int i = 0; i < candidates.Count; i++)
            scores[x, i] = sc[x * candidates.Count + i];
        return scores;
    }

    /// <summary>∇ℓ(z_i; θ) per candidate row, <c>[c, P]</c>.</summary>
    internal static Tensor RowGradients(
        ReplayableRun.Trainer c,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<int> rows
    )
    {
        using var noGrad = torch.no_grad();
        var parts = new List<Tensor>();
        foreach (var part in rows.Chunk(64))
        {
            var idx = HostArrays.Indices(part);
            var xb = c.XTrain.index_select(0, idx);
            var r = Loss.OutputGradient(
                c.S.Loss,
                c.Net.Forward(xb, theta),
                c.YTrain.index_select(0, idx),
                c.LTrain.index_select(0, idx)
            );
            parts.Add(Flat(PerExampleGradients.Of(c.Net, xb, r, theta), part.Length));
        }
        return torch.cat(parts.ToArray(), 0);
    }
}
