using Telescope.Models;
using Telescope.Tangents;
using Telescope.Tensors;
using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// The eigenvalue-corrected Kronecker-factored (EK-FAC) approximation Ĝ of the Gauss–Newton matrix
/// <c>G = (1/n) Σ_j J_jᵀ H_j J_j</c> of the mean training loss of an MLP (Dense and pointwise activation layers),
/// George et al. 2018, as in Kronfluence (Grosse et al. 2023): block-diagonal over Dense layers l, each block
/// <c>Ĝ_l = (Q_S ⊗ Q_A) diag(Λ*) (Q_S ⊗ Q_A)ᵀ</c> in the layer's weight layout <c>[out, in(+1)]</c> (row-major: W's row o
/// then, with a bias, b_o as the last column), where
/// <list type="bullet">
/// <item><c>ā_j</c> is the layer input of row j with a 1 appended when the layer has a bias, <c>A_l = (1/n) Σ_j ā_j ā_jᵀ = Q_A Λ_A Q_Aᵀ</c>;</item>
/// <item><c>H_j = L_j L_jᵀ</c> the loss's output Hessian factored exactly (softmax cross-entropy
/// <c>L = diag √p − p √pᵀ</c>, binary <c>√(σ(1−σ))</c>, squared loss I), <c>s_jc</c> column c of L_j back-propagated
/// to the layer's pre-activation, <c>S_l = (1/n) Σ_j Σ_c s_jc s_jcᵀ = Q_S Λ_S Q_Sᵀ</c> (the exact expectation over
/// outputs, no sampling);</item>
/// <item><c>Λ*_ab = (1/n) Σ_j Σ_c ((Q_Sᵀ s_jc)_a (Q_Aᵀ ā_j)_b)²</c>, the diagonal of the exact block
/// <c>G_l = (1/n) Σ_j Σ_c (s_jc ⊗ ā_j)(s_jc ⊗ ā_j)ᵀ</c> in the Kronecker eigenbasis (one GEMM: <c>Bᵀ C / n</c>,
/// <c>B_ja = Σ_c (Q_Sᵀ s_jc)_a²</c>, <c>C_jb = (Q_Aᵀ ā_j)_b²</c>).</item>
/// </list>
/// <c>(Ĝ_l + λI)⁻¹ V = Q_S [(Q_Sᵀ V Q_A) ⊘ (Λ* + λ)] Q_Aᵀ</c> exactly (a zero denominator, λ = 0 on a direction no row
/// reaches, gives 0: the pseudo-inverse). Statistics in float64, built in chunks of rows. Tensors live in the
/// caller's dispose scope.
/// </summary>
internal sealed class EKFac
{
    /// <summary>Numbers per chunk tensor while the statistics are built (rows × k × width, rows × (in+1)).</summary>
    private const long ChunkNumbers = 1L << 21;

    private readonly record struct Block(
        int Layer,
        int Weight,
        int Bias,
        long Offset,
        int Out,
        int In,
        Tensor QS,
        Tensor QA,
        Tensor Eigen
    );

    private readonly Block[] _blocks;
    private readonly double _damping;

    /// <summary>Total number of parameters P.</summary>
    public long Parameters { get; }

    /// <summary>
    /// Null when EK-FAC applies to the network of <paramref name="layers"/> (Dense and pointwise activations, an
    /// optional leading flattening Reshape — <see cref="StackedMlp.Unsupported(IReadOnlyList{ILayer}, string)"/>), else why not.
    /// </summary>
    public static string? Unsupported(IReadOnlyList<ILayer> layers) =>
        StackedMlp.Unsupported(layers, "EK-FAC supports");

    /// <summary>The statistics over <paramref name="rows"/> of the run's training set at <paramref name="theta"/> (shaped like the network's parameters), damping λ.</summary>
    public EKFac(ReplayableRun.Trainer c, IReadOnlyList<Tensor> theta, int[] rows, double damping)
    {
        var net = c.Net;
        if (Unsupported(net.Layers) is { } why)
            throw new ArgumentException(why);
        if (rows.Length == 0)
            throw new ArgumentException("EK-FAC needs at least one row");
        _damping = damping;
        using var noGrad = torch.no_grad();
        var th = theta.Select(t => t.detach().to_type(ScalarType.Float64)).ToArray();
        var blocks = new List<Block>();
        int p = 0;
        long off = 0;
        for (int l = 0; l < net.Layers.Count; l++)
        {
            if (net.Layers[l] is Dense d)
            {
                blocks.Add(
                    new Block(
                        l,
                        p,
                        d.Bias ? p + 1 : -1,
                        off,
                        d.Outputs,
                        d.Inputs,
                        null!,
                        null!,
                        null!
                    )
                );
                off += (long)d.Outputs * d.Inputs + (d.Bias ? d.Outputs : 0);
            }
            p += net.Layers[l].ParameterShapes.Count;
        }
        Parameters = off;
        int k = net.Outputs;
        long widest = blocks.Max(b => Math.Max((long)b.Out * k, b.In + 1L));
        int chunk = (int)Math.Clamp(ChunkNumbers / widest, 1, rows.Length);
        double n = rows.Length;

        // pass 1: A_l and S_l
        var a = blocks
            .Select(b => Zeros(b.In + (b.Bias >= 0 ? 1 : 0), b.In + (b.Bias >= 0 ? 1 : 0)))
            .ToArray();
        var s = blocks.Select(b => Zeros(b.Out, b.Out)).ToArray();
        foreach (var part in rows.Chunk(chunk))
        {
            using var inner = torch.NewDisposeScope();
            var (abar, sig) = Statistics(c, th, blocks, part);
            for (int q = 0; q < blocks.Count; q++)
            {
                a[q].PlusInPlace(abar[q].t().matmul(abar[q]));
                var sf = sig[q].reshape(-1, blocks[q].Out);
                s[q].PlusInPlace(sf.t().matmul(sf));
            }
        }
        for (int q = 0; q < blocks.Count; q++)
        {
            var (_, qa) = torch.linalg.eigh(a[q].DivideInPlace(n));
            var (_, qs) = torch.linalg.eigh(s[q].DivideInPlace(n));
            blocks[q] = blocks[q] with
            {
                QA = qa,
                QS = qs,
                Eigen = Zeros(blocks[q].Out, a[q].shape[0]),
            };
        }

        // pass 2: Λ* = (1/n) Bᵀ C
        foreach (var part in rows.Chunk(chunk))
        {
            using var inner = torch.NewDisposeScope();
            var (abar, sig) = Statistics(c, th, blocks, part);
            for (int q = 0; q < blocks.Count; q++)
            {
                var bq = sig[q].matmul(blocks[q].QS).Squared().sum(1); // [R, out]
                var cq = abar[q].matmul(blocks[q].QA).Squared(); // [R, in+1]
                blocks[q].Eigen.PlusInPlace(bq.t().matmul(cq));
            }
        }
        foreach (var b in blocks)
            b.Eigen.DivideInPlace(n);
        _blocks = blocks.ToArray();
    }

    private static Tensor Zeros(params long[] shape) =>
        torch.zeros(shape, dtype: ScalarType.Float64);

    /// <summary>
    /// For one chunk of rows: per Dense layer the inputs ā <c>[R, in(+1)]</c> and the back-propagated columns of the
    /// output Hessian's factor s <c>[R, k, out]</c> (s[j, c] = J_{z_l}(x_j)ᵀ L_j[:, c]).
    /// </summary>
    private static (Tensor[] abar, Tensor[] sig) Statistics(
        ReplayableRun.Trainer c,
        Tensor[] th,
        IReadOnlyList<Block> blocks,
        int[] rows
    )
    {
        var layers = c.Net.Layers;
        var x = c.XTrain.index_select(0, HostArrays.Indices(rows)).to_type(ScalarType.Float64);
        var pre = new Tensor?[layers.Count]; // activation inputs
        var abar = new Tensor[blocks.Count];
        int q = 0;
        Tensor h = x;
        for (int l = 0; l < layers.Count; l++)
        {
            switch (layers[l])
            {
                case Dense d:
                    var b = blocks[q];
                    abar[q] =
                        b.Bias >= 0
                            ? torch.cat(
                                [h, torch.ones(h.shape[0], 1, dtype: ScalarType.Float64)],
                                1
                            )
                            : h;
                    h = nn.functional.linear(h, th[b.Weight], b.Bias >= 0 ? th[b.Bias] : null);
                    q++;
                    break;
                case Activation act:
                    pre[l] = h;
                    h = Activation.Apply(act.Kind, h);
                    break;
                default:
                    h = layers[l].Forward(h, ReadOnlySpan<Tensor>.Empty);
                    break;
            }
        }
        // ρ[j, c, :] = L_j[:, c]ᵀ
        var rho = OutputFactor(c.S.Loss, h);
        var sig = new Tensor[blocks.Count];
        q = blocks.Count - 1;
        for (int l = layers.Count - 1; l >= blocks[0].Layer; l--)
        {
            if (layers[l] is Activation act)
                rho = rho.mul(Activation.Slope(act.Kind, pre[l]!).unsqueeze(1));
            else if (layers[l] is Dense)
            {
                sig[q] = rho;
                if (q > 0)
                    rho = rho.matmul(th[blocks[q].Weight]);
                q--;
            }
        }
        return (abar, sig);
    }

    /// <summary>
    /// <c>ρ[j, c, o] = L_j[o, c]</c> with <c>L_j L_jᵀ = H_j</c>, the output Hessian of <see cref="Loss.OutputHessianTimes"/>:
    /// squared loss I; binary cross-entropy (k = 1) <c>√(σ(1−σ))</c>; softmax cross-entropy
    /// <c>L = diag √p − p √pᵀ</c> (<c>L Lᵀ = diag p − 2ppᵀ + p (√pᵀ√p) pᵀ = diag p − ppᵀ</c> as Σ p = 1).
    /// </summary>
    internal static Tensor OutputFactor(LossKind kind, Tensor f)
    {
        long rows = f.shape[0],
            k = f.shape[1];
        if (kind == LossKind.Squared)
            return torch.eye(k, dtype: f.dtype).unsqueeze(0).expand(rows, k, k);
        if (k == 1)
        {
            var sg = f.sigmoid();
            return sg.mul(sg.neg().PlusConst(1.0)).sqrt().unsqueeze(2);
        }
        var p = f.softmax(1);
        var sp = p.sqrt();
        return torch
            .eye(k, dtype: f.dtype)
            .unsqueeze(0)
            .mul(sp.unsqueeze(1))
            .Minus(sp.unsqueeze(2).mul(p.unsqueeze(1)));
    }

    private Tensor Map(Tensor v, bool inverse)
    {
        long m = v.shape[0];
        var parts = new List<Tensor>();
        foreach (var b in _blocks)
        {
            long w = (long)b.Out * b.In;
            var vw = v.narrow(1, b.Offset, w).reshape(m, b.Out, b.In);
            var vb =
                b.Bias >= 0
                    ? torch.cat([vw, v.narrow(1, b.Offset + w, b.Out).reshape(m, b.Out, 1)], 2)
                    : vw;
            var d = b.Eigen.PlusConst(_damping);
            var scale = inverse
                ? torch.where(d.GreaterThan(0), d.reciprocal(), torch.zeros_like(d))
                : d;
            var u = b.QS.matmul(b.QS.t().matmul(vb).matmul(b.QA).mul(scale)).matmul(b.QA.t());
            parts.Add(u.narrow(2, 0, b.In).reshape(m, w));
            if (b.Bias >= 0)
                parts.Add(u.select(2, b.In).reshape(m, b.Out));
        }
        return torch.cat(parts.ToArray(), 1);
    }

    /// <summary><c>(Ĝ + λI)⁻¹ v</c> for every row of <paramref name="v"/> <c>[m, P]</c> (float64, the library's parameter order).</summary>
    public Tensor Solve(Tensor v) => Map(v, inverse: true);

    /// <summary><c>(Ĝ + λI) u</c> for every row of <paramref name="u"/> <c>[m, P]</c>.</summary>
    public Tensor Apply(Tensor u) => Map(u, inverse: false);

    /// <summary>
    /// The influence function with curvature Ĝ (<see cref="ScoreProviders.InfluenceFunction"/> with
    /// <see cref="InfluenceCurvature.EKFac"/>): <c>τ(x, z_i) = −∇f(x)ᵀ(Ĝ + λI)⁻¹∇ℓ(z_i)/n</c> at θ_T, one batched solve for
    /// all test rows. Closure residual: the largest <c>‖(Ĝ + λI)u − ∇f(x)‖/‖∇f(x)‖</c> over test rows (round-off).
    /// </summary>
    public static ScoreTable InfluenceFunction(
        ReplayableRun run,
        IReadOnlyList<int> candidates,
        double damping,
        CancellationToken cancel
    )
    {
        var s = run.Setup;
        using var scope = torch.NewDisposeScope();
        using var c = new ReplayableRun.Trainer(s);
        var theta = ParameterVector.Split(run.FinalParameters.to(c.Net.DType), c.Net.Parameters);
        int n = s.Train.Count;
        var ekfac = new EKFac(c, theta, Enumerable.Range(0, n).ToArray(), damping);
        cancel.ThrowIfCancellationRequested();
        var rhs = Influence.ProbeGradients(c, theta); // ∇f(x) per test row [m, P]
        var u = ekfac.Solve(rhs);
        var norms = rhs.norm(1);
        var gaps = ekfac.Apply(u).Minus(rhs).norm(1);
        var nz = norms.GreaterThan(0);
        double residual = nz.any().item<bool>()
            ? gaps.masked_select(nz).div(norms.masked_select(nz)).max().item<double>()
            : 0;
        var scores = Influence.InfluenceScores(c, theta, candidates, u, n);
        return new ScoreTable(
            ScoreProviders.InfluenceName(InfluenceCurvature.EKFac),
            ScoreProviders.LogitUnit,
            candidates,
            scores,
            residual
        );
    }
}
