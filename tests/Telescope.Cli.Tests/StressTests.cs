using Telescope.Experiments.Stress;
using Telescope.Experiments.Studies;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The stress harness's short version (<c>telescope stress</c>): every study's tiny configuration in two child
/// processes at once, two workers each, with the GC driven hard and a fully optimised JIT — no crash, no failed run,
/// and every repeat of a case writes its first table's bytes. Its bounds are checked before any work.
/// </summary>
public sealed class StressTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("stress");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    [Fact]
    public void EveryStudyInTwoProcessesAtOnceWithTheGcDrivenNeitherCrashesNorDiffers()
    {
        var (code, stdout, stderr) = Repo.Cli(
            "stress",
            "--processes",
            "2",
            "--rounds",
            "1",
            "--workers",
            "2",
            "--out",
            _dir
        );
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Contains("stress: 2 processes, exit codes 0,0: 0 crashed, 0 failed", stdout);
        // each child ran every case on both workers and compared the repeats
        int runs =
            2 * StressHarness.Cases.Sum(c => StudyCatalog.Find(c.Study).Plan(c.Values).RunCount);
        foreach (var p in new[] { "[p0]", "[p1]" })
            Assert.Contains(
                $"{p} stress: {runs} runs, 0 failed, 0 tables differed from their case's first",
                stdout
            );
    }

    [Theory]
    [InlineData("--rounds", "0", "rounds must be 1–1000, got 0")]
    [InlineData("--workers", "9", "workers must be 1–8, got 9")]
    [InlineData("--case", "nope", "unknown case 'nope'")]
    [InlineData("--processes", "17", "processes must be 1–16, got 17")]
    [InlineData("--threads", "5", "threads must be 1–4, got 5")]
    public void ABadBoundIsOneLineAndExitTwoBeforeAnyWork(
        string option,
        string value,
        string message
    )
    {
        var (code, stdout, stderr) = Repo.Cli("stress", option, value, "--out", _dir);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_dir));
    }
}
