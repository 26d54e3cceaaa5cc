using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The cached patched copy of libLibTorchSharp is verified (size and SHA-256) before it is loaded: a truncated or
/// altered copy is written again, so one bad write never ends every later run with SIGBUS.
/// </summary>
public sealed class NativeCacheTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-native-cache");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private (int code, string stderr) DryRun()
    {
        var (code, _, stderr) = Repo.Exec(
            "dotnet",
            [
                Path.Combine(AppContext.BaseDirectory, "telescope.dll"),
                "study",
                "approximation",
                "--out",
                Path.Combine(_dir, "out"),
                "--dry-run",
            ],
            300_000,
            env: new Dictionary<string, string>
            {
                ["TELESCOPE_NATIVE_CACHE"] = Path.Combine(_dir, "cache"),
                ["CI"] = "true",
            }
        );
        return (code, stderr);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("one byte changed")]
    [InlineData("emptied")]
    public void ADamagedCachedCopyIsWrittenAgain(string damage)
    {
        var (code, stderr) = DryRun();
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var cached = Directory.GetFiles(
            Path.Combine(_dir, "cache"),
            "libLibTorchSharp.so",
            SearchOption.AllDirectories
        );
        Assert.Single(cached); // this machine's libstdc++ needs the patched copy (Debian 12)
        var whole = File.ReadAllBytes(cached[0]);
        var bad = damage switch
        {
            "truncated" => whole[..(whole.Length / 2)],
            "emptied" => [],
            _ => whole.ToArray(),
        };
        if (damage == "one byte changed")
            bad[bad.Length / 2] ^= 0x5A;
        File.WriteAllBytes(cached[0], bad);
        (code, stderr) = DryRun();
        Assert.True(code == 0, $"exit {code} after the cached copy was {damage}: {stderr}");
        Assert.Equal(whole, File.ReadAllBytes(cached[0]));
    }
}
