using Telescope.Kernels;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A residual block <c>z = a + g(a)</c>, <c>g = g_m ∘ … ∘ g_1</c> a chain of inner layers whose output has
/// the shape of its input. Parameters: the inner layers' in order. Tangent: <c>ż = ȧ + ġ</c>, ġ from the inner
/// layers' own rules (hand-written or generic). Structured kernel: the inner signals are read off by autograd
/// (probes at each parameterised inner layer's output, one backward per network output), then each inner layer's
/// per-example gradient rule (<see cref="LayerGradients"/>) applies, so nested blocks work too.
/// </summary>
public sealed class Residual : ILayer, IStructuredLayer
{
    private readonly int[] _offsets;

    /// <summary>The inner layers, input first.</summary>
    public IReadOnlyList<ILayer> Inner { get; }

    /// <summary>A block around <paramref name="inner"/> (at least one layer).</summary>
    public Residual(params ILayer[] inner)
    {
        if (inner.Length == 0)
            throw new ArgumentException("a residual block needs at least one inner layer");
        Inner = inner;
        _offsets = new int[inner.Length];
        int off = 0;
        for (int l = 0; l < inner.Length; l++)
        {
            _offsets[l] = off;
            off += inner[l].ParameterShapes.Count;
        }
        ParameterShapes = inner.SelectMany(l => l.ParameterShapes).ToArray();
    }

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes { get; }

    /// <inheritdoc />
    public bool RowsInteract => Inner.Any(l => l.RowsInteract);

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha) =>
        Inner.SelectMany(l => l.Initialise(rng, alpha)).ToArray();

    private ReadOnlySpan<Tensor> Part(ReadOnlySpan<Tensor> p, int l) =>
        p.Slice(_offsets[l], Inner[l].ParameterShapes.Count);

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        var g = a;
        for (int l = 0; l < Inner.Count; l++)
            g = Inner[l].Forward(g, Part(p, l));
        return a.Plus(g);
    }

    /// <inheritdoc />
    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        Tensor g = a;
        Tensor? dg = da;
        for (int l = 0; l < Inner.Count; l++)
            (g, dg) = Inner[l].Tangent(g, dg, Part(p, l), Part(dp, l));
        var z = a.Plus(g);
        if (da is null)
            return (z, dg);
        return (z, dg is null ? da.alias() : dg.Plus(da));
    }

    /// <inheritdoc />
    public Tensor PerExampleGradient(Tensor a, Tensor delta, ReadOnlySpan<Tensor> p)
    {
        var plain = new Tensor[p.Length];
        for (int j = 0; j < p.Length; j++)
            plain[j] = p[j].detach();
        var inputs = new List<Tensor>();
        var probes = new List<Tensor>();
        var owners = new List<int>();
        Tensor g;
        using (torch.enable_grad())
        {
            g = a.detach();
            for (int l = 0; l < Inner.Count; l++)
            {
                var part = Part(plain, l);
                if (part.Length == 0)
                {
                    g = Inner[l].Forward(g, part);
                    continue;
                }
                owners.Add(l);
                inputs.Add(g.detach());
                var z = Inner[l].Forward(g, part);
                var e = torch.zeros_like(z).requires_grad_(true);
                probes.Add(e);
                g = z.Plus(e);
            }
        }
        long n = a.shape[0],
            k = delta.shape[1];
        var perOutput = new List<Tensor[]>();
        for (long o = 0; o < k; o++)
        {
            using var _ = torch.enable_grad();
            var target = g.mul(delta.select(1, o)).sum();
            var gr = torch.autograd.grad(
                [target],
                probes,
                retain_graph: o + 1 < k,
                allow_unused: true
            );
            perOutput.Add(
                gr.Select((t, i) => (t ?? torch.zeros_like(probes[i])).detach()).ToArray()
            );
        }
        var parts = new Tensor[owners.Count];
        for (int i = 0; i < owners.Count; i++)
        {
            var innerDelta = torch.stack(perOutput.Select(d => d[i]).ToArray(), 1); // [N, k, out…]
            parts[i] = LayerGradients.Of(
                Inner[owners[i]],
                inputs[i],
                innerDelta,
                Part(plain, owners[i])
            );
        }
        return parts.Length == 0
            ? torch.zeros([n, k, 0], dtype: delta.dtype, device: delta.device)
            : torch.cat(parts, 2);
    }

    /// <inheritdoc />
    public string Describe() =>
        $"Residual(x + {string.Join(" – ", Inner.Select(l => l.Describe()))})";
}
