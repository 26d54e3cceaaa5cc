using Telescope.Counterfactual;
using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Telescope.Tests;

/// <summary>Providers (c) linear response and (d) influence function of issue 27, against independent computations.</summary>
public class InfluenceTests
{
    private static Dataset Regression(Rng rng, int rows, int d)
    {
        var x = Enumerable.Range(0, rows * d).Select(_ => rng.NextGaussian()).ToArray();
        var t = Enumerable.Range(0, rows).Select(_ => rng.NextGaussian()).ToArray();
        return new Dataset("reg", "test", [d], x, new int[rows], 1, t).Validate();
    }

    private static double MaxAbs(double[,] a) => a.Cast<double>().Max(Math.Abs);

    private static double MaxGap(double[,] a, double[,] b) =>
        Enumerable
            .Range(0, a.GetLength(0))
            .SelectMany(x =>
                Enumerable.Range(0, a.GetLength(1)).Select(i => Math.Abs(a[x, i] - b[x, i]))
            )
            .Max();

    public static TheoryData<string> LinearRules => new() { "sgd", "momentum", "sgd-decay" };

    private static OptimizerSpec Rule(string r) =>
        r switch
        {
            "sgd" => new(OptimizerKind.Sgd, 0.1),
            "sgd-decay" => new(OptimizerKind.Sgd, 0.1, WeightDecay: 0.05),
            _ => new(OptimizerKind.Momentum, 0.05, Momentum: 0.9),
        };

    /// <summary>
    /// A model linear in θ (f = Wx + c) with ½ squared loss has an affine gradient, so propagating δθ linearly through
    /// the recorded mini-batch steps is exact: the linear response at ε = 1 equals LOO by replay to round-off, for
    /// every row (including rows whose batch they share with other candidates, and revisits in later epochs).
    /// Control: without the H term the equality breaks.
    /// </summary>
    [Theory]
    [MemberData(nameof(LinearRules))]
    public void LinearResponseOnAModelLinearInThetaIsLeaveOneOut(string rule)
    {
        var rng = new Rng(13, stream: 2);
        var s = new ReplaySetup(
            new ModelSpec(Hidden: []),
            Regression(rng, 14, 3),
            Regression(rng, 5, 3),
            Rule(rule),
            LossKind.Squared,
            4,
            3,
            2,
            CheckpointEvery: 4
        );
        using var run = ReplayableRun.Record(s);
        var cand = Enumerable.Range(0, s.Train.Count).ToArray();
        var loo = ScoreProviders.LeaveOneOut(run, cand);
        var lr = ScoreProviders.LinearResponse(run, cand);
        double scale = MaxAbs(loo.Scores);
        Assert.True(scale > 1e-4, $"LOO is {scale}: the test would be vacuous");
        double gap = MaxGap(lr.Scores, loo.Scores);
        Assert.True(gap <= 1e-10 * scale, $"linear response vs LOO: {gap:G3} against {scale:G3}");
        var control = ScoreProviders.LinearResponse(run, cand, curvature: false);
        Assert.True(
            MaxGap(control.Scores, loo.Scores) > 1e-3 * scale,
            "dropping the Hessian term still matched LOO"
        );
    }

    /// <summary>An MLP trained by SGD or heavy ball with row <c>i</c> weighted 1 − ε, written here from the definitions (per-row −log softmax, weighted batch mean, the update by hand): f_T(x) per test row.</summary>
    private static double[] TrainWeighted(ReplayableRun run, int row, double eps)
    {
        var s = run.Setup;
        using var scope = torch.NewDisposeScope();
        using var net = s.Model.Build(s.Train.Shape, s.Train.Outputs, s.Seed, s.DType, torch.CPU);
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var labels = s.Train.LabelTensor(torch.CPU);
        var velocity = net.Parameters.Select(p => torch.zeros_like(p)).ToArray();
        for (int t = 1; t <= s.Steps; t++)
        {
            using var step = torch.NewDisposeScope();
            var rows = run.Schedule[t - 1];
            var w = torch.tensor(
                rows.Select(i => i == row ? 1 - eps : 1.0).ToArray(),
                dtype: s.DType
            );
            var idx = torch.tensor(rows.Select(i => (long)i).ToArray());
            var logp = net.Forward(x.index_select(0, idx)).log_softmax(1);
            var perRow = logp.gather(1, labels.index_select(0, idx).unsqueeze(1)).squeeze(1).neg();
            var loss = perRow.mul(w).sum().div(w.sum());
            var g = torch.autograd.grad([loss], net.Parameters.Cast<Tensor>().ToArray());
            using var noGrad = torch.no_grad();
            double gamma = s.Optimizer.LearningRate;
            for (int k = 0; k < g.Count; k++)
            {
                var dir = g[k];
                if (s.Optimizer.Kind == OptimizerKind.Momentum)
                {
                    velocity[k] =
                        t == 1 ? g[k].clone() : velocity[k].mul(s.Optimizer.Momentum).add(g[k]);
                    velocity[k].DetachFromDisposeScope();
                    dir = velocity[k];
                }
                net.Parameters[k].sub_(dir.mul(gamma));
            }
        }
        using var ng = torch.no_grad();
        var f = net.Forward(s.Test.Inputs(s.DType, torch.CPU));
        var out_ = f.gather(1, s.Test.LabelTensor(torch.CPU).unsqueeze(1))
            .squeeze(1)
            .contiguous()
            .data<double>()
            .ToArray();
        foreach (var v in velocity)
            v.Dispose();
        return out_;
    }

    public static TheoryData<string> MlpRules => new() { "sgd", "momentum" };

    /// <summary>
    /// On a small tanh MLP (curvature everywhere) the linear response at weight ε and the finite difference
    /// (f_T − f_T^ε)/ε of an independent weighted retraining differ by O(ε): the gap falls about tenfold per decade of ε.
    /// The independent trainer first reproduces the recorded f_T (ε = 0) to 1e-12.
    /// </summary>
    [Theory]
    [MemberData(nameof(MlpRules))]
    public void LinearResponseIsTheSmallWeightLimitOfRemoval(string rule)
    {
        var (train, test) = CounterfactualTests.Task(24, 4, 4, 3, 17);
        var opt =
            rule == "sgd"
                ? new OptimizerSpec(OptimizerKind.Sgd, 0.2)
                : new OptimizerSpec(OptimizerKind.Momentum, 0.05, Momentum: 0.9);
        var s = new ReplaySetup(
            new ModelSpec(Hidden: [6], Activation: ActivationKind.Tanh),
            train,
            test,
            opt,
            LossKind.CrossEntropy,
            6,
            3,
            5,
            CheckpointEvery: 3
        );
        using var run = ReplayableRun.Record(s);
        var mine = TrainWeighted(run, -1, 0);
        for (int x = 0; x < test.Count; x++)
            Assert.True(
                Math.Abs(mine[x] - run.Final[x]) <= 1e-12 * (1 + Math.Abs(run.Final[x])),
                $"independent trainer: {mine[x]:R} vs {run.Final[x]:R}"
            );
        int[] cand = [0, 5, 11];
        var errors = new List<double>();
        foreach (var eps in new[] { 1e-1, 1e-2, 1e-3 })
        {
            var lr = ScoreProviders.LinearResponse(run, cand, eps);
            double scale = MaxAbs(lr.Scores);
            Assert.True(scale > 1e-4, $"the response is {scale}: vacuous");
            double worst = 0;
            for (int q = 0; q < cand.Length; q++)
            {
                var fe = TrainWeighted(run, cand[q], eps);
                for (int x = 0; x < test.Count; x++)
                    worst = Math.Max(
                        worst,
                        Math.Abs((run.Final[x] - fe[x]) / eps - lr.Scores[x, q])
                    );
            }
            errors.Add(worst / scale);
        }
        Assert.True(
            errors[2] < 1e-2,
            $"relative gaps {string.Join(", ", errors.Select(e => e.ToString("G3")))}"
        );
        Assert.True(
            errors[0] / errors[1] > 5 && errors[1] / errors[2] > 5,
            $"not O(ε): relative gaps {string.Join(", ", errors.Select(e => e.ToString("G3")))}"
        );
    }

    [Fact]
    public void LinearResponseRefusesAdamInOneLine()
    {
        var (train, test) = CounterfactualTests.Task(10, 2, 3, 3, 1);
        var s = new ReplaySetup(
            new ModelSpec(Hidden: [3]),
            train,
            test,
            new OptimizerSpec(OptimizerKind.Adam, 0.01),
            LossKind.CrossEntropy,
            5,
            1,
            1
        );
        using var run = ReplayableRun.Record(s);
        var e = Assert.Throws<ArgumentException>(() => ScoreProviders.LinearResponse(run, [0]));
        Assert.Contains("adam", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    /// <summary>The influence tests' run: a tanh MLP (4 hidden units) on 20 rows of 3 classes, SGD at 0.3, batch 5.</summary>
    private static ReplaySetup TanhRunSetup()
    {
        var (train, test) = CounterfactualTests.Task(20, 3, 3, 3, 23);
        return new ReplaySetup(
            new ModelSpec(Hidden: [4], Activation: ActivationKind.Tanh),
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, 0.3),
            LossKind.CrossEntropy,
            5,
            4,
            7
        );
    }

    /// <summary>A fresh network of <paramref name="s"/>'s model holding the flat parameters <paramref name="flat"/>.</summary>
    private static Network NetworkAt(ReplaySetup s, Tensor flat)
    {
        var net = s.Model.Build(s.Train.Shape, s.Train.Outputs, s.Seed, s.DType, torch.CPU);
        using var ng = torch.no_grad();
        long o = 0;
        foreach (var p in net.Parameters)
        {
            p.copy_(flat.narrow(0, o, p.numel()).reshape(p.shape));
            o += p.numel();
        }
        return net;
    }

    /// <summary>
    /// The influence function by CG equals an explicit solve: H built entry by entry by double backward of a loss written
    /// here (mean −log softmax over all n rows), λ above −λ_min(H) so that H + λI is positive definite, gradients by
    /// autograd; τ = −∇f(x)ᵀ(H + λI)⁻¹∇ℓ_i/n. The CG residual (the table's closure residual) is ≤ 1e-10. Control: the
    /// explicit solve at 2λ differs.
    /// </summary>
    [Fact]
    public void InfluenceFunctionMatchesAnExplicitHessianSolve()
    {
        var s = TanhRunSetup();
        using var run = ReplayableRun.Record(s);
        using var scope = torch.NewDisposeScope();
        using var net = NetworkAt(s, run.FinalParameters);
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        Tensor Cat(IList<Tensor> g) => torch.cat(g.Select(t => t.reshape(-1)).ToArray());
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var l = s.Train.LabelTensor(torch.CPU);
        Tensor RowLoss(Tensor xs, Tensor ls) =>
            net.Forward(xs).log_softmax(1).gather(1, ls.unsqueeze(1)).squeeze(1).neg();
        var g = Cat(
            torch.autograd.grad([RowLoss(x, l).mean()], ps, retain_graph: true, create_graph: true)
        );
        long P = g.shape[0];
        var h = torch.stack(
            Enumerable
                .Range(0, (int)P)
                .Select(k => Cat(torch.autograd.grad([g[k]], ps, retain_graph: true)))
                .ToArray()
        );
        Assert.True(
            h.sub(h.t()).abs().max().item<double>() < 1e-12,
            "the explicit Hessian is not symmetric"
        );
        double lmin = torch.linalg.eigvalsh(h).min().item<double>();
        double lambda = Math.Max(0.05, -lmin + 0.05);
        var xt = s.Test.Inputs(s.DType, torch.CPU);
        var lt = s.Test.LabelTensor(torch.CPU);
        var j = torch.stack(
            Enumerable
                .Range(0, s.Test.Count)
                .Select(i =>
                    Cat(
                        torch.autograd.grad(
                            [net.Forward(xt.narrow(0, i, 1))[0, lt[i].item<long>()]],
                            ps
                        )
                    )
                )
                .ToArray()
        );
        int[] cand = [0, 3, 7, 19];
        var gi = torch.stack(
            cand.Select(i =>
                    Cat(
                        torch.autograd.grad(
                            [RowLoss(x.narrow(0, i, 1), l.narrow(0, i, 1)).sum()],
                            ps
                        )
                    )
                )
                .ToArray()
        );
        double[,] Explicit(double lam)
        {
            var a = h.detach().add(torch.eye(P, dtype: ScalarType.Float64).mul(lam));
            var sol = torch.linalg.solve(a, j.detach().t()); // [P, m]
            var sc = sol.t()
                .matmul(gi.detach().t())
                .mul(-1.0 / s.Train.Count)
                .contiguous()
                .data<double>()
                .ToArray();
            var r = new double[s.Test.Count, cand.Length];
            for (int t = 0; t < s.Test.Count; t++)
            for (int i = 0; i < cand.Length; i++)
                r[t, i] = sc[t * cand.Length + i];
            return r;
        }
        var want = Explicit(lambda);
        var got = ScoreProviders.InfluenceFunction(
            run,
            cand,
            lambda,
            200,
            1e-13,
            curvature: InfluenceCurvature.Hessian
        );
        double scale = MaxAbs(want);
        Assert.True(scale > 1e-5, $"influence is {scale}: vacuous");
        Assert.True(
            MaxGap(got.Scores, want) <= 1e-8 * scale,
            $"CG vs explicit: {MaxGap(got.Scores, want):G3} against {scale:G3}"
        );
        Assert.True(got.ClosureResidual <= 1e-10, $"CG residual {got.ClosureResidual:G3}");
        Assert.True(
            MaxGap(got.Scores, Explicit(2 * lambda)) > 1e-4 * scale,
            "the solve at 2λ matched too: the test does not see λ"
        );
    }

    /// <summary>
    /// The Gauss–Newton influence function by CG equals a dense solve built here independently: the
    /// explicit Jacobian J_j = ∂f(x_j)/∂θ of every training row (one autograd backward per output), the softmax
    /// cross-entropy's output Hessian diag p − ppᵀ written out from the logits, <c>G = (1/n) Σ_j J_jᵀ H_j J_j</c>
    /// assembled and solved with MathNet (LU of G + λI) at the library's λ — to 1e-8 relative, with a CG residual
    /// ≤ 1e-10. Controls: the same point's Hessian has an eigenvalue below −λ (so H + λI is indefinite), and CG on
    /// H + λI there does not solve (residual &gt; 1e-6) — why the Gauss–Newton matrix is the default; and the dense
    /// solve at 2λ differs (the test sees λ).
    /// </summary>
    [Fact]
    public void GaussNewtonInfluenceMatchesADenseSolveFromAnExplicitJacobian()
    {
        var s = TanhRunSetup();
        using var run = ReplayableRun.Record(s);
        using var scope = torch.NewDisposeScope();
        using var net = NetworkAt(s, run.FinalParameters);
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        double[] Cat(IList<Tensor> g) =>
            torch.cat(g.Select(t => t.reshape(-1)).ToArray()).data<double>().ToArray();
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var l = s.Train.LabelTensor(torch.CPU);
        int n = s.Train.Count,
            k = 3;
        var f = net.Forward(x);
        int P = (int)ps.Sum(t => t.numel());
        var M = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build;
        var V = MathNet.Numerics.LinearAlgebra.Vector<double>.Build;
        var g = M.Dense(P, P);
        var logits = f.detach().contiguous().data<double>().ToArray();
        for (int j = 0; j < n; j++)
        {
            var jac = M.Dense(k, P);
            for (int c = 0; c < k; c++)
                jac.SetRow(c, Cat(torch.autograd.grad([f[j, c]], ps, retain_graph: true)));
            double mx = Enumerable.Range(0, k).Max(c => logits[j * k + c]);
            var e = Enumerable.Range(0, k).Select(c => Math.Exp(logits[j * k + c] - mx)).ToArray();
            var pr = V.DenseOfArray(e.Select(v => v / e.Sum()).ToArray());
            var h = M.DenseOfDiagonalVector(pr) - pr.OuterProduct(pr);
            g += jac.Transpose() * h * jac / n;
        }
        int[] cand = [0, 3, 7, 19];
        var (testRows, candRows) = ExplicitRowGradients(s, net, cand);
        var jt = M.DenseOfRowArrays(testRows);
        var gi = M.DenseOfRowArrays(candRows);
        double lambda = ScoreProviders.InfluenceDamping;
        double[,] Dense(double lam)
        {
            var sol = (g + M.DenseIdentity(P) * lam).Solve(jt.Transpose()); // [P, m]
            return (sol.Transpose() * gi.Transpose() * (-1.0 / n)).ToArray();
        }
        var want = Dense(lambda);
        var got = ScoreProviders.InfluenceFunction(
            run,
            cand,
            curvature: InfluenceCurvature.GaussNewton
        );
        Assert.Equal("influence-ggn", got.Provider);
        double scale = MaxAbs(want);
        Assert.True(scale > 1e-5, $"influence is {scale}: vacuous");
        Assert.True(
            MaxGap(got.Scores, want) <= 1e-8 * scale,
            $"CG vs dense: {MaxGap(got.Scores, want):G3} against {scale:G3}"
        );
        Assert.True(got.ClosureResidual <= 1e-10, $"CG residual {got.ClosureResidual:G3}");
        Assert.True(
            MaxGap(got.Scores, Dense(2 * lambda)) > 1e-4 * scale,
            "the solve at 2λ matched too: the test does not see λ"
        );
        // control: the Hessian at the same point is indefinite beyond λ, and CG on it does not solve
        Tensor RowLoss(Tensor xs, Tensor ls) =>
            net.Forward(xs).log_softmax(1).gather(1, ls.unsqueeze(1)).squeeze(1).neg();
        var lg = torch.cat(
            torch
                .autograd.grad([RowLoss(x, l).mean()], ps, retain_graph: true, create_graph: true)
                .Select(t => t.reshape(-1))
                .ToArray()
        );
        var hess = M.DenseOfRowArrays(
            Enumerable
                .Range(0, P)
                .Select(q => Cat(torch.autograd.grad([lg[q]], ps, retain_graph: true)))
                .ToArray()
        );
        double lmin = hess.Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric)
            .EigenValues.Min(z => z.Real);
        Assert.True(
            lmin < -lambda,
            $"the Hessian's smallest eigenvalue {lmin:G3} is not below −λ: the control point is not indefinite"
        );
        var hcg = ScoreProviders.InfluenceFunction(
            run,
            cand,
            curvature: InfluenceCurvature.Hessian
        );
        Assert.Equal("influence-hessian", hcg.Provider);
        Assert.True(
            hcg.ClosureResidual > 1e-6,
            $"CG on H + λI solved (residual {hcg.ClosureResidual:G3}) although H + λI is indefinite"
        );
    }

    /// <summary>
    /// The EK-FAC influence function (the default for an MLP) equals a dense solve assembled here independently, on the
    /// 3–4–3 tanh MLP at θ_T with softmax cross-entropy (n = 20): per training row the explicit Jacobian J_j (one autograd
    /// backward per output), the back-propagated signal D_l = ∂f/∂z_l read off J_j's bias columns, the layer inputs
    /// ā = [a, 1] by a forward pass written here, H_j = diag p − ppᵀ from the logits; A_l = (1/n) Σ ā āᵀ,
    /// S_l = (1/n) Σ D_lᵀ H_j D_l, their eigenvectors by MathNet, Λ*_ab = (1/n) Σ_j (q_Saᵀ D_lᵀ H_j D_l q_Sa)(q_Abᵀ ā_j)²
    /// by explicit sums, and <c>⊕_l (Q_S ⊗ Q_A) diag(Λ* + λ) (Q_S ⊗ Q_A)ᵀ</c> written into the library's parameter order
    /// (W row-major, then b) and solved by LU — every score to 1e-10 of the largest, closure residual ≤ 1e-10.
    /// Must-fail control: the same dense solve with plain K-FAC eigenvalues Λ_S,a Λ_A,b differs by more than 1e-6.
    /// </summary>
    [Fact]
    public void EKFacInfluenceMatchesADenseKroneckerSolveBuiltHere()
    {
        var s = TanhRunSetup();
        using var run = ReplayableRun.Record(s);
        using var scope = torch.NewDisposeScope();
        using var net = NetworkAt(s, run.FinalParameters);
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        Assert.Equal(4, ps.Length); // W1 [4, 3], b1, W2 [3, 4], b2
        double[] Cat(IList<Tensor> g) =>
            torch.cat(g.Select(t => t.reshape(-1)).ToArray()).data<double>().ToArray();
        var M = MathNet.Numerics.LinearAlgebra.Matrix<double>.Build;
        var V = MathNet.Numerics.LinearAlgebra.Vector<double>.Build;
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var l = s.Train.LabelTensor(torch.CPU);
        int n = s.Train.Count,
            k = 3,
            d = 3,
            hid = 4;
        int[] outs = [hid, k],
            ins = [d, hid],
            offs = [0, hid * d + hid];
        int P = offs[1] + k * hid + k;
        Assert.Equal(P, (int)ps.Sum(t => t.numel()));
        var w1 = M.DenseOfRowMajor(hid, d, ps[0].detach().data<double>().ToArray());
        var b1 = V.DenseOfArray(ps[1].detach().data<double>().ToArray());
        var xs = x.contiguous().data<double>().ToArray();
        var f = net.Forward(x);
        var logits = f.detach().contiguous().data<double>().ToArray();
        var abar = new MathNet.Numerics.LinearAlgebra.Vector<double>[2, n];
        var mh = new MathNet.Numerics.LinearAlgebra.Matrix<double>[2, n]; // D_lᵀ H_j D_l
        var a = new[] { M.Dense(d + 1, d + 1), M.Dense(hid + 1, hid + 1) };
        var sm = new[] { M.Dense(hid, hid), M.Dense(k, k) };
        for (int j = 0; j < n; j++)
        {
            var xj = V.DenseOfArray(xs.Skip(j * d).Take(d).ToArray());
            var hj = (w1 * xj + b1).Map(Math.Tanh);
            abar[0, j] = V.DenseOfEnumerable(xj.Append(1.0));
            abar[1, j] = V.DenseOfEnumerable(hj.Append(1.0));
            var jac = M.Dense(k, P);
            for (int c = 0; c < k; c++)
                jac.SetRow(c, Cat(torch.autograd.grad([f[j, c]], ps, retain_graph: true)));
            double mx = Enumerable.Range(0, k).Max(c => logits[j * k + c]);
            var e = Enumerable.Range(0, k).Select(c => Math.Exp(logits[j * k + c] - mx)).ToArray();
            var pr = V.DenseOfArray(e.Select(v => v / e.Sum()).ToArray());
            var h = M.DenseOfDiagonalVector(pr) - pr.OuterProduct(pr);
            for (int q = 0; q < 2; q++)
            {
                // ∂f/∂z_l = ∂f/∂b_l: the bias columns of the Jacobian
                var dl = jac.SubMatrix(0, k, offs[q] + outs[q] * ins[q], outs[q]);
                mh[q, j] = dl.Transpose() * h * dl;
                a[q] += abar[q, j].OuterProduct(abar[q, j]) / n;
                sm[q] += mh[q, j] / n;
            }
        }
        int[] cand = [0, 3, 7, 19];
        var (testRows, candRows) = ExplicitRowGradients(s, net, cand);
        var jt = M.DenseOfRowArrays(testRows);
        var gi = M.DenseOfRowArrays(candRows);
        double lambda = ScoreProviders.InfluenceDamping;
        var sym = MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric;
        var ea = a.Select(m => m.Evd(sym)).ToArray();
        var es = sm.Select(m => m.Evd(sym)).ToArray();
        double[,] Dense(bool corrected)
        {
            var g = M.Dense(P, P);
            for (int q = 0; q < 2; q++)
            {
                var qa = ea[q].EigenVectors;
                var qs = es[q].EigenVectors;
                int o = outs[q],
                    w = ins[q] + 1;
                for (int ia = 0; ia < o; ia++)
                for (int ib = 0; ib < w; ib++)
                {
                    double lam = 0;
                    if (corrected)
                        for (int j = 0; j < n; j++)
                        {
                            var u = qs.Column(ia);
                            double proj = qa.Column(ib).DotProduct(abar[q, j]);
                            lam += u.DotProduct(mh[q, j] * u) * proj * proj / n;
                        }
                    else
                        lam = es[q].EigenValues[ia].Real * ea[q].EigenValues[ib].Real;
                    // e = q_S,a ⊗ q_A,b in the layout [out, in + 1], written at the library's indices
                    var vec = V.Dense(P);
                    for (int r = 0; r < o; r++)
                    for (int c = 0; c < w; c++)
                        vec[c < ins[q] ? offs[q] + r * ins[q] + c : offs[q] + o * ins[q] + r] =
                            qs[r, ia] * qa[c, ib];
                    g += vec.OuterProduct(vec) * (lam + lambda);
                }
            }
            var sol = g.Solve(jt.Transpose()); // [P, m]
            return (sol.Transpose() * gi.Transpose() * (-1.0 / n)).ToArray();
        }
        var want = Dense(corrected: true);
        var got = ScoreProviders.InfluenceFunction(run, cand);
        Assert.Equal("influence-ekfac", got.Provider);
        Assert.Null(got.SolverIterations);
        double scale = MaxAbs(want);
        Assert.True(scale > 1e-5, $"influence is {scale}: vacuous");
        Assert.True(
            MaxGap(got.Scores, want) <= 1e-10 * scale,
            $"EK-FAC vs dense: {MaxGap(got.Scores, want):G3} against {scale:G3}"
        );
        Assert.True(got.ClosureResidual <= 1e-10, $"closure {got.ClosureResidual:G3}");
        var kfac = Dense(corrected: false);
        Assert.True(
            MaxGap(got.Scores, kfac) > 1e-6 * scale,
            $"plain K-FAC matched too ({MaxGap(got.Scores, kfac):G3}): the test does not see the eigenvalue correction"
        );
    }

    /// <summary>
    /// Exactness control: one Dense layer (f = Wx + b, one output) under ½ squared loss has output Hessian 1 and
    /// back-propagated signal 1, so its Gauss–Newton matrix is A ⊗ 1 exactly and EK-FAC is exact: the EK-FAC scores
    /// equal the Gauss–Newton scores by CG to 1e-8 of the largest.
    /// </summary>
    [Fact]
    public void EKFacIsTheGaussNewtonMatrixForOneDenseLayerWithOneSquaredOutput()
    {
        var rng = new Rng(5, stream: 3);
        var s = new ReplaySetup(
            new ModelSpec(Hidden: []),
            Regression(rng, 16, 3),
            Regression(rng, 4, 3),
            new OptimizerSpec(OptimizerKind.Sgd, 0.1),
            LossKind.Squared,
            4,
            2,
            3
        );
        using var run = ReplayableRun.Record(s);
        int[] cand = [0, 5, 9, 15];
        var ek = ScoreProviders.InfluenceFunction(run, cand);
        Assert.Equal("influence-ekfac", ek.Provider);
        var gn = ScoreProviders.InfluenceFunction(
            run,
            cand,
            curvature: InfluenceCurvature.GaussNewton
        );
        double scale = MaxAbs(gn.Scores);
        Assert.True(scale > 1e-5, $"influence is {scale}: vacuous");
        Assert.True(
            MaxGap(ek.Scores, gn.Scores) <= 1e-8 * scale,
            $"EK-FAC vs Gauss–Newton CG: {MaxGap(ek.Scores, gn.Scores):G3} against {scale:G3}"
        );
        Assert.True(ek.ClosureResidual <= 1e-10, $"closure {ek.ClosureResidual:G3}");
        Assert.True(gn.ClosureResidual <= 1e-10, $"CG residual {gn.ClosureResidual:G3}");
    }

    /// <summary>The default curvature is decided by the library: EK-FAC for Dense and pointwise activations, the exact Gauss–Newton matrix for any other network; an explicit EK-FAC request on such a network is refused.</summary>
    [Fact]
    public void TheDefaultCurvatureIsEKFacForAnMlpOnly()
    {
        Assert.Equal(
            InfluenceCurvature.EKFac,
            ScoreProviders.InfluenceCurvatureFor([
                new Dense(3, 4),
                new Activation(ActivationKind.Tanh),
                new Dense(4, 2),
            ])
        );
        Assert.Equal(
            InfluenceCurvature.GaussNewton,
            ScoreProviders.InfluenceCurvatureFor([
                new Dense(3, 4),
                new LayerNorm(4),
                new Dense(4, 2),
            ])
        );
        Assert.Equal("influence-ekfac", ScoreProviders.InfluenceName(InfluenceCurvature.EKFac));
    }

    public static TheoryData<string, ActivationKind> BatchedCases =>
        new()
        {
            { "sgd", ActivationKind.Tanh },
            { "momentum", ActivationKind.Tanh },
            { "sgd", ActivationKind.Relu },
            { "momentum", ActivationKind.Relu },
        };

    /// <summary>
    /// The batched Hessian–vector products (<see cref="BatchedHessian"/>, forward-over-reverse for every column at once)
    /// give the same linear response at ε = 1 as the per-column double backward (<see cref="LossHessian"/>), to 1e-12
    /// relative on every score (floored at 1e-6 of the largest), on a two-hidden-layer MLP (tanh: φ″ ≠ 0; ReLU: φ″ = 0)
    /// whose candidates first enter batches at different steps. Control (tanh): dropping the φ″ term differs by &gt; 1e-6.
    /// </summary>
    [Theory]
    [MemberData(nameof(BatchedCases))]
    public void BatchedHessianProductsMatchThePerColumnPath(string rule, ActivationKind act)
    {
        var s = TanhRunSetup() with
        {
            Model = new ModelSpec(Hidden: [5, 4], Activation: act),
            Optimizer =
                rule == "sgd"
                    ? new OptimizerSpec(OptimizerKind.Sgd, 0.3)
                    : new OptimizerSpec(OptimizerKind.Momentum, 0.1, Momentum: 0.9),
            CheckpointEvery = 3,
        };
        using var run = ReplayableRun.Record(s);
        int[] cand = [1, 4, 8, 13, 17, 19];
        Assert.True(
            cand.Select(run.FirstTouch).Distinct().Count() > 2,
            "the candidates all enter at the same step: the test would not exercise late columns"
        );
        ScoreTable Response(HessianProducts how, bool dropCurvature = false) =>
            Influence.LinearResponse(
                run,
                cand,
                1,
                false,
                CancellationToken.None,
                how,
                dropCurvature
            );
        var oracle = Response(HessianProducts.PerColumn);
        var batched = Response(HessianProducts.Batched);
        double scale = MaxAbs(oracle.Scores);
        Assert.True(scale > 1e-4, $"the response is {scale}: vacuous");
        double worst = 0;
        for (int x = 0; x < s.Test.Count; x++)
        for (int q = 0; q < cand.Length; q++)
            worst = Math.Max(
                worst,
                Math.Abs(batched.Scores[x, q] - oracle.Scores[x, q])
                    / Math.Max(Math.Abs(oracle.Scores[x, q]), 1e-6 * scale)
            );
        Assert.True(worst <= 1e-12, $"batched vs per-column: worst relative gap {worst:G3}");
        if (act != ActivationKind.Tanh)
            return;
        var control = Response(HessianProducts.Batched, dropCurvature: true);
        Assert.True(
            MaxGap(control.Scores, oracle.Scores) > 1e-6 * scale,
            "dropping φ″ still matched the per-column path"
        );
    }

    public static TheoryData<ActivationKind> AllActivations =>
        new(Enum.GetValues<ActivationKind>());

    /// <summary><see cref="Activation.Curvature"/> is φ″ as autograd's double backward of <see cref="Activation.Apply"/> has it, on points spread over [−25, 25] (softplus's threshold included).</summary>
    [Theory]
    [MemberData(nameof(AllActivations))]
    public void ActivationCurvatureIsTheSecondDerivative(ActivationKind kind)
    {
        using var scope = torch.NewDisposeScope();
        var rng = new Rng(5, stream: 3);
        var pts = Enumerable.Range(0, 200).Select(_ => rng.Uniform(25)).ToArray();
        var a = torch.tensor(pts, dtype: ScalarType.Float64).requires_grad_(true);
        var d1 = torch.autograd.grad(
            [Activation.Apply(kind, a).sum()],
            [a],
            retain_graph: true,
            create_graph: true
        )[0];
        var expected = d1.requires_grad
            ? torch.autograd.grad([d1.sum()], [a], allow_unused: true)[0] ?? torch.zeros_like(a)
            : torch.zeros_like(a);
        var mine = Activation.Curvature(kind, a.detach());
        double gap = mine.sub(expected).abs().max().item<double>();
        Assert.True(gap <= 1e-12, $"{kind}: φ″ differs from autograd by {gap:G3}");
        if (kind == ActivationKind.Tanh)
            Assert.True(expected.abs().max().item<double>() > 0.1, "tanh's φ″ vanished: vacuous");
    }

    /// <summary>
    /// Independent of the code under test, one autograd call per row at the network's parameters: ∇_θ of each test row's
    /// true-class logit <c>[m][P]</c>, and ∇_θ ℓ(z_i) of each listed training row (softmax cross-entropy) <c>[c][P]</c>,
    /// flattened in the network's parameter order.
    /// </summary>
    private static (double[][] tests, double[][] rows) ExplicitRowGradients(
        ReplaySetup s,
        Network net,
        int[] rows
    )
    {
        var ps = net.Parameters.Cast<Tensor>().ToArray();
        double[] Cat(IList<Tensor> g) =>
            torch.cat(g.Select(t => t.reshape(-1)).ToArray()).data<double>().ToArray();
        var xt = s.Test.Inputs(s.DType, torch.CPU);
        var lt = s.Test.LabelTensor(torch.CPU);
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var l = s.Train.LabelTensor(torch.CPU);
        var tests = Enumerable
            .Range(0, s.Test.Count)
            .Select(i =>
                Cat(
                    torch.autograd.grad(
                        [net.Forward(xt.narrow(0, i, 1))[0, lt[i].item<long>()]],
                        ps
                    )
                )
            )
            .ToArray();
        var grads = rows.Select(i =>
                Cat(
                    torch.autograd.grad(
                        [
                            net.Forward(x.narrow(0, i, 1))
                                .log_softmax(1)
                                .gather(1, l.narrow(0, i, 1).unsqueeze(1))
                                .sum()
                                .neg(),
                        ],
                        ps
                    )
                )
            )
            .ToArray();
        return (tests, grads);
    }
}
