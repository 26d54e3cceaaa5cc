using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// A score table <c>score[test, train]</c> over the run's test rows and a list of candidate training rows.
/// Sign convention for every provider: positive means that <em>including</em> the training row raised the probe
/// measurement f(x) (the true-class logit); the unit is that of f(x) (logits) for providers that estimate an effect
/// (<c>exact-A</c>, <c>loo</c>, TracInCP and grad-dot with their step scale), as stated in <see cref="Unit"/>.
/// </summary>
/// <param name="Provider">Provider name (<c>exact-A</c>, <c>tracin-cp-3</c>, <c>grad-dot</c>, <c>loo</c>, …).</param>
/// <param name="Unit">What one unit of a score is.</param>
/// <param name="Candidates">The training rows (columns).</param>
/// <param name="Scores">[test, candidate].</param>
/// <param name="ClosureResidual">For additive decompositions (exact-A): the relative gap of Σ_i score + rest against f̃_T − f̃_0; NaN for providers that are not decompositions.</param>
public sealed record ScoreTable(
    string Provider,
    string Unit,
    IReadOnlyList<int> Candidates,
    double[,] Scores,
    double ClosureResidual
)
{
    /// <summary>Test rows.</summary>
    public int Tests => Scores.GetLength(0);

    /// <summary>Candidate training rows.</summary>
    public int Rows => Scores.GetLength(1);

    /// <summary>Row x of the table.</summary>
    public double[] Row(int x) => Enumerable.Range(0, Rows).Select(i => Scores[x, i]).ToArray();

    /// <summary>For providers solved iteratively (the influence function's CG): the most iterations a test row took; null otherwise.</summary>
    public int? SolverIterations { get; init; }

    /// <summary>Row-major copy (for .npy).</summary>
    public double[] Flat() => Scores.Cast<double>().ToArray();
}

/// <summary>The curvature matrix C of the influence function's solve <c>(C + λI)u = ∇f(x)</c>.</summary>
public enum InfluenceCurvature
{
    /// <summary>The generalised Gauss–Newton matrix <c>(1/n) Σ_j J_jᵀ H_j J_j</c> (positive semi-definite).</summary>
    GaussNewton,

    /// <summary>The Hessian of the mean training loss (indefinite away from a minimum).</summary>
    Hessian,

    /// <summary>
    /// The eigenvalue-corrected Kronecker-factored approximation of the Gauss–Newton matrix (EK-FAC; George et al. 2018,
    /// Kronfluence's influence baseline): block-diagonal over Dense layers, <c>(Q_S ⊗ Q_A) diag(Λ*) (Q_S ⊗ Q_A)ᵀ</c> per
    /// layer, Q_A and Q_S the eigenvectors of the layer inputs' and back-propagated output-Hessian factors' second
    /// moments, Λ* the exact diagonal of G's block in that basis; solved in closed form. MLPs only.
    /// </summary>
    EKFac,
}

/// <summary>The providers of issue 27 for one <see cref="ReplayableRun"/>.</summary>
public static class ScoreProviders
{
    /// <summary>Unit of the effect-scaled providers.</summary>
    public const string LogitUnit = "true-class logit";

    /// <summary>(a) The exact every-step attribution A(x, z_i) (needs candidates at <see cref="ReplayableRun.Record"/>).</summary>
    public static ScoreTable Exact(ReplayableRun run)
    {
        var a = run.Attribution
            ?? throw new InvalidOperationException(
                "the run was recorded without candidate rows: pass candidates to ReplayableRun.Record"
            );
        return new ScoreTable("exact-A", LogitUnit, a.Candidates, a.Scores, a.ClosureResidual);
    }

    /// <summary>The checkpoint steps of TracInCP with k checkpoints over T steps: <c>s_c = round(c·T/k)</c>, c = 1..k.</summary>
    public static long[] TracInSteps(long steps, int k) =>
        Enumerable
            .Range(1, k)
            .Select(c => (long)Math.Round((double)c * steps / k))
            .Distinct()
            .ToArray();

    /// <summary>
    /// (b) TracInCP from k checkpoints (Pruthi et al. 2020, with ∇f(x) for the test side):
    /// <c>τ(x, z) = −Σ_{c=1..k} (γ_{s_c} E / (b k)) ∇f_{θ_{s_c}}(x)ᵀ∇ℓ(z; θ_{s_c})</c> at the steps of
    /// <see cref="TracInSteps"/> — E/k visits of z per checkpoint at rate γ/b, so that with plain SGD and a slowly
    /// moving θ it approximates exact-A. The run must have kept θ at those steps.
    /// </summary>
    public static ScoreTable TracIn(ReplayableRun run, IReadOnlyList<int> candidates, int k)
    {
        var s = run.Setup;
        var steps = TracInSteps(s.Steps, k);
        double scale = (double)s.Epochs / (Math.Min(s.Batch, s.Train.Count) * steps.Length);
        var scores = new double[s.Test.Count, candidates.Count];
        foreach (var t in steps)
            Accumulate(run, run.SnapshotAt(t), candidates, -run.Rates[(int)t - 1] * scale, scores);
        return new ScoreTable($"tracin-cp-{k}", LogitUnit, candidates, scores, double.NaN);
    }

    /// <summary>
    /// (d) The gradient dot product at θ_T: <c>τ(x, z) = −(γ_T E / b) ∇f_{θ_T}(x)ᵀ∇ℓ(z; θ_T)</c> (ranks as TracInCP
    /// with k = 1, whose checkpoint is T). The run must have kept θ_T.
    /// </summary>
    public static ScoreTable GradDot(ReplayableRun run, IReadOnlyList<int> candidates)
    {
        var s = run.Setup;
        var scores = new double[s.Test.Count, candidates.Count];
        Accumulate(
            run,
            run.SnapshotAt(s.Steps),
            candidates,
            -run.Rates[^1] * s.Epochs / Math.Min(s.Batch, s.Train.Count),
            scores
        );
        return new ScoreTable("grad-dot", LogitUnit, candidates, scores, double.NaN);
    }

    /// <summary>
    /// (e) Exact leave-one-out by replay: <c>LOO(x, z_i) = f_T(x) − f_T^{−i}(x)</c>, one replay per candidate (mask
    /// semantics of <see cref="ReplayableRun"/>), through <paramref name="engine"/>.
    /// </summary>
    public static ScoreTable LeaveOneOut(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        IReplayEngine? engine = null,
        Action<int>? progress = null,
        CancellationToken cancel = default
    )
    {
        engine ??= new SequentialReplays();
        var removals = candidates.Select(i => (IReadOnlySet<int>)new HashSet<int> { i }).ToList();
        var f = engine.Run(run, removals, progress, cancel);
        var scores = new double[run.Setup.Test.Count, candidates.Count];
        for (int i = 0; i < candidates.Count; i++)
        for (int x = 0; x < scores.GetLength(0); x++)
            scores[x, i] = run.Final[x] - f[i][x];
        return new ScoreTable("loo", LogitUnit, candidates, scores, double.NaN);
    }

    /// <summary>The removed weight ε of <see cref="LinearResponse"/> by default: 1, the whole row (the LOO it estimates).</summary>
    public const double LinearResponseWeight = 1;

    /// <summary>Whether <see cref="LinearResponse"/> accepts the optimiser: its update must be linear in the gradient (not Adam/AdamW, whose step divides by φ_t(G)).</summary>
    public static bool LinearResponseApplies(Optim.OptimizerSpec o) =>
        o.Kind is not (Optim.OptimizerKind.Adam or Optim.OptimizerKind.AdamW);

    /// <summary>
    /// The curvature of <see cref="InfluenceFunction"/> by default on a network EK-FAC supports (Dense and pointwise
    /// activation layers; <see cref="InfluenceCurvatureFor(IReadOnlyList{Models.ILayer})"/>): the EK-FAC approximation
    /// of the Gauss–Newton matrix, Kronfluence's influence baseline, solved in closed form (the exact Gauss–Newton
    /// matrix by CG costs one CG run per test row, each iteration two passes over all n rows). Other networks use
    /// the exact Gauss–Newton matrix by CG (positive semi-definite, so G + λI is positive definite for every λ &gt; 0
    /// and CG converges). The Hessian of a trained network has negative eigenvalues, and CG on H + λI with a small λ
    /// stops at the first direction of negative curvature.
    /// </summary>
    public const InfluenceCurvature InfluenceCurvatureDefault = InfluenceCurvature.EKFac;

    /// <summary>The curvature <see cref="InfluenceFunction"/> uses by default for a network of <paramref name="layers"/>: <see cref="InfluenceCurvatureDefault"/> (EK-FAC) when it supports them, else the exact Gauss–Newton matrix.</summary>
    public static InfluenceCurvature InfluenceCurvatureFor(IReadOnlyList<Models.ILayer> layers) =>
        EKFac.Unsupported(layers) is null
            ? InfluenceCurvatureDefault
            : InfluenceCurvature.GaussNewton;

    /// <summary>The curvature <see cref="InfluenceFunction"/> uses by default for the network of <paramref name="setup"/>.</summary>
    public static InfluenceCurvature InfluenceCurvatureFor(ReplaySetup setup) =>
        InfluenceCurvatureFor(
            setup.Model.Layers(setup.Train.Shape, setup.Train.Outputs, setup.Seed)
        );

    /// <summary>The damping λ of <see cref="InfluenceFunction"/> by default (in units of the mean loss's curvature).</summary>
    public const double InfluenceDamping = 0.01;

    /// <summary>Conjugate-gradient iterations of <see cref="InfluenceFunction"/> at most, per test row.</summary>
    public const int InfluenceIterations = 2000;

    /// <summary>The short word of a curvature, as users type it: <c>ekfac</c>, <c>ggn</c>, <c>hessian</c>.</summary>
    public static string InfluenceWord(InfluenceCurvature c) =>
        c switch
        {
            InfluenceCurvature.GaussNewton => "ggn",
            InfluenceCurvature.EKFac => "ekfac",
            _ => "hessian",
        };

    /// <summary>The provider name of the influence function with a curvature: <c>influence-ekfac</c>, <c>influence-ggn</c>, <c>influence-hessian</c>.</summary>
    public static string InfluenceName(InfluenceCurvature c) => "influence-" + InfluenceWord(c);

    /// <summary>Relative residual <c>‖(H + λI)u − ∇f‖/‖∇f‖</c> at which <see cref="InfluenceFunction"/>'s CG stops.</summary>
    public const double InfluenceTolerance = 1e-10;

    /// <summary>
    /// (c) Linear response by replaying the perturbation: with row z_i given weight 1 − ε in every batch that holds it
    /// (batch loss <c>Σ_j w_j ℓ_j / Σ_j w_j</c>, the replay's mask semantics at ε = 1), the change of θ is propagated
    /// through the recorded steps to first order in δθ but exactly in the removal:
    /// <c>δθ_t = δθ_{t−1} + Δ_t(δG_t, δθ_{t−1})</c>, <c>δG_t = H^ε_t δθ_{t−1} + (G^ε_t − G_t)(θ_{t−1})</c>, with
    /// <c>H^ε_t = (b H_t − ε H_{t,i})/(b − ε)</c> and <c>G^ε_t − G_t = ε(Ḡ_t − g_i)/(b − ε)</c> at steps whose batch
    /// holds i (else <c>H^ε_t = H_t</c>, no forcing), H_t the Hessian of the batch's mean loss at θ_{t−1} applied by
    /// exact Hessian–vector products (double backward), Δ_t the optimiser's linear update operator (SGD, momentum,
    /// Nesterov, EMA; Adam/AdamW are refused: their step is not linear in the gradient). Score
    /// <c>τ(x, z_i) = −∇f_{θ_T}(x)ᵀδθ_T / ε</c>, the effect of the whole row per unit weight (ε = 0: the derivative,
    /// the limit). Exact for a model linear in θ with squared loss (then it is LOO at ε = 1). Cost: per candidate one
    /// HVP per step after its first use, columns propagated in chunks alongside one re-run of the training; for an MLP
    /// (Dense and pointwise activations) a chunk's HVPs are one batched forward-over-reverse pass per step (same H,
    /// equal to the per-column double backward to round-off), else one double backward per column.
    /// With <paramref name="curvature"/> false the H terms are dropped (<c>δθ_T = Σ_t Δ_t(forcing_t)</c>, the first-order
    /// sum of the row's own gradient terms): the control that shows what the curvature carries.
    /// <paramref name="products"/>: how H_t is applied to a chunk's columns (same scores to round-off; see
    /// <see cref="HessianProducts"/>).
    /// </summary>
    public static ScoreTable LinearResponse(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        double weight = LinearResponseWeight,
        bool curvature = true,
        CancellationToken cancel = default,
        HessianProducts products = HessianProducts.Batched
    ) => Influence.LinearResponse(run, candidates, weight, !curvature, cancel, products);

    /// <summary>
    /// (d) The influence function at θ_T (Koh &amp; Liang 2017, damped):
    /// <c>τ(x, z_i) = −∇f_{θ_T}(x)ᵀ(C + λI)⁻¹∇ℓ(z_i; θ_T)/n</c>, C the curvature of the mean training loss over all n
    /// rows at θ_T — the EK-FAC approximation Ĝ of the Gauss–Newton matrix (<see cref="InfluenceCurvature.EKFac"/>,
    /// solved in closed form for all test rows at once), the Gauss–Newton matrix <c>G = (1/n) Σ_j J_jᵀ H_j J_j</c>
    /// (exact products J v then Jᵀ(H J v)) or the Hessian (exact Hessian–vector products), the last two by conjugate
    /// gradients, one per test row. <paramref name="curvature"/> null: <see cref="InfluenceCurvatureFor(ReplaySetup)"/>
    /// (EK-FAC for an MLP, else the Gauss–Newton matrix). Provider name <see cref="InfluenceName"/> (the curvature
    /// is part of it). Its <see cref="ScoreTable.ClosureResidual"/> is the largest relative residual
    /// <c>‖(C + λI)u − ∇f(x)‖/‖∇f(x)‖</c> over test rows (CG: large when C + λI is not positive definite or the
    /// iterations ran out; EK-FAC: round-off). <paramref name="maxIterations"/> and <paramref name="tolerance"/> are CG's.
    /// </summary>
    public static ScoreTable InfluenceFunction(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        double damping = InfluenceDamping,
        int maxIterations = InfluenceIterations,
        double tolerance = InfluenceTolerance,
        CancellationToken cancel = default,
        InfluenceCurvature? curvature = null
    ) =>
        Influence.InfluenceFunction(
            run,
            candidates,
            curvature ?? InfluenceCurvatureFor(run.Setup),
            damping,
            maxIterations,
            tolerance,
            cancel
        );

    private static void Accumulate(
        ReplayableRun run,
        IReadOnlyList<Tensor> thetaCpu,
        IReadOnlyList<int> candidates,
        double factor,
        double[,] scores
    )
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        using var c = new ReplayableRun.Trainer(run.Setup);
        var theta = thetaCpu.Select(t => t.to(c.Net.DType)).ToArray();
        int m = run.Setup.Test.Count;
        Tensor Flat(Tensor[] g, long rows) =>
            torch.cat(g.Select(x => x.reshape(rows, -1)).ToArray(), 1).to_type(ScalarType.Float64);
        var j = Flat(PerExampleGradients.Of(c.Net, c.XTest, c.TestSelect, theta), m); // [m, P]
        const int chunk = 64;
        for (int start = 0; start < candidates.Count; start += chunk)
        {
            using var inner = torch.NewDisposeScope();
            var part = candidates.Skip(start).Take(chunk).ToArray();
            var idx = HostArrays.Indices(part);
            var xb = c.XTrain.index_select(0, idx);
            var r = Loss.OutputGradient(
                run.Setup.Loss,
                c.Net.Forward(xb, theta),
                c.YTrain.index_select(0, idx),
                c.LTrain.index_select(0, idx)
            );
            var g = Flat(PerExampleGradients.Of(c.Net, xb, r, theta), part.Length); // [chunk, P]
            var d = j.matmul(g.t()).contiguous().data<double>().ToArray(); // [m, chunk]
            for (int x = 0; x < m; x++)
            for (int q = 0; q < part.Length; q++)
                scores[x, start + q] += factor * d[x * part.Length + q];
        }
    }
}

/// <summary>
/// How <see cref="ScoreProviders.LinearResponse"/> applies the batch Hessian H_t to a chunk's columns U (the same
/// exact H, so the same scores to round-off).
/// </summary>
public enum HessianProducts
{
    /// <summary>
    /// For an MLP of Dense and pointwise activation layers, all live columns in one forward-over-reverse pass per step
    /// (primal once, the tangents batched: wide GEMMs); other networks fall back to <see cref="PerColumn"/>.
    /// </summary>
    Batched,

    /// <summary>One double backward <c>∇_θ(∇L(θ)ᵀu)</c> per column per step (the oracle and the baseline).</summary>
    PerColumn,
}
