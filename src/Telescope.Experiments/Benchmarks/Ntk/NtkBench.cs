using Telescope.Kernels;
using Telescope.Models;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <c>telescope bench ntk</c>: the empirical tangent kernel <c>K(X, X)</c> (traced over outputs,
/// <c>[N, N]</c>) of an MLP 784–256–256–10 on N points, in one run, by the three
/// <see cref="NtkMethod"/>s, against a plain GEMM of comparable size as the machine's ceiling.
/// <list type="bullet">
/// <item><c>structured_ms</c>: <see cref="NtkMethod.Structured"/> at full N (timed: median of repeats).</item>
/// <item><c>jacobian_ms</c>: <see cref="NtkMethod.Jacobian"/>. At full N its J alone is N·k·P numbers
/// (10.8 GB in float32 here), so it is timed at <c>jacobian_points</c> rows and extrapolated from its two
/// parts: the per-example autograd Jacobian (linear in N) and the GEMM J Jᵀ (quadratic in N). The measured
/// parts are in the table too.</item>
/// <item><c>per_example_ms</c>: <see cref="NtkMethod.PerExample"/>, timed for <c>per_example_rows</c> rows of
/// A against all N rows of B and scaled by N/rows (its cost is exactly linear in the rows of A).</item>
/// <item><c>gemm_gflops</c>: <c>[N, k·w] × [k·w, N]</c> GEMM (the shape of the structured method's largest
/// contraction), median of repeats.</item>
/// <item><c>structured_gflops</c> counts the structured method's arithmetic: the Gram matrices
/// <c>2N²(w_{l−1} + k·w_l)</c> per layer, the forward pass <c>2NP</c> and the batched signal backward
/// <c>2kN Σ_{l≥2} w_l w_{l−1}</c>; <c>structured_fraction_of_gemm_peak</c> = its rate / the GEMM rate (goal ≥ 0.5).</item>
/// <item><c>structured_speedup_vs_jacobian</c> = jacobian_ms / structured_ms (goal ≥ 10).</item>
/// <item>Memory: <c>*_peak_mib</c> = peak resident set during that method minus resident set before it
/// (Linux VmHWM, reset through /proc/self/clear_refs); <c>jacobian_required_mib</c> is the J at full N.</item>
/// </list>
/// The result agrees across methods (checked on the rows timed; <c>max_rel_diff_*</c>).
/// </summary>
internal static class NtkBench
{
    /// <summary>Run the benchmark.</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        int n = 1000,
        ScalarType dtype = ScalarType.Float32,
        string device = "cpu",
        int repeats = 3,
        int jacobianPoints = 100,
        int perExampleRows = 4,
        Action<string>? log = null
    )
    {
        var dev = Native.TorchRuntime.Device(device);
        const int k = 10;
        int[] widths = [784, 256, 256, k];
        using var net = BenchInputs.Mlp(k, dtype, dev);
        var x = BenchInputs.Points(n, dtype, dev);
        var theta = net.Snapshot();
        double p = net.ParameterCount;
        int bytes = dtype == ScalarType.Float64 ? 8 : 4;

        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
            log?.Invoke($"{q, -38} {v, 14:G5}");
        }

        Put("n_points", n);
        Put("parameters", p);
        Put("outputs", k);
        Put("threads", torch.get_num_threads());

        // the ceiling: a plain GEMM of the structured method's largest contraction
        int inner = k * 256;
        var ga = torch.rand([n, inner], dtype: dtype, device: dev);
        var gb = torch.rand([inner, n], dtype: dtype, device: dev);
        double gemm = Timing.Median(
            () =>
            {
                using var s = torch.NewDisposeScope();
                ga.matmul(gb);
            },
            repeats: Math.Max(repeats, 5)
        );
        double gemmRate = 2.0 * n * n * inner / gemm / 1e9;
        Put("gemm_ms", gemm * 1e3);
        Put("gemm_gflops", gemmRate);

        // structured, full N
        var (structured, structuredPeak) = Measure(
            () =>
            {
                using var s = torch.NewDisposeScope();
                Ntk.Compute(net, x, x, theta, NtkMethod.Structured);
            },
            repeats
        );
        double flops = 2.0 * n * p; // forward
        for (int l = 2; l < widths.Length; l++)
            flops += 2.0 * k * n * widths[l] * widths[l - 1]; // batched signal backward Δ_{l−1} = Δ_l W_l (not below layer 1)
        for (int l = 1; l < widths.Length; l++)
            flops += 2.0 * n * n * (widths[l - 1] + k * widths[l]); // Gram matrices A Aᵀ and Σ_o Δ_o Δ_oᵀ
        Put("structured_ms", structured * 1e3);
        Put("structured_gflops", flops / structured / 1e9);
        Put("structured_fraction_of_gemm_peak", flops / structured / 1e9 / gemmRate);
        Put("structured_peak_mib", structuredPeak);
        KernelFeatures? feats = null;
        double featMs = Timing.Median(
            () =>
            {
                feats = KernelFeatures.Of(net, x, theta);
            },
            repeats
        );
        double contractMs = Timing.Median(
            () =>
            {
                using var s = torch.NewDisposeScope();
                feats!.Contract(feats);
            },
            repeats
        );
        Put("structured_features_ms", featMs * 1e3);
        Put("structured_contract_ms", contractMs * 1e3);

        // Jacobian contraction at m rows, extrapolated by its parts
        int m = Math.Min(jacobianPoints, n);
        var xm = x.narrow(0, 0, m);
        Tensor? jm = null;
        var (jBuild, jPeak) = Measure(
            () =>
            {
                jm?.Dispose();
                jm = Ntk.AutogradJacobian(net, xm, theta).reshape(m, -1);
                jm.DetachFromDisposeScope();
            },
            repeats: 1
        );
        double jGemm = Timing.Median(
            () =>
            {
                using var s = torch.NewDisposeScope();
                jm!.matmul(jm.t());
            },
            repeats
        );
        double scale = (double)n / m;
        double jacobian = jBuild * scale + jGemm * scale * scale;
        Put("jacobian_points", m);
        Put("jacobian_build_ms_measured", jBuild * 1e3);
        Put("jacobian_gemm_ms_measured", jGemm * 1e3);
        Put("jacobian_ms", jacobian * 1e3);
        Put("jacobian_peak_mib_measured", jPeak);
        Put("jacobian_required_mib", (double)n * k * p * bytes / (1 << 20));
        Put("structured_speedup_vs_jacobian", jacobian / structured);
        using (var s = torch.NewDisposeScope())
        {
            var ks = Ntk.Compute(net, xm, xm, theta, NtkMethod.Structured);
            var kj = jm!.matmul(jm.t());
            Put(
                "max_rel_diff_structured_vs_jacobian",
                ks.Minus(kj).abs().max().item<float>() / kj.abs().max().item<float>()
            );
        }
        jm!.Dispose();

        // per-example loop: rows of A against all of B
        int q = Math.Min(perExampleRows, n);
        var xq = x.narrow(0, 0, q);
        Tensor? kq = null;
        var (perRows, perPeak) = Measure(
            () =>
            {
                kq?.Dispose();
                kq = Ntk.Compute(net, xq, x, theta, NtkMethod.PerExample);
                kq.DetachFromDisposeScope();
            },
            repeats: 1
        );
        Put("per_example_rows", q);
        Put("per_example_ms", perRows * n / q * 1e3);
        Put("per_example_peak_mib", perPeak);
        Put("structured_speedup_vs_per_example", perRows * n / q / structured);
        using (var s = torch.NewDisposeScope())
        {
            var ks = Ntk.Compute(net, xq, x, theta, NtkMethod.Structured);
            Put(
                "max_rel_diff_structured_vs_per_example",
                ks.Minus(kq!).abs().max().item<float>() / ks.abs().max().item<float>()
            );
        }
        return r;
    }

    /// <summary>Median seconds of <paramref name="repeats"/> runs (after one warm-up when repeats &gt; 1) and the peak extra resident memory in MiB.</summary>
    private static (double seconds, double peakMiB) Measure(Action work, int repeats)
    {
        GC.Collect();
        ResetPeak();
        double before = Timing.ResidentMiB();
        double t = Timing.Median(work, repeats, warmup: repeats > 1 ? 1 : 0);
        return (t, Timing.PeakResidentMiB() - before);
    }

    private static void ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
