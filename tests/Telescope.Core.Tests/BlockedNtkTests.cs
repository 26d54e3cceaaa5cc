using System.Diagnostics;
using System.Globalization;
using Telescope.Kernels;

namespace Telescope.Tests;

/// <summary>The blocked, streamed NTK (issue 15 item 5): equals the in-memory kernel, loads back, resumes by block.</summary>
public class BlockedNtkTests
{
    private static (Network net, Tensor x) Setup(ScalarType dtype = ScalarType.Float64, int n = 37)
    {
        var net = new ModelSpec(ModelKind.Mlp, [12, 9]).Build([6], 3, 4, dtype, torch.CPU);
        var x = torch.randn([n, 6], dtype: dtype, generator: new torch.Generator(11));
        return (net, x);
    }

    private static string TempFile() =>
        Path.Combine(
            Path.GetTempPath(),
            "telescope-blocked-" + Guid.NewGuid().ToString("N"),
            "kernel.npy"
        );

    private static double MaxRel(double[] a, Tensor b)
    {
        var bb = b.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        Assert.Equal(bb.Length, a.Length);
        double num = 0,
            den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num = Math.Max(num, Math.Abs(a[i] - bb[i]));
            den = Math.Max(den, Math.Abs(bb[i]));
        }
        return num / den;
    }

    [Theory]
    [InlineData(10, true)] // ragged last block, features cached
    [InlineData(10, false)] // features recomputed per block pair
    [InlineData(37, true)] // one block
    [InlineData(1, true)] // one row per block
    public void BlockedKernelEqualsTheInMemoryKernel(int block, bool cache)
    {
        var (net, x) = Setup();
        var path = TempFile();
        var res = BlockedNtk.ToNpy(net, x, path, block, featureCacheBytes: cache ? 1L << 30 : 0);
        Assert.Equal(cache, res.FeaturesCached);
        Assert.Equal((37 + block - 1) / block, res.Computed);
        Assert.True(BlockedNtk.IsComplete(path));
        var back = Npy.Read(path);
        Assert.Equal(new long[] { 37, 37 }, back.Shape);
        Assert.True(back.Float64);
        var mem = Ntk.Compute(net, x, x);
        Assert.True(MaxRel(back.Values, mem) < 1e-12, $"max rel diff {MaxRel(back.Values, mem)}");
        // and a wrong kernel would be caught: the in-memory kernel at other parameters differs
        var other = net.Parameters.Select(p => p.detach().mul(1.01)).ToArray();
        Assert.True(MaxRel(back.Values, Ntk.Compute(net, x, x, other)) > 1e-3);
    }

    [Fact]
    public void Float32KernelIsWrittenAsF4AndMatchesToRoundOff()
    {
        var (net, x) = Setup(ScalarType.Float32, 23);
        var path = TempFile();
        BlockedNtk.ToNpy(net, x, path, 8);
        var back = Npy.Read(path);
        Assert.False(back.Float64);
        Assert.Equal(back.DataOffset + 23L * 23 * 4, new FileInfo(path).Length);
        Assert.True(MaxRel(back.Values, Ntk.Compute(net, x, x)) < 1e-5);
        var rows = BlockedNtk.ReadRows(path, 5, 3);
        Assert.Equal(new long[] { 3, 23 }, rows.shape);
        Assert.Equal(back.Values[5 * 23 + 7], rows[0, 7].item<double>());
    }

    [Fact]
    public void AnInterruptedRunResumesFromItsFinishedBlocksAndGivesTheSameFile()
    {
        var (net, x) = Setup();
        var full = TempFile();
        BlockedNtk.ToNpy(net, x, full, 10);
        var path = TempFile();
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            BlockedNtk.ToNpy(
                net,
                x,
                path,
                10,
                progress: (done, _) =>
                {
                    if (done == 2)
                        cts.Cancel();
                },
                cancel: cts.Token
            )
        );
        Assert.False(BlockedNtk.IsComplete(path));
        var res = BlockedNtk.ToNpy(net, x, path, 10);
        Assert.Equal(2, res.Reused);
        Assert.Equal(2, res.Computed);
        Assert.True(BlockedNtk.IsComplete(path));
        Assert.Equal(File.ReadAllBytes(full), File.ReadAllBytes(path));

        // other parameters: nothing is reused
        net.Load(net.Parameters.Select(p => p.detach().mul(1.01)).ToArray());
        var again = BlockedNtk.ToNpy(net, x, path, 10);
        Assert.Equal(0, again.Reused);
        Assert.Equal(4, again.Computed);
        Assert.NotEqual(File.ReadAllBytes(full), File.ReadAllBytes(path));
    }

    [Fact]
    public void TheFileIsAStandardNpyThatNumpyLoads()
    {
        var (net, x) = Setup(ScalarType.Float64, 19);
        var path = TempFile();
        BlockedNtk.ToNpy(net, x, path, 7);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(
            new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 },
            bytes[..8]
        );
        var back = Npy.Read(path);
        Assert.Equal(0, back.DataOffset % 64);
        Assert.Equal('\n', (char)bytes[back.DataOffset - 1]);
        // with numpy (Debian's python3-numpy) installed: numpy reads the same numbers
        var psi = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(
            "import sys, numpy; a = numpy.load(sys.argv[1], mmap_mode='r'); print(a.dtype); print('x'.join(map(str, a.shape))); print(repr(float(a[3, 11])))"
        );
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd().Trim();
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode == 0)
        {
            var lines = output.Split('\n');
            Assert.Equal("float64", lines[0].Trim());
            Assert.Equal("19x19", lines[1].Trim());
            Assert.Equal(
                back.Values[3 * 19 + 11],
                double.Parse(lines[2], CultureInfo.InvariantCulture)
            );
        }
        else
            Assert.Contains("No module named 'numpy'", err);
    }
}
