using Telescope.Kernels;
using Telescope.Models;
using Telescope.Tensors;
using static TorchSharp.torch;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Settings of <see cref="NtkLargeBench"/> (the defaults are the benchmark's: N = 10,000 in blocks of 1,000).</summary>
internal sealed record NtkLargeBenchOptions
{
    /// <summary>Points N (the kernel is N × N).</summary>
    public int Points { get; init; } = 10_000;

    /// <summary>Rows per block B.</summary>
    public int Block { get; init; } = 1000;

    /// <summary>Element type of the model, the points and the file.</summary>
    public ScalarType DType { get; init; } = ScalarType.Float32;

    /// <summary>Reuse the finished blocks of an existing <c>kernel.npy</c> for the same inputs (false: start again).</summary>
    public bool Resume { get; init; } = true;

    /// <summary>Rows (first and last) checked against the in-memory kernel; 0 = none.</summary>
    public int CheckRows { get; init; } = 64;
}

/// <summary>
/// <c>telescope bench ntk-large</c>: the empirical NTK <c>K(X, X)</c> (traced over outputs) of the MLP of
/// <c>bench ntk</c> (784–256–256–10, float32, the same seeded points) for large N — default 10,000 — by
/// <see cref="BlockedNtk.ToNpy"/>, streamed to <c>kernel.npy</c> in bounded memory. Observations: time,
/// peak resident memory (VmHWM of this process), the file's size, the blocks computed and reused, the rate
/// in GFLOP/s of the contractions (<c>N²(Σ_l w_{l−1} + k·Σ_l w_l)</c> flops for the symmetric half), and a
/// check: rows <c>[0, checkRows)</c> and the last <c>checkRows</c> rows of the file against
/// <see cref="Ntk.Compute(Telescope.Models.Network, TorchSharp.torch.Tensor, TorchSharp.torch.Tensor, System.Collections.Generic.IReadOnlyList{TorchSharp.torch.Tensor}?, NtkMethod, NtkOutputs, int)"/> in memory (<c>max_rel_diff_file_vs_in_memory</c>, relative to max |K|).
/// </summary>
internal static class NtkLargeBench
{
    /// <summary>Run the benchmark, writing <c>kernel.npy</c> (+ its progress sidecar) into <paramref name="outDir"/>.</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        string outDir,
        NtkLargeBenchOptions o,
        Action<string>? log = null,
        Action<int, int>? progress = null,
        CancellationToken cancel = default
    )
    {
        if (o.Points < 1 || o.Block < 1 || o.CheckRows < 0)
            throw new ArgumentException("points and block must be ≥ 1, check rows ≥ 0");
        var (n, block, dtype, resume, checkRows) = (
            o.Points,
            o.Block,
            o.DType,
            o.Resume,
            o.CheckRows
        );
        var dev = Native.TorchRuntime.Device("cpu");
        const int k = 10;
        using var net = BenchInputs.Mlp(k, dtype, dev);
        var x = BenchInputs.Points(n, dtype, dev);
        GC.Collect(); // the host copy of the points
        var theta = net.Snapshot();
        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
            log?.Invoke($"{q, -38} {v, 14:G6}");
        }
        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "kernel.npy");
        var res = BlockedNtk.ToNpy(
            net,
            x,
            path,
            block,
            theta,
            resume,
            progress: progress,
            cancel: cancel
        );
        int[] widths = [784, 256, 256, k];
        double perPair = 0;
        for (int l = 1; l < widths.Length; l++)
            perPair += 2.0 * (widths[l - 1] + k * widths[l]);
        double fraction = res.Blocks == 0 ? 0 : (double)res.Computed / res.Blocks;
        Put("n_points", n);
        Put("block", block);
        Put("blocks", res.Blocks);
        Put("blocks_computed", res.Computed);
        Put("blocks_reused", res.Reused);
        Put("threads", torch.get_num_threads());
        Put("seconds", res.Seconds);
        Put("features_cached", res.FeaturesCached ? 1 : 0);
        // symmetric: about half of the N² pairs, for the computed share of the row blocks
        Put("contraction_gflops", perPair * n * (double)n / 2 * fraction / res.Seconds / 1e9);
        Put("file_mib", new FileInfo(path).Length / (double)(1 << 20));
        Put("peak_resident_mib", Timing.PeakResidentMiB());
        if (checkRows > 0)
        {
            int c = Math.Min(checkRows, n);
            double worst = 0;
            foreach (long r0 in new long[] { 0, n - c })
            {
                using var s = torch.NewDisposeScope();
                var xr = x.narrow(0, r0, c);
                var mem = Ntk.Compute(net, xr, x, theta).to_type(ScalarType.Float64);
                var file = BlockedNtk.ReadRows(path, r0, c);
                worst = Math.Max(
                    worst,
                    file.Minus(mem).abs().max().item<double>() / mem.abs().max().item<double>()
                );
            }
            Put("check_rows", c);
            Put("max_rel_diff_file_vs_in_memory", worst);
        }
        Put("complete", BlockedNtk.IsComplete(path) ? 1 : 0);
        return r;
    }
}
