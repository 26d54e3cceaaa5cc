using System.IO.Compression;
using Telescope.Data;
using Telescope.Experiments.Studies.GbtVsNn;
using Telescope.Experiments.Studies.Lmc;
using Telescope.Hosting;
using Telescope.Models;
using Telescope.Tensors;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Telescope.Tests;

/// <summary>The pieces of the gbt-vs-nn and lmc studies: data, kernel norms, IDX files, batch-norm interpolation.</summary>
public class GbtVsNnAndLmcTests
{
    [Fact]
    public void Irregular_pool_is_the_top_scores_and_never_trained_on()
    {
        var s = HousesLike.Split(
            rows: 600,
            train: 300,
            validation: 60,
            irregularShare: 0.1,
            seed: 3
        );
        Assert.Equal(60, s.Irregular.Length);
        double minIrregular = s.Irregular.Min(i => s.Score[i]);
        Assert.All(s.Train.Concat(s.RegularTest), i => Assert.True(s.Score[i] <= minIrregular));
        Assert.Empty(s.Train.Intersect(s.Irregular));
        Assert.Empty(s.Train.Intersect(s.RegularTest));
        Assert.Equal(600, s.Train.Length + s.RegularTest.Length + s.Irregular.Length);
        Assert.Subset(s.Train.ToHashSet(), s.Validation.ToHashSet());
        // standardised target: train mean 0, sd 1
        var y = s.Targets(s.Train);
        Assert.Equal(0.0, y.Average(), 10);
        Assert.Equal(1.0, Math.Sqrt(y.Average(v => v * v)), 10);
        // a test set with p = 0.5 has exactly half its rows from the pool
        var t = s.TestSet(0.5, 100, 1);
        Assert.Equal(50, t.Intersect(s.Irregular).Count());
        Assert.Equal(100, t.Distinct().Count());
    }

    [Fact]
    public void First_principal_component_of_a_stretched_cloud_is_its_long_axis()
    {
        var rng = new Rng(1, 1);
        int n = 2000;
        var z = new double[n * 2];
        for (int i = 0; i < n; i++)
        {
            double a = 3 * rng.NextGaussian(),
                b = 0.5 * rng.NextGaussian();
            z[2 * i] = (a - b) / Math.Sqrt(2);
            z[2 * i + 1] = (a + b) / Math.Sqrt(2);
        }
        var pc = IrregularSplit.FirstPrincipalComponent(z, 2);
        Assert.Equal(1.0, Math.Abs(pc[0] + pc[1]) / Math.Sqrt(2), 2);
    }

    [Fact]
    public void Factorised_mlp_kernel_equals_the_jacobian_product()
    {
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [7, 5]), [4]);
        var xa = Fixtures.Inputs(1, 6, 4);
        var xb = Fixtures.Inputs(2, 3, 4);
        using var a = MlpKernelBlock.Of(net, xa);
        using var b = MlpKernelBlock.Of(net, xb);
        var k = a.Kernel(b);
        var theta = net.Parameters.Cast<Tensor>().ToArray();
        var ja = Tangents.Jvp.Jacobian(net, xa, theta).reshape(6, -1);
        var jb = Tangents.Jvp.Jacobian(net, xb, theta).reshape(3, -1);
        Assert.True(Fixtures.RelErr(k, ja.matmul(jb.t())) < 1e-10);
        // the rows of a selection are the selected rows
        using var sel = a.Select(HostArrays.ToTensor(new long[] { 4, 1 }));
        Assert.True(
            Fixtures.RelErr(
                sel.Kernel(b),
                k.index_select(0, HostArrays.ToTensor(new long[] { 4, 1 }))
            ) < 1e-14
        );
    }

    private static byte[] IdxBytes(int[] dims, byte[] data, byte type = 0x08)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (var d in dims)
            ms.Write([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
        ms.Write(data);
        return ms.ToArray();
    }

    private static string Temp(byte[] bytes, bool gzip)
    {
        var path = Path.Combine(
            Path.GetTempPath(),
            $"idx-test-{Guid.NewGuid():N}" + (gzip ? ".gz" : "")
        );
        if (gzip)
        {
            using var f = File.Create(path);
            using var gz = new GZipStream(f, CompressionLevel.Fastest);
            gz.Write(bytes);
        }
        else
            File.WriteAllBytes(path, bytes);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Idx_reads_a_well_formed_file(bool gzip)
    {
        var data = Enumerable.Range(0, 2 * 3 * 4).Select(i => (byte)i).ToArray();
        var path = Temp(IdxBytes([2, 3, 4], data), gzip);
        var a = Idx.Read(path);
        Assert.Equal([2, 3, 4], a.Dims);
        Assert.Equal(data, a.Data);
        File.Delete(path);
    }

    [Fact]
    public void Idx_rejects_truncated_wrong_and_padded_files()
    {
        var good = IdxBytes([5, 2], Enumerable.Repeat((byte)7, 10).ToArray());
        void Rejects(byte[] bytes, bool gzip, string expected)
        {
            var path = Temp(bytes, gzip);
            var e = Assert.Throws<InvalidDataException>(() => Idx.Read(path));
            Assert.Contains(expected, e.Message);
            Assert.Contains(path, e.Message);
            File.Delete(path);
        }
        Rejects(good[..^3], false, "truncated");
        Rejects(good[..^3], true, "truncated");
        Rejects(good[..6], false, "truncated");
        Rejects([.. good, 1, 2], false, "unexpected bytes");
        Rejects([1, 2, 3, 4, 5, 6, 7, 8], false, "magic");
        Rejects(IdxBytes([3], [1, 2, 3], type: 0x0D), false, "not supported");
        // a gzip stream cut in the middle
        var gzPath = Temp(good, true);
        var cut = File.ReadAllBytes(gzPath)[..12];
        File.Delete(gzPath);
        var cutPath = Temp(cut, false);
        Assert.Throws<InvalidDataException>(() => Idx.Read(cutPath));
        File.Delete(cutPath);
        Assert.Throws<FileNotFoundException>(() => Idx.Read("/nonexistent/file-idx3-ubyte"));
    }

    [Fact]
    public void Fashion_mnist_loader_names_missing_files()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"fm-missing-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var e = Assert.Throws<FileNotFoundException>(() => FashionMnist.Load("train", dir));
        Assert.Contains("dataset-fashion-mnist", e.Message);
        // images and labels that disagree in count
        File.WriteAllBytes(
            Path.Combine(dir, "t10k-images-idx3-ubyte"),
            IdxBytes([2, 28, 28], new byte[2 * 784])
        );
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), IdxBytes([3], [1, 2, 3]));
        var e2 = Assert.Throws<InvalidDataException>(() => FashionMnist.Load("t10k", dir));
        Assert.Contains("3 labels for 2 images", e2.Message);
        Directory.Delete(dir, true);
    }

    [Fact]
    public void Batch_norm_statistics_are_interpolated_like_weights()
    {
        using var a = SmallCnn.Build(batchNorm: true, 2, 3, seed: 1);
        using var b = SmallCnn.Build(batchNorm: true, 2, 3, seed: 2);
        // move the running statistics away from their defaults
        a.train();
        b.train();
        using (torch.no_grad())
        {
            a.forward(Fixtures.Inputs(3, 8, 1, 28, 28).to_type(ScalarType.Float32));
            b.forward(Fixtures.Inputs(4, 8, 1, 28, 28).to_type(ScalarType.Float32).Times(3));
        }
        var sa = SmallCnn.Snapshot(a);
        var sb = SmallCnn.Snapshot(b);
        Assert.Contains("bn1.running_mean", sa.Keys);
        Assert.Contains("bn2.running_var", sa.Keys);
        var half = SmallCnn.Interpolate(sa, sb, 0.5);
        foreach (var (k, v) in sa)
        {
            if (!v.is_floating_point())
                continue;
            var expected = v.add(sb[k]).Times(0.5);
            Assert.True(half[k].sub(expected).abs().max().item<float>() < 1e-6, k);
        }
        var one = SmallCnn.Interpolate(sa, sb, 1.0);
        Assert.Equal(
            0f,
            one["bn1.running_var"].sub(sa["bn1.running_var"]).abs().max().item<float>()
        );
        Assert.False(sa["bn1.running_var"].allclose(sb["bn1.running_var"]));
        // the interpolated running statistics are what eval mode uses
        using var probe = SmallCnn.Build(batchNorm: true, 2, 3, seed: 5);
        probe.load_state_dict(half);
        probe.eval();
        var x = Fixtures.Inputs(6, 4, 1, 28, 28).to_type(ScalarType.Float32);
        var y1 = probe.forward(x);
        probe.load_state_dict(SmallCnn.Interpolate(sa, sb, 0.3));
        Assert.False(y1.allclose(probe.forward(x)));
    }
}
