using Telescope.Models;
using Telescope.Tangents;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <c>telescope bench telescoping</c>: the cost of the batched telescoped update
/// ∇f_{θ_{t−1}}(X)ᵀΔθ_t for N probe points on an MLP 784–256–256–10, measured in one run against a
/// forward pass on the same points (baseline) and a per-example autograd loop. Ratios, not absolute
/// times, are the result: <c>jvp_over_forward</c> (goal ≤ 4) and <c>speedup_vs_per_example</c> (goal ≥ 50).
/// The generic path (for layers without a hand-written tangent rule) is timed on the same MLP three ways: the
/// whole-network double backward (<c>JvpMethod.DoubleBackward</c>); <see cref="Network.Tangent"/> of the same
/// layers seen as forward-only layers (consecutive rule-less layers run as one double-backward block, which is
/// what a user's forward-only layers get); and <see cref="GenericTangent"/> layer by layer (one graph per layer,
/// the worst case). Their ratios to the hand-written forward-mode pass are <c>generic_*_over_forward_mode</c>
/// (goal ≤ 2). The five passes are timed in turn, round by round (<see cref="Timing.Interleaved"/>), and each
/// ratio is the median of its per-round ratios, so a slow spell of a shared machine falls on both sides of it.
/// Printed, never asserted.
/// </summary>
internal static class TelescopingBench
{
    /// <summary>Run the benchmark; observations go to <paramref name="sink"/> (quantity, value; split empty).</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        int n = 1000,
        ScalarType dtype = ScalarType.Float32,
        string device = "cpu",
        int repeats = 21,
        int loopExamples = 0,
        Action<string>? log = null
    )
    {
        var dev = Native.TorchRuntime.Device(device);
        using var net = BenchInputs.Mlp(10, dtype, dev);
        var x = BenchInputs.Points(n, dtype, dev);
        var theta = net.Snapshot();
        var delta = BenchInputs.Direction(net, dtype, dev);

        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
            log?.Invoke($"{q, -34} {v, 12:G5}");
        }

        using var forwardOnly = new Network(
            net.Layers.Select(l => (ILayer)new ForwardOnly(l)).ToList(),
            net.Outputs,
            0,
            1.0,
            dtype,
            dev
        );
        var offsets = new int[net.Layers.Count];
        for (int l = 1; l < offsets.Length; l++)
            offsets[l] = offsets[l - 1] + net.Layers[l - 1].ParameterShapes.Count;
        // Timed in turn, round by round (Timing.Interleaved): ratios are medians of per-round ratios.
        var t = Timing.Interleaved(
            [
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    using var _ = torch.no_grad();
                    net.Forward(x, theta);
                },
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    net.Tangent(x, theta, delta);
                },
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    Jvp.DoubleBackward(net, x, theta, delta, chunk: n);
                },
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    forwardOnly.Tangent(x, theta, delta); // one run of rule-less layers: one graph
                },
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    using var _ = torch.no_grad();
                    Tensor a = x;
                    Tensor? da = null;
                    for (int l = 0; l < net.Layers.Count; l++)
                    {
                        int np = net.Layers[l].ParameterShapes.Count;
                        (a, da) = GenericTangent.Of(
                            net.Layers[l],
                            a,
                            da,
                            theta.AsSpan(offsets[l], np),
                            delta.AsSpan(offsets[l], np)
                        );
                    }
                },
            ],
            repeats
        );
        double fwd = Timing.MedianOf(t[0]),
            jvp = Timing.MedianOf(t[1]),
            dbl = Timing.MedianOf(t[2]),
            forwardOnlyTime = Timing.MedianOf(t[3]),
            perLayer = Timing.MedianOf(t[4]);
        int loopN = loopExamples > 0 ? Math.Min(loopExamples, n) : n;
        var xLoop = x.narrow(0, 0, loopN);
        double loop =
            Timing.Median(
                () =>
                {
                    using var s = torch.NewDisposeScope();
                    Jvp.PerExample(net, xLoop, theta, delta);
                },
                repeats: 1,
                warmup: 0
            )
            * n
            / loopN;

        Put("n_points", n);
        Put("parameters", net.ParameterCount);
        Put("threads", torch.get_num_threads());
        Put("forward_ms", fwd * 1e3);
        Put("jvp_forward_mode_ms", jvp * 1e3);
        Put("jvp_double_backward_ms", dbl * 1e3);
        Put("jvp_generic_forward_only_layers_ms", forwardOnlyTime * 1e3);
        Put("jvp_generic_per_layer_ms", perLayer * 1e3);
        Put("per_example_loop_ms", loop * 1e3);
        Put("per_example_loop_examples_timed", loopN);
        Put("jvp_over_forward", Timing.MedianRatio(t[1], t[0]));
        Put("double_backward_over_forward", Timing.MedianRatio(t[2], t[0]));
        Put("speedup_vs_per_example", loop / jvp);
        Put("generic_double_backward_over_forward_mode", Timing.MedianRatio(t[2], t[1]));
        Put("generic_forward_only_layers_over_forward_mode", Timing.MedianRatio(t[3], t[1]));
        Put("generic_per_layer_over_forward_mode", Timing.MedianRatio(t[4], t[1]));
        Put("peak_resident_mib", Timing.PeakResidentMiB());
        return r;
    }
}

/// <summary>A layer seen through its forward map only: its tangent is the interface's generic default.</summary>
internal sealed class ForwardOnly(ILayer inner) : ILayer
{
    public IReadOnlyList<long[]> ParameterShapes => inner.ParameterShapes;

    public double[][] Initialise(Rng rng, double alpha) => inner.Initialise(rng, alpha);

    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => inner.Forward(a, p);

    public string Describe() => $"ForwardOnly({inner.Describe()})";
}
