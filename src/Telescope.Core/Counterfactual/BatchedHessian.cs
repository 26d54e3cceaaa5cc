using Telescope.Models;
using Telescope.Tensors;
using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// Exact Hessian–vector products <c>H V</c> of the mean training loss <c>L(θ) = (1/|S|) Σ_{j∈S} ℓ(z_j; θ)</c> of a set of
/// rows S at one θ for R directions at once, for an MLP that <see cref="StackedMlp.Unsupported"/> accepts (Dense and
/// pointwise activation layers), by forward-over-reverse written out: the primal forward and backward once (stage inputs
/// a, output gradients <c>ρ = ∂L/∂(stage output)</c>, <c>ρ_f = r/|S|</c> with r = <see cref="Loss.OutputGradient"/>),
/// then the tangents of both passes with the R directions batched (rows shared, so each product is one wide GEMM):
/// forward, Dense <c>ż = ȧ Wᵀ + a Ẇᵀ + ḃ</c>, activation <c>ż = φ′(a) ȧ</c>; at the output
/// <c>ρ̇_f = H_out ḟ / |S|</c> (<see cref="Loss.OutputHessianTimes"/>); backward, activation
/// <c>ρ̇_in = φ′(a) ρ̇ + φ″(a) ρ ȧ</c> (<see cref="Activation.Curvature"/>), Dense <c>ρ̇_in = ρ̇ W + ρ Ẇ</c> and
/// <c>(H v)_W = ρ̇ᵀ a + ρᵀ ȧ</c>, <c>(H v)_b = Σ_rows ρ̇</c>. That is the directional derivative of ∇L along v: the exact
/// Hessian (all terms, not Gauss–Newton), equal to <see cref="LossHessian.Apply"/> column by column to round-off. Runs
/// in float64; tensors live in the caller's dispose scope.
/// </summary>
internal sealed class BatchedHessian
{
    private readonly (ActivationKind? act, int dense)[] _stages;
    private readonly Tensor[] _w; // [out, in]
    private readonly Tensor?[] _b; // [out]
    private readonly int[] _paramOfW,
        _paramOfB; // index into the network's parameter list (−1: no bias)
    private readonly long[][] _shapes; // network parameter shapes, in order
    private readonly Tensor[] _inputs; // stage inputs [|S|, ·]
    private readonly Tensor[] _rho; // ∂L/∂(stage output) [|S|, ·]
    private readonly Tensor _f;
    private readonly LossKind _loss;
    private readonly double _rows;
    private readonly bool _curvature;

    /// <summary>Whether <paramref name="net"/> is an MLP this class handles (else use <see cref="LossHessian"/>).</summary>
    public static bool Applies(Network net) => StackedMlp.Unsupported(net) is null;

    /// <param name="c">The run's tensors and network (architecture only; θ is <paramref name="at"/>).</param>
    /// <param name="at">θ in the network's parameter order.</param>
    /// <param name="rows">The rows S of the mean loss.</param>
    /// <param name="activationCurvature">Keep the φ″ term (false only for the tests' must-fail control).</param>
    public BatchedHessian(
        ReplayableRun.Trainer c,
        IReadOnlyList<Tensor> at,
        int[] rows,
        bool activationCurvature = true
    )
    {
        var net = c.Net;
        if (StackedMlp.Unsupported(net) is { } why)
            throw new ArgumentException(why);
        _loss = c.S.Loss;
        _rows = rows.Length;
        _curvature = activationCurvature;
        _shapes = at.Select(t => t.shape).ToArray();
        var stages = new List<(ActivationKind?, int)>();
        var w = new List<Tensor>();
        var b = new List<Tensor?>();
        var pw = new List<int>();
        var pb = new List<int>();
        int j = 0;
        foreach (var layer in net.Layers)
        {
            if (layer is Dense d)
            {
                stages.Add((null, w.Count));
                pw.Add(j);
                w.Add(at[j].detach().to_type(ScalarType.Float64));
                pb.Add(d.Bias ? j + 1 : -1);
                b.Add(d.Bias ? at[j + 1].detach().to_type(ScalarType.Float64) : null);
            }
            else if (layer is Activation a)
                stages.Add((a.Kind, -1));
            j += layer.ParameterShapes.Count;
        }
        _stages = stages.ToArray();
        _w = w.ToArray();
        _b = b.ToArray();
        _paramOfW = pw.ToArray();
        _paramOfB = pb.ToArray();

        using var noGrad = torch.no_grad();
        var idx = HostArrays.Indices(rows);
        var x = c.XTrain.index_select(0, idx).to_type(ScalarType.Float64);
        Tensor h = x.reshape(rows.Length, -1);
        _inputs = new Tensor[_stages.Length];
        for (int s = 0; s < _stages.Length; s++)
        {
            _inputs[s] = h;
            var (act, l) = _stages[s];
            h = act is { } kind ? Activation.Apply(kind, h) : Affine(h, l);
        }
        _f = h;
        var rho = Loss.OutputGradient(
                _loss,
                _f,
                c.YTrain.index_select(0, idx),
                c.LTrain.index_select(0, idx)
            )
            .to_type(ScalarType.Float64)
            .TimesInPlace(1.0 / _rows);
        _rho = new Tensor[_stages.Length];
        int firstDense = FirstDense;
        for (int s = _stages.Length - 1; s >= firstDense; s--)
        {
            _rho[s] = rho;
            var (act, l) = _stages[s];
            if (s > firstDense)
                rho = act is { } kind ? rho.mul(Activation.Slope(kind, _inputs[s])) : rho.mm(_w[l]);
        }
    }

    private int FirstDense => Array.FindIndex(_stages, s => s.act is null);

    private Tensor Affine(Tensor a, int l)
    {
        var z = a.mm(_w[l].t());
        return _b[l] is { } b ? z.PlusInPlace(b) : z;
    }

    /// <summary>
    /// H V for the R directions of <paramref name="v"/> <c>[R, P]</c> (one direction per row, the network's flat
    /// parameter order, float64): <c>[R, P]</c>.
    /// </summary>
    public Tensor Apply(Tensor v)
    {
        using var noGrad = torch.no_grad();
        long r = v.shape[0];
        var vc = v.contiguous();
        var dp = new Tensor[_shapes.Length];
        var offsets = new long[_shapes.Length];
        long o = 0;
        for (int k = 0; k < _shapes.Length; k++)
        {
            long n = _shapes[k].Aggregate(1L, (x, y) => x * y);
            offsets[k] = o;
            dp[k] = vc.narrow(1, o, n).view([r, .. _shapes[k]]);
            o += n;
        }
        // forward tangents: ȧ of every stage's input (null: the input rows, constant)
        int firstDense = FirstDense;
        var dIn = new Tensor?[_stages.Length];
        Tensor? da = null;
        for (int s = firstDense; s < _stages.Length; s++)
        {
            dIn[s] = da;
            var (act, l) = _stages[s];
            if (act is { } kind)
            {
                da = da?.mul(Activation.Slope(kind, _inputs[s]));
                continue;
            }
            var a = _inputs[s];
            var dw = dp[_paramOfW[l]]; // [R, out, in]
            long outs = dw.shape[1];
            // a Ẇᵀ for every r as one GEMM with the R matrices side by side: [|S|, in] × [in, R·out]
            var dz = a.mm(dw.reshape(r * outs, dw.shape[2]).t())
                .view(a.shape[0], r, outs)
                .transpose(0, 1); // [R, |S|, out]
            if (_paramOfB[l] >= 0)
                dz = dz.Plus(dp[_paramOfB[l]].unsqueeze(1));
            if (da is not null)
                dz = dz.Plus(da.matmul(_w[l].t()));
            da = dz;
        }
        // output: ρ̇_f = H_out ḟ / |S|, row by row for every r
        long m = _f.shape[0],
            kOut = _f.shape[1];
        var fr = _f.unsqueeze(0).expand(r, m, kOut).reshape(r * m, kOut);
        var drho = Loss.OutputHessianTimes(_loss, fr, da!.reshape(r * m, kOut))
            .reshape(r, m, kOut)
            .Times(1.0 / _rows);
        // backward tangents
        var hv = new Tensor[_shapes.Length];
        for (int s = _stages.Length - 1; s >= firstDense; s--)
        {
            var (act, l) = _stages[s];
            var rho = _rho[s];
            if (act is { } kind)
            {
                var next = drho.mul(Activation.Slope(kind, _inputs[s]));
                if (_curvature && dIn[s] is { } dai)
                    next = next.PlusInPlace(
                        dai.mul(rho.mul(Activation.Curvature(kind, _inputs[s])))
                    );
                drho = next;
                continue;
            }
            var a = _inputs[s];
            long outs = drho.shape[2];
            // ρ̇ᵀ a for every r: [R·out, |S|] × [|S|, in]
            var gw = drho.transpose(1, 2).reshape(r * outs, m).mm(a).view(r, outs, a.shape[1]);
            if (dIn[s] is { } dai2)
                gw = gw.PlusInPlace(rho.t().matmul(dai2));
            hv[_paramOfW[l]] = gw;
            if (_paramOfB[l] >= 0)
                hv[_paramOfB[l]] = drho.sum(1);
            if (s > firstDense)
                drho = drho.matmul(_w[l]).PlusInPlace(rho.matmul(dp[_paramOfW[l]]));
        }
        var result = torch.empty_like(vc);
        for (int k = 0; k < _shapes.Length; k++)
            result.narrow(1, offsets[k], hv[k].numel() / r).view(hv[k].shape).copy_(hv[k]);
        return result;
    }
}
