using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A network <c>f_θ = g_L ∘ … ∘ g_1</c> of <see cref="ILayer"/>s with its trainable parameters θ
/// (a list of tensors on one device, in one dtype). Every evaluation can take an explicit θ, so
/// f can be evaluated, and differentiated forward, at θ_{t−1}, θ_t or θ_0 without copying weights
/// in and out. Output shape <c>[N, k]</c>.
/// </summary>
public sealed class Network : IDisposable
{
    private readonly int[] _offsets; // first parameter index of each layer
    private readonly Lazy<(ILayer layer, int offset)[]> _runs; // layers with their own rule, and runs of the others

    /// <summary>The layers, input first.</summary>
    public IReadOnlyList<ILayer> Layers { get; }

    /// <summary>Trainable parameters θ, in layer order (the order of the flat vector).</summary>
    public IReadOnlyList<Parameter> Parameters { get; }

    /// <summary>Number of outputs k.</summary>
    public int Outputs { get; }

    /// <summary>Element type of parameters and activations.</summary>
    public ScalarType DType { get; }

    /// <summary>Device holding θ; inputs are moved here.</summary>
    public Device Device { get; }

    /// <summary>Whether some layer couples rows (batch-statistics <see cref="BatchNorm"/>): f of a row then depends on the whole batch.</summary>
    public bool RowsInteract => Layers.Any(l => l.RowsInteract);

    /// <summary>Total number of scalar parameters P.</summary>
    public long ParameterCount => Parameters.Sum(p => p.numel());

    /// <summary>Build and initialise (seeded; α multiplies every initial parameter, as in large-initialisation grokking).</summary>
    public Network(
        IReadOnlyList<ILayer> layers,
        int outputs,
        long seed,
        double alpha,
        ScalarType dtype,
        Device device
    )
    {
        Native.TorchRuntime.EnsureLoaded();
        if (dtype != ScalarType.Float32 && dtype != ScalarType.Float64)
            throw new ArgumentException($"dtype must be float32 or float64, not {dtype}");
        Layers = layers;
        Outputs = outputs;
        DType = dtype;
        Device = device;
        var rng = new Rng(seed, stream: 1);
        var ps = new List<Parameter>();
        _offsets = new int[layers.Count];
        for (int l = 0; l < layers.Count; l++)
        {
            _offsets[l] = ps.Count;
            var init = layers[l].Initialise(rng, alpha);
            var shapes = layers[l].ParameterShapes;
            for (int j = 0; j < shapes.Count; j++)
            {
                var t = HostArrays.ToTensor(init[j], shapes[j], dtype: dtype, device: device);
                ps.Add(new Parameter(t, requires_grad: true));
            }
        }
        Parameters = ps;
        _runs = new(Runs);
    }

    /// <summary>
    /// The layers as <see cref="Tangent"/> walks them: a layer with its own tangent rule alone, and each run of
    /// consecutive layers without one as a single block (one generic double-backward graph per run, not per layer).
    /// </summary>
    private (ILayer layer, int offset)[] Runs()
    {
        var runs = new List<(ILayer, int)>();
        for (int l = 0; l < Layers.Count; )
        {
            if (Tangents.GenericTangent.HasOwnRule(Layers[l]))
            {
                runs.Add((Layers[l], _offsets[l]));
                l++;
                continue;
            }
            int start = l;
            while (l < Layers.Count && !Tangents.GenericTangent.HasOwnRule(Layers[l]))
                l++;
            runs.Add(
                l - start == 1
                    ? (Layers[start], _offsets[start])
                    : (
                        new Tangents.LayerRun(Layers.Skip(start).Take(l - start).ToArray()),
                        _offsets[start]
                    )
            );
        }
        return runs.ToArray();
    }

    private static ReadOnlySpan<Tensor> Slice(IReadOnlyList<Tensor> theta, int start, int count)
    {
        var a = new Tensor[count];
        for (int i = 0; i < count; i++)
            a[i] = theta[start + i];
        return a;
    }

    /// <summary>Move/convert an input batch to this network's device and dtype.</summary>
    public Tensor Prepare(Tensor x) => x.to(DType, Device);

    /// <summary>f_θ(x) at the current parameters; <c>[N, …] → [N, k]</c>.</summary>
    public Tensor Forward(Tensor x) => Forward(x, Parameters);

    /// <summary>
    /// f_θ(x) at an explicit θ (same shapes as <see cref="Parameters"/>). The layers' intermediate tensors live in a
    /// dispose scope of this call (<see cref="Lifetimes"/>), so none can be finalised while libtorch reads it; the
    /// result goes to the caller's scope (or to no scope when the caller has none).
    /// </summary>
    public Tensor Forward(Tensor x, IReadOnlyList<Tensor> theta)
    {
        using var scope = torch.NewDisposeScope();
        var a = x;
        for (int l = 0; l < Layers.Count; l++)
            a = Layers[l].Forward(a, Slice(theta, _offsets[l], Layers[l].ParameterShapes.Count));
        Lifetimes.KeepAlive(x, theta);
        return scope.MoveToOuter(a);
    }

    /// <summary>
    /// Forward-mode pass: returns <c>(f_θ(x), ∇f_θ(x)ᵀ Δθ)</c>, both <c>[N, k]</c>, exact (no finite
    /// differences), about two to three forward passes of cost, no graph. Used for the telescoped
    /// increment ∇f_{θ_{t−1}}(x)ᵀΔθ_t and for the linearised model. Each layer uses its own tangent
    /// rule; a layer without one uses the generic per-layer rule (<see cref="Tangents.GenericTangent"/>).
    /// </summary>
    public (Tensor f, Tensor jvp) Tangent(
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> direction
    )
    {
        using var scope = torch.NewDisposeScope(); // temporaries reachable while libtorch reads them (Lifetimes)
        long rows = x.shape[0];
        int blocks = RowsInteract ? 1 : RowWorkers.BlocksFor(rows, Device);
        (Tensor f, Tensor jvp) result;
        if (blocks == 1)
            result = TangentOf(x, theta, direction);
        else
        {
            // row blocks on workers at one intra-op thread each (RowWorkers): no OpenMP team wake-up per op
            var parts = RowWorkers.Map(blocks, b =>
            {
                var (start, length) = RowWorkers.Block(rows, blocks, b);
                using var block = torch.NewDisposeScope();
                var (f, jvp) = TangentOf(x.narrow(0, start, length), theta, direction);
                return (f: f.MoveToOuterDisposeScope(), jvp: jvp.MoveToOuterDisposeScope());
            });
            // the workers' results belong to no scope: cat them here, then free them
            var fs = parts.Select(p => p.f).ToArray();
            var js = parts.Select(p => p.jvp).ToArray();
            result = (torch.cat(fs, 0), torch.cat(js, 0));
            foreach (var t in fs.Concat(js))
                t.Dispose();
        }
        Lifetimes.KeepAlive(x, theta, direction);
        return scope.MoveToOuter(result.f, result.jvp);
    }

    private (Tensor f, Tensor jvp) TangentOf(
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> direction
    )
    {
        using var _ = torch.no_grad();
        Tensor a = x;
        Tensor? da = null;
        foreach (var (layer, offset) in _runs.Value)
        {
            int n = layer.ParameterShapes.Count;
            (a, da) = layer.Tangent(a, da, Slice(theta, offset, n), Slice(direction, offset, n));
        }
        return (a, da ?? torch.zeros_like(a));
    }

    /// <summary>Whether every layer has a tangent rule that takes its primal output (<see cref="IPrimalTangent"/>): <see cref="Trace"/> works.</summary>
    public bool CanTrace => Layers.All(l => l is IPrimalTangent);

    /// <summary>
    /// f_θ(x) with every layer's input kept, for <see cref="TangentFrom"/> (null when not <see cref="CanTrace"/>).
    /// The rows are split into the same blocks as <see cref="Tangent"/> at the current thread count, each computed
    /// as Tangent computes its primal, so a tangent from the trace equals Tangent's to the bit. No graph.
    /// </summary>
    internal PrimalTrace? Trace(Tensor x, IReadOnlyList<Tensor> theta)
    {
        if (!CanTrace)
            return null;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        long rows = x.shape[0];
        int blocks = RowWorkers.BlocksFor(rows, Device);
        Tensor[] Levels(Tensor xb)
        {
            var levels = new Tensor[Layers.Count + 1];
            levels[0] = xb.alias();
            for (int l = 0; l < Layers.Count; l++)
                levels[l + 1] = Layers[l]
                    .Forward(levels[l], Slice(theta, _offsets[l], Layers[l].ParameterShapes.Count));
            foreach (var t in levels)
                t.DetachFromDisposeScope();
            return levels;
        }
        PrimalTrace trace;
        if (blocks == 1)
        {
            var levels = Levels(x);
            trace = new PrimalTrace([levels], levels[^1]);
        }
        else
        {
            var parts = RowWorkers.Map(blocks, b =>
            {
                var (start, length) = RowWorkers.Block(rows, blocks, b);
                using var block = torch.NewDisposeScope();
                return Levels(x.narrow(0, start, length));
            });
            var output = torch.cat(parts.Select(p => p[^1]).ToArray(), 0);
            output.DetachFromDisposeScope();
            trace = new PrimalTrace(parts, output);
        }
        Lifetimes.KeepAlive(x, theta);
        return trace;
    }

    /// <summary>
    /// ∇f_θ(x)ᵀΔθ <c>[N, k]</c> from a <see cref="Trace"/> of the same x at the same θ (made at the same thread
    /// count): <see cref="Tangent"/>'s jvp without its primal pass, the same values.
    /// </summary>
    internal Tensor TangentFrom(
        PrimalTrace trace,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> direction
    )
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        Tensor Walk(Tensor[] levels)
        {
            Tensor? da = null;
            for (int l = 0; l < Layers.Count; l++)
            {
                int n = Layers[l].ParameterShapes.Count;
                da = ((IPrimalTangent)Layers[l]).TangentGiven(
                    levels[l],
                    levels[l + 1],
                    da,
                    Slice(theta, _offsets[l], n),
                    Slice(direction, _offsets[l], n)
                );
            }
            return da ?? torch.zeros_like(levels[^1]);
        }
        Tensor result;
        if (trace.Levels.Length == 1)
            result = Walk(trace.Levels[0]);
        else
        {
            var parts = RowWorkers.Map(trace.Levels.Length, b =>
            {
                using var block = torch.NewDisposeScope();
                return Walk(trace.Levels[b]).MoveToOuterDisposeScope();
            });
            result = torch.cat(parts, 0);
            foreach (var t in parts)
                t.Dispose();
        }
        GC.KeepAlive(trace);
        GC.KeepAlive(theta);
        GC.KeepAlive(direction);
        return scope.MoveToOuter(result);
    }

    /// <summary>Detached copies of the current θ (for θ_{t−1}, θ_0, checkpoints).</summary>
    public Tensor[] Snapshot()
    {
        using var _ = torch.no_grad();
        return Parameters.Select(p => p.detach().clone()).ToArray();
    }

    /// <summary>Overwrite θ with the given tensors.</summary>
    public void Load(IReadOnlyList<Tensor> theta)
    {
        using var _ = torch.no_grad();
        for (int i = 0; i < Parameters.Count; i++)
            Parameters[i].copy_(theta[i]);
    }

    /// <summary>A one-line description of the architecture.</summary>
    public string Describe() =>
        string.Join(" – ", Layers.Select(l => l.Describe())) + $" (P = {ParameterCount})";

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in Parameters)
            p.Dispose();
    }
}
