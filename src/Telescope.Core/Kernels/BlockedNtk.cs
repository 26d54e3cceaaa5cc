using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Kernels;

/// <summary>What <see cref="BlockedNtk.ToNpy"/> did.</summary>
/// <param name="Path">The <c>.npy</c> file: <c>[N, N]</c>, the network's dtype (<c>&lt;f4</c> or <c>&lt;f8</c>), C order.</param>
/// <param name="Points">N.</param>
/// <param name="Block">Rows per block B.</param>
/// <param name="Blocks">Row blocks ⌈N / B⌉.</param>
/// <param name="Computed">Row blocks computed by this call.</param>
/// <param name="Reused">Row blocks found complete on disk (resume).</param>
/// <param name="Seconds">Wall time of this call.</param>
/// <param name="FeaturesCached">Whether every block's features were kept in memory (else recomputed per block pair).</param>
public sealed record BlockedNtkResult(
    string Path,
    long Points,
    int Block,
    int Blocks,
    int Computed,
    int Reused,
    double Seconds,
    bool FeaturesCached
);

/// <summary>
/// The empirical tangent kernel <c>K(X, X) = Σ_o J_o(X) J_o(X)ᵀ</c> (traced over outputs, <c>[N, N]</c>) for N
/// too large for memory, computed in blocks and streamed to a NumPy <c>.npy</c> file that
/// <c>numpy.load(path, mmap_mode="r")</c> reads. Row block I (rows <c>[I·B, min(N, (I+1)·B))</c>) computes
/// <c>K_IJ = KernelFeatures(X_I).Contract(KernelFeatures(X_J))</c> (the structured per-layer contraction,
/// <see cref="NtkMethod.Structured"/>) for every J ≥ I, and writes <c>K_IJ</c> at rows I, columns J and, by
/// symmetry, <c>K_IJᵀ</c> at rows J, columns I: half the contractions of the full matrix.
/// Memory: the features of the blocks (<c>N·(Σ_l w_{l−1} + k·Σ_l w_l)</c> numbers, kept when they fit
/// <c>featureCacheBytes</c>, otherwise recomputed per block pair) plus one row slab <c>[B, N]</c> and the
/// contraction's <c>[B, B]</c> temporaries — never <c>N²</c>. Resumable by row block: a JSON sidecar
/// <c>path + ".progress.json"</c> lists the finished row blocks (written after the data is flushed to
/// disk) and a SHA-256 fingerprint of N, B, the dtype, X and θ; a call with the same inputs continues
/// where an interrupted one stopped, a call with different inputs starts the file again.
/// </summary>
public static class BlockedNtk
{
    /// <summary>
    /// Compute <c>K(X, X)</c> of <paramref name="net"/> at θ (default: its parameters) into <paramref name="path"/>.
    /// <paramref name="progress"/> receives (row blocks finished, row blocks) after each row block;
    /// <paramref name="cancel"/> is checked between row blocks (finished blocks stay on disk).
    /// Needs a network the structured kernel supports (<see cref="KernelFeatures.Supports(Network)"/>).
    /// </summary>
    public static BlockedNtkResult ToNpy(
        Network net,
        Tensor x,
        string path,
        int block = 1000,
        IReadOnlyList<Tensor>? theta = null,
        bool resume = true,
        long featureCacheBytes = 512L << 20,
        Action<int, int>? progress = null,
        CancellationToken cancel = default
    )
    {
        if (block < 1)
            throw new ArgumentOutOfRangeException(nameof(block), "must be ≥ 1");
        if (!KernelFeatures.Supports(net, out var why))
            throw new NotSupportedException($"BlockedNtk: {why}");
        var sw = System.Diagnostics.Stopwatch.StartNew();
        theta ??= net.Parameters;
        long n = x.shape[0];
        bool f64 = net.DType == ScalarType.Float64;
        int bytes = f64 ? 8 : 4;
        int blocks = (int)((n + block - 1) / block);
        var header = Npy.Header([n, n], f64);
        var progressPath = path + ".progress.json";
        var fingerprint = Fingerprint(x, theta, n, block, f64);

        var done = new SortedSet<int>();
        if (resume && File.Exists(progressPath) && File.Exists(path))
        {
            var p = JsonNode.Parse(File.ReadAllText(progressPath))!;
            if ((string?)p["fingerprint"] == fingerprint)
                foreach (var b in p["done"]!.AsArray())
                    done.Add((int)b!);
        }
        int reused = done.Count;
        long length = header.Length + n * n * bytes;
        if (reused == 0 || new FileInfo(path).Length != length)
        {
            done.Clear();
            reused = 0;
            Directory.CreateDirectory(
                System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!
            );
            using var fs = new FileStream(path, FileMode.Create, FileAccess.Write);
            fs.Write(header);
            fs.SetLength(length);
            SaveProgress(progressPath, fingerprint, n, block, blocks, done, path);
        }

        // features per block: all kept (computed once, in the outer scope) when they fit the cache budget
        long perRow;
        using (var probe = torch.NewDisposeScope())
        using (torch.no_grad())
            perRow = KernelFeatures.Of(net, x.narrow(0, 0, Math.Min(n, 1)), theta).Numbers;
        bool cache = perRow * n * bytes <= featureCacheBytes;
        using var cacheScope = torch.NewDisposeScope();
        var cached = new KernelFeatures?[blocks];
        int firstTodo = Enumerable.Range(0, blocks).FirstOrDefault(b => !done.Contains(b), blocks);
        if (cache)
            using (torch.no_grad())
                for (int b = firstTodo; b < blocks; b++)
                    cached[b] = Of(b);
        KernelFeatures Of(int b)
        {
            long r0 = (long)b * block;
            return KernelFeatures.Of(net, x.narrow(0, r0, Math.Min(block, n - r0)), theta);
        }
        KernelFeatures Features(int b) => cached[b] ?? Of(b);

        int computed = 0;
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
            for (int bi = 0; bi < blocks; bi++)
            {
                if (done.Contains(bi))
                    continue;
                cancel.ThrowIfCancellationRequested();
                long i0 = (long)bi * block;
                long bI = Math.Min(block, n - i0);
                // the row slab [bI, N − i0]: columns from i0 on
                var slab = new byte[bI * (n - i0) * bytes];
                for (int bj = bi; bj < blocks; bj++)
                {
                    long j0 = (long)bj * block;
                    long bJ = Math.Min(block, n - j0);
                    byte[] kij;
                    using (var s = torch.NewDisposeScope())
                    using (torch.no_grad())
                    {
                        var fi = Features(bi);
                        var fj = Features(bj);
                        kij = Bytes(fi.Contract(fj).contiguous(), f64);
                    }
                    long rowBytes = bJ * bytes;
                    for (long r = 0; r < bI; r++)
                        Buffer.BlockCopy(
                            kij,
                            (int)(r * rowBytes),
                            slab,
                            (int)((r * (n - i0) + (j0 - i0)) * bytes),
                            (int)rowBytes
                        );
                    if (bj > bi)
                        WriteTransposed(handle, header.Length, n, kij, bI, bJ, i0, j0, bytes);
                }
                long slabRow = (n - i0) * bytes;
                for (long r = 0; r < bI; r++)
                    RandomAccess.Write(
                        handle,
                        slab.AsSpan((int)(r * slabRow), (int)slabRow),
                        header.Length + ((i0 + r) * n + i0) * bytes
                    );
                RandomAccess.FlushToDisk(handle);
                done.Add(bi);
                computed++;
                SaveProgress(progressPath, fingerprint, n, block, blocks, done, path);
                if (!cache)
                    GC.Collect();
                progress?.Invoke(done.Count, blocks);
            }
        }
        return new BlockedNtkResult(
            path,
            n,
            block,
            blocks,
            computed,
            reused,
            sw.Elapsed.TotalSeconds,
            cache
        );
    }

    /// <summary>Whether the progress sidecar of <paramref name="path"/> says every row block is finished.</summary>
    public static bool IsComplete(string path)
    {
        var p = path + ".progress.json";
        return File.Exists(p) && (bool?)JsonNode.Parse(File.ReadAllText(p))!["complete"] == true;
    }

    /// <summary>Rows <c>[r0, r0 + rows)</c> of a kernel file, as a <c>[rows, N]</c> float64 tensor (a check without loading the file).</summary>
    public static Tensor ReadRows(string path, long r0, long rows)
    {
        var (shape, f64, offset) = Npy.ReadHeader(path);
        long n = shape[1];
        int bytes = f64 ? 8 : 4;
        var buf = new byte[rows * n * bytes];
        using (var h = File.OpenHandle(path))
            RandomAccess.Read(h, buf, offset + r0 * n * bytes);
        var vals = new double[rows * n];
        if (f64)
            Buffer.BlockCopy(buf, 0, vals, 0, buf.Length);
        else
        {
            var f = MemoryMarshal.Cast<byte, float>(buf);
            for (int i = 0; i < vals.Length; i++)
                vals[i] = f[i];
        }
        return HostArrays.ToTensor(vals, [rows, n], dtype: ScalarType.Float64);
    }

    private static void WriteTransposed(
        SafeFileHandle handle,
        long headerLength,
        long n,
        byte[] kij,
        long bI,
        long bJ,
        long i0,
        long j0,
        int bytes
    )
    {
        // K_JI = K_IJᵀ: row j0 + c, columns i0 … i0 + bI
        var row = new byte[bI * bytes];
        for (long c = 0; c < bJ; c++)
        {
            for (long r = 0; r < bI; r++)
                Buffer.BlockCopy(kij, (int)((r * bJ + c) * bytes), row, (int)(r * bytes), bytes);
            RandomAccess.Write(handle, row, headerLength + ((j0 + c) * n + i0) * bytes);
        }
    }

    private static byte[] Bytes(Tensor t, bool f64)
    {
        if (f64)
        {
            var d = t.to_type(ScalarType.Float64).data<double>().ToArray();
            return MemoryMarshal.AsBytes(d.AsSpan()).ToArray();
        }
        var f = t.to_type(ScalarType.Float32).data<float>().ToArray();
        return MemoryMarshal.AsBytes(f.AsSpan()).ToArray();
    }

    private static string Fingerprint(
        Tensor x,
        IReadOnlyList<Tensor> theta,
        long n,
        int block,
        bool f64
    )
    {
        using var sha = SHA256.Create();
        void Add(Tensor t)
        {
            var c = t.detach().contiguous().cpu().to_type(ScalarType.Float64);
            var d = c.data<double>().ToArray();
            var b = MemoryMarshal.AsBytes(d.AsSpan()).ToArray();
            sha.TransformBlock(b, 0, b.Length, null, 0);
        }
        var head = System.Text.Encoding.ASCII.GetBytes(
            $"ntk-traced n={n} block={block} f64={f64};"
        );
        sha.TransformBlock(head, 0, head.Length, null, 0);
        Add(x);
        foreach (var t in theta)
            Add(t);
        sha.TransformFinalBlock([], 0, 0);
        return Convert.ToHexString(sha.Hash!);
    }

    private static void SaveProgress(
        string progressPath,
        string fingerprint,
        long n,
        int block,
        int blocks,
        SortedSet<int> done,
        string path
    )
    {
        var o = new JsonObject
        {
            ["file"] = System.IO.Path.GetFileName(path),
            ["kernel"] = "empirical NTK K(X, X), traced over outputs, [N, N]",
            ["points"] = n,
            ["block"] = block,
            ["blocks"] = blocks,
            ["done"] = new JsonArray(done.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
            ["complete"] = done.Count == blocks,
            ["fingerprint"] = fingerprint,
        };
        var tmp = progressPath + ".tmp";
        File.WriteAllText(tmp, o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(tmp, progressPath, overwrite: true);
    }
}
