using Telescope.Experiments.Benchmarks;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// <c>bench peer --ops job</c> (issue 28): the PyTorch script of the main job runs on the peer's fastest OpenBLAS
/// kernels with OpenBLAS's own pool at torch's thread count (before, at <c>--threads 1</c> the pool took every core:
/// 43.9 CPU-seconds in 23.6 s), and computes the same final values as our study run. A few steps, no timing asserted.
/// </summary>
public sealed class PeerJobTests : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-peerjob-" + Guid.NewGuid().ToString("N")
    );

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    // independent of bench-peer.py: the kernels an AVX-512 CPU runs fastest are SkylakeX's, with AVX2 only Haswell's
    private static string FastestCore()
    {
        var flags = File.ReadLines("/proc/cpuinfo")
            .First(l => l.StartsWith("flags"))
            .Split(':', 2)[1]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return flags.Contains("avx512f") ? "SkylakeX"
            : flags.Contains("avx2") ? "Haswell"
            : "";
    }

    [Fact]
    public void ThePeerScriptRunsOnTheFastestKernelsWithOpenBlasAtTorchsThreadCount()
    {
        Prerequisites.EnsureInstalled(
            "the PyTorch peer",
            () =>
                PeerBench.PeerAvailable(
                    Python,
                    Prerequisites.RepoPath("scripts", "bench-peer.py"),
                    out _
                ),
            "install-peer.sh"
        );
        var r = PeerJob.Run(new PeerJobOptions { Steps = 4, Rounds = 1 }, [1], Python, _dir);
        var peer = r.Versions["peer"]!;
        Assert.Equal(1, (int)peer["openblas_threads"]!);
        var core = FastestCore();
        if (core != "")
            Assert.Equal(core, (string)peer["openblas_corename"]!);
        Assert.NotEmpty(r.Agreements);
        Assert.All(r.Agreements, a => Assert.True(a.Passed, $"{a}"));
    }
}
