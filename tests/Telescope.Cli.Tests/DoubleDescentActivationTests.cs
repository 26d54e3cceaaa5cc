using System.Text.Json.Nodes;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// <c>study double-descent --activation</c>: relu (quick default) or tanh (the full preset's, which passes the validity
/// gate); the choice reaches the model and run.json, and anything else is bad input.
/// </summary>
public sealed class DoubleDescentActivationTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-dd-activation");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private string Run(string activation)
    {
        var outDir = Path.Combine(_dir, activation);
        var (code, stdout, stderr) = Repo.Cli(
            TinyStudies.DoubleDescent(outDir, "3", steps: 20, "--activation", activation)
        );
        Assert.True(code == 0, stdout + stderr);
        return outDir;
    }

    [Fact]
    public void TheActivationReachesTheModelAndTheManifest()
    {
        var relu = Run("relu");
        var tanh = Run("tanh");
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(tanh, "run.json")))!["config"]!;
        Assert.Equal("tanh", config["activation"]!.GetValue<string>());
        Assert.Contains("tanh", config["model"]!.GetValue<string>());
        Assert.NotEqual(
            File.ReadAllText(Path.Combine(relu, "double-descent.csv")),
            File.ReadAllText(Path.Combine(tanh, "double-descent.csv"))
        );
    }

    [Fact]
    public void AnUnknownActivationIsBadInputAndWritesNothing()
    {
        var outDir = Path.Combine(_dir, "bad");
        var (code, _, stderr) = Repo.Cli(
            "study",
            "double-descent",
            "--activation",
            "sigmoid",
            "--dry-run",
            "--out",
            outDir
        );
        Assert.Equal(2, code);
        Assert.Contains("--activation", stderr);
        Assert.False(Directory.Exists(outDir));
    }
}
