using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// Single-head scaled dot-product self-attention over a sequence, shapes <c>[N, T, d] → [N, T, d]</c>:
/// <c>Q = a W_qᵀ</c>, <c>K = a W_kᵀ</c>, <c>V = a W_vᵀ</c> (<c>W_q, W_k, W_v ∈ R^{h×d}</c>),
/// <c>S = Q Kᵀ/√h</c>, <c>A = softmax(S)</c> over keys, <c>z = (A V) W_oᵀ</c> (<c>W_o ∈ R^{d×h}</c>); no biases,
/// no mask. Initialisation <c>U(±1/√fan-in)</c> × α. Rows (sequences) do not interact.
/// Tangent (exact): <c>Q̇ = ȧW_qᵀ + aẆ_qᵀ</c> (likewise K̇, V̇), <c>Ṡ = (Q̇Kᵀ + QK̇ᵀ)/√h</c>,
/// <c>Ȧ = A ⊙ (Ṡ − Σ_keys A ⊙ Ṡ)</c>, <c>ż = (ȦV + AV̇)W_oᵀ + (AV)Ẇ_oᵀ</c>.
/// No structured kernel rule: kernels use its per-example gradient by autograd (<see cref="Kernels.LayerGradients.Autograd"/>).
/// Wrap it in <see cref="Residual"/> (with <see cref="LayerNorm"/>) for a transformer-style block.
/// </summary>
public sealed class SelfAttention(int width, int head) : ILayer
{
    /// <summary>Model width d (the last dimension of the input).</summary>
    public int Width { get; } =
        width > 0
            ? width
            : throw new ArgumentOutOfRangeException(nameof(width), "must be positive");

    /// <summary>Head width h of queries, keys and values.</summary>
    public int Head { get; } =
        head > 0 ? head : throw new ArgumentOutOfRangeException(nameof(head), "must be positive");

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes =>
        [
            [Head, Width],
            [Head, Width],
            [Head, Width],
            [Width, Head],
        ];

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha)
    {
        double[] Draw(int count, int fanIn)
        {
            double bound = 1.0 / Math.Sqrt(fanIn);
            var w = new double[count];
            for (int i = 0; i < w.Length; i++)
                w[i] = alpha * rng.Uniform(bound);
            return w;
        }
        return
        [
            Draw(Head * Width, Width),
            Draw(Head * Width, Width),
            Draw(Head * Width, Width),
            Draw(Width * Head, Head),
        ];
    }

    private double Scale => 1 / Math.Sqrt(Head);

    private void CheckShape(Tensor a)
    {
        if (a.dim() != 3 || a.shape[2] != Width)
            throw new ArgumentException(
                $"SelfAttention({Width}, {Head}) needs inputs [N, T, {Width}], got [{string.Join(", ", a.shape)}]"
            );
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        CheckShape(a);
        var q = a.matmul(p[0].t());
        var k = a.matmul(p[1].t());
        var v = a.matmul(p[2].t());
        var att = q.matmul(k.transpose(1, 2)).TimesInPlace(Scale).softmax(-1);
        return att.matmul(v).matmul(p[3].t());
    }

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        CheckShape(a);
        var q = a.matmul(p[0].t());
        var k = a.matmul(p[1].t());
        var v = a.matmul(p[2].t());
        var att = q.matmul(k.transpose(1, 2)).TimesInPlace(Scale).softmax(-1);
        var h = att.matmul(v);
        var z = h.matmul(p[3].t());

        var dq = a.matmul(dp[0].t());
        var dk = a.matmul(dp[1].t());
        var dv = a.matmul(dp[2].t());
        if (da is not null)
        {
            dq = dq.PlusInPlace(da.matmul(p[0].t()));
            dk = dk.PlusInPlace(da.matmul(p[1].t()));
            dv = dv.PlusInPlace(da.matmul(p[2].t()));
        }
        var ds = dq.matmul(k.transpose(1, 2))
            .PlusInPlace(q.matmul(dk.transpose(1, 2)))
            .TimesInPlace(Scale);
        var weighted = att.mul(ds);
        var datt = weighted.MinusInPlace(att.mul(weighted.sum([-1], keepdim: true)));
        var dh = datt.matmul(v).PlusInPlace(att.matmul(dv));
        var dz = dh.matmul(p[3].t()).PlusInPlace(h.matmul(dp[3].t()));
        return (z, dz);
    }

    /// <inheritdoc />
    public string Describe() => $"SelfAttention(d = {Width}, head {Head}, single head)";
}
