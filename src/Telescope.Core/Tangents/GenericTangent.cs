using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tangents;

/// <summary>
/// The generic tangent rule of one layer, for layers that have only a forward map: the double-backward
/// trick on that layer alone. With leaves <c>a</c>, <c>p</c> and a dummy cotangent <c>u</c> (zeros),
/// <c>g(u) = uᵀ∂z/∂(a, p)</c> is linear in u, so <c>∂/∂u [g(u)·(ȧ, ṗ)] = ∂z/∂a·ȧ + ∂z/∂p·ṗ = ż</c>.
/// Exact (no finite differences), about one forward and three backward passes of the layer; the
/// hand-written rules of the library's layers are the fast path. Results are detached.
/// </summary>
public static class GenericTangent
{
    /// <summary>
    /// <c>(z, ż)</c> of <paramref name="layer"/> at input <paramref name="a"/> and parameters <paramref name="p"/>
    /// in direction (<paramref name="da"/>, <paramref name="dp"/>); <paramref name="da"/> null means ȧ = 0,
    /// and the returned ż is null only when the direction is empty (no input tangent, no parameters).
    /// </summary>
    public static (Tensor z, Tensor? dz) Of(
        ILayer layer,
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    )
    {
        using var scope = torch.NewDisposeScope();
        using var enable = torch.enable_grad();
        var wrt = new List<Tensor>();
        var dirs = new List<Tensor>();
        var input = a.detach();
        if (da is not null)
        {
            input = input.requires_grad_(true);
            wrt.Add(input);
            dirs.Add(da);
        }
        var leaves = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            leaves[i] = p[i].detach().requires_grad_(true);
            wrt.Add(leaves[i]);
            dirs.Add(dp[i]);
        }
        var z = layer.Forward(input, leaves);
        if (wrt.Count == 0)
            return (z.detach().MoveToOuterDisposeScope(), null);
        Tensor? dz = null;
        if (z.requires_grad)
        {
            var u = torch.zeros_like(z).requires_grad_(true);
            var g = torch.autograd.grad([z], wrt, [u], create_graph: true, allow_unused: true);
            Tensor? s = null;
            for (int i = 0; i < g.Count; i++)
            {
                if (g[i] is null)
                    continue;
                var term = g[i].mul(dirs[i]).sum();
                s = s is null ? term : s.Plus(term);
            }
            if (s is not null && s.requires_grad)
                dz = torch.autograd.grad([s], [u], allow_unused: true)[0];
        }
        dz ??= torch.zeros_like(z);
        return (z.detach().MoveToOuterDisposeScope(), dz.detach().MoveToOuterDisposeScope());
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> Rules =
        new();

    /// <summary>Whether <paramref name="layer"/>'s class implements <see cref="ILayer.Tangent"/> itself (a hand-written rule) rather than inheriting the generic default.</summary>
    public static bool HasOwnRule(ILayer layer) =>
        Rules.GetOrAdd(
            layer.GetType(),
            t =>
            {
                var map = t.GetInterfaceMap(typeof(ILayer));
                int i = Array.FindIndex(
                    map.InterfaceMethods,
                    m => m.Name == nameof(ILayer.Tangent)
                );
                return i >= 0 && map.TargetMethods[i].DeclaringType != typeof(ILayer);
            }
        );
}

/// <summary>Consecutive layers without their own tangent rule, run as one block so the generic rule builds one graph for the run.</summary>
internal sealed class LayerRun(IReadOnlyList<ILayer> layers) : ILayer
{
    public IReadOnlyList<long[]> ParameterShapes { get; } =
        layers.SelectMany(l => l.ParameterShapes).ToArray();

    public bool RowsInteract => layers.Any(l => l.RowsInteract);

    public double[][] Initialise(Rng rng, double alpha) =>
        throw new NotSupportedException("a run of layers is never initialised");

    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        int off = 0;
        foreach (var l in layers)
        {
            int n = l.ParameterShapes.Count;
            a = l.Forward(a, p.Slice(off, n));
            off += n;
        }
        return a;
    }

    public string Describe() => string.Join(" – ", layers.Select(l => l.Describe()));
}
