using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>
/// Gradient stabilisation (spec A13): per-example gradients of the true-class logit in eval mode, grouped by layer,
/// and their mean squared change <c>mean_{x, params}(∇f_{t′+k}(x) − ∇f_{t′}(x))²</c> per layer.
/// </summary>
internal static class LmcGradients
{
    /// <summary>Per-example gradients of the true-class logit (eval mode), grouped by layer: layer → <c>[images, P_layer]</c>.</summary>
    public static Dictionary<string, Tensor> LogitGradients(
        nn.Module<Tensor, Tensor> model,
        Tensor x,
        Tensor y
    )
    {
        model.eval();
        var named = model.named_parameters().ToArray();
        var rows = named.Select(_ => new List<Tensor>()).ToArray();
        long n = x.shape[0];
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            foreach (var (_, p) in named)
                p.grad?.zero_();
            var logit = model.forward(x.narrow(0, i, 1))[0, y[i].item<long>()];
            logit.backward();
            for (int k = 0; k < named.Length; k++)
            {
                var g = named[k].parameter.grad!.detach().reshape(-1).clone();
                g.DetachFromDisposeScope();
                rows[k].Add(g);
            }
        }
        var result = new Dictionary<string, Tensor>();
        foreach (
            var group in named
                .Select((p, k) => (layer: p.name.Split('.')[0], k))
                .GroupBy(p => p.layer)
        )
        {
            var parts = group.Select(p => torch.stack(rows[p.k])).ToArray(); // each [n, P_param]
            var t = torch.cat(parts, 1);
            t.DetachFromDisposeScope();
            result[group.Key] = t;
            foreach (var part in parts)
                part.Dispose();
        }
        foreach (var list in rows)
        foreach (var g in list)
            g.Dispose();
        return result;
    }

    /// <summary>Per layer, <c>mean((after − before)²)</c> in float64, in the order of <paramref name="before"/>.</summary>
    public static IEnumerable<(string layer, double change)> Change(
        Dictionary<string, Tensor> before,
        Dictionary<string, Tensor> after
    )
    {
        foreach (var (layer, g0) in before)
        {
            using var scope = torch.NewDisposeScope();
            yield return (
                layer,
                after[layer].Minus(g0).Squared().mean().to_type(ScalarType.Float64).item<double>()
            );
        }
    }
}
