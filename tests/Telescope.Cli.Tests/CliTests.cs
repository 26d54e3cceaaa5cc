using System.Text.Json.Nodes;
using Telescope.Cli;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary>The <c>telescope</c> command line, in-process: good runs, and bad input that must exit non-zero with a clear message and no partial output.</summary>
public class CliTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-cli-" + Guid.NewGuid().ToString("N")
    );

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    private static (int code, string stdout, string stderr) Telescope(params string[] args) =>
        Fixtures.RunCli(args);

    private string Out(string name) => Path.Combine(_dir, name);

    private static string[] Small(string outDir, params string[] more) =>
        [
            "study",
            "approximation",
            .. more.Contains("--dataset") ? Array.Empty<string>() : ["--dataset", "synthetic"],
            "--train",
            "60",
            "--test",
            "40",
            "--width",
            "16,16",
            "--out",
            outDir,
            .. more,
        ];

    [Theory]
    [InlineData("unknown dataset", "--dataset", "cifar", "dataset 'cifar'")]
    [InlineData("zero learning rate", "--lr", "0", "learning rate must be positive")]
    [InlineData("negative learning rate", "--lr", "-0.1", "learning rate must be positive")]
    [InlineData("learning rate not a number", "--lr", "fast", "'fast' is not a number")]
    [InlineData("unknown model", "--model", "transformer", "model 'transformer'")]
    [InlineData("unknown optimizer", "--optimizer", "rmsprop", "optimizer 'rmsprop'")]
    [InlineData("zero steps", "--steps", "0", "--steps must be ≥ 1")]
    [InlineData("bad dtype", "--dtype", "float16", "--dtype")]
    [InlineData("unavailable device", "--device", "cuda", "not available")]
    [InlineData("unknown device", "--device", "tpu", "unknown device")]
    [InlineData("bad seed", "--seed", "x", "not a seed")]
    [InlineData("steps not an integer", "--steps", "ten", "ten")]
    [InlineData("bad jvp method", "--jvp", "finite-differences", "--jvp")]
    public void BadInputExitsNonZeroWithAMessageAndWritesNothing(
        string what,
        string option,
        string value,
        string expected
    )
    {
        var dir = Out("bad");
        var (code, _, err) = Telescope(Small(dir, option, value));
        Assert.True(code == TelescopeCli.BadInput, $"{what}: exit {code}, stderr: {err}");
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(dir), $"{what}: output folder was created");
    }

    [Fact]
    public void UnknownCommandsAndOptionsAreBadInput()
    {
        Assert.Equal(TelescopeCli.BadInput, Telescope("study", "nonsense").code);
        Assert.Equal(TelescopeCli.BadInput, Telescope(Small(Out("x"), "--no-such-option")).code);
        Assert.False(Directory.Exists(Out("x")));
    }

    [Fact]
    public void HelpWorksEverywhere()
    {
        foreach (
            var args in new[]
            {
                new[] { "--help" },
                new[] { "study", "--help" },
                new[] { "study", "approximation", "--help" },
                new[] { "bench", "telescoping", "--help" },
            }
        )
        {
            var (code, stdout, _) = Telescope(args);
            Assert.Equal(0, code);
            Assert.Contains("Usage", stdout);
        }
    }

    [Fact]
    public void ALossThatTurnsNaNFailsTheRunAtItsStepKeepsFinishedStepsAndLeavesNoPartialFile()
    {
        var dir = Out("nan");
        var (code, _, err) = Telescope(
            Small(dir, "--optimizer", "sgd", "--lr", "1e6", "--steps", "50", "--record-every", "1")
        );
        Assert.Equal(TelescopeCli.RunFailed, code);
        Assert.Contains("failed at step", err);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("failed", (string)manifest["status"]!);
        var run = manifest["runs"]![0]!;
        Assert.Equal("failed", (string)run["status"]!);
        long failedAt = (long)(double)run["failed_at_step"]!;
        Assert.Matches("NaN|Infinity", (string)run["failure"]!);
        var rows = TidyTable.ReadRows(Path.Combine(dir, "approximation.csv")).ToList();
        Assert.NotEmpty(rows);
        Assert.Equal(failedAt - 1, rows.Max(r => long.Parse(r["step"])));
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void AStudyWritesATidyTableAnOfflineFigureAndProvenance()
    {
        var dir = Out("ok");
        var (code, stdout, err) = Telescope(
            Small(dir, "--optimizer", "sgd,adamw", "--lr", "0.01", "--steps", "30", "--seed", "0,1")
        );
        Assert.True(code == 0, err);
        Assert.Contains("AE_tel", stdout);
        var frame = TidyTable.Load(Path.Combine(dir, "approximation.csv"));
        foreach (
            var col in new[]
            {
                "study",
                "run",
                "seed",
                "step",
                "split",
                "example",
                "output",
                "optimizer",
                "lr",
                "quantity",
                "value",
            }
        )
            Assert.Contains(col, frame.ColumnKeys);
        var rows = TidyTable.ReadRows(Path.Combine(dir, "approximation.csv")).ToList();
        Assert.Equal(new[] { "adamw", "sgd" }, rows.Select(r => r["optimizer"]).Distinct().Order());
        Assert.Equal(new[] { "0", "1" }, rows.Select(r => r["seed"]).Distinct().Order());
        var html = File.ReadAllText(Path.Combine(dir, "approximation.html"));
        Assert.Contains("<script src=\"plotly.min.js\">", html);
        Assert.DoesNotContain("cdn.plot.ly", html);
        Assert.True(new FileInfo(Path.Combine(dir, "plotly.min.js")).Length > 1_000_000);
        var m = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("completed", (string)m["status"]!);
        Assert.Contains("synthetic", (string)m["data_source"]!);
        Assert.False(string.IsNullOrEmpty((string?)m["versions"]!["TorchSharp"]));
        Assert.Equal(4, m["runs"]!.AsArray().Count);
        Assert.True((int)m["threads"]! > 0);
    }

    [Fact]
    public void TheSameSeedAndThreadsGiveAByteIdenticalTable()
    {
        var a = Out("a");
        var b = Out("b");
        foreach (var dir in new[] { a, b })
            Assert.Equal(
                0,
                Telescope(
                    Small(
                        dir,
                        "--optimizer",
                        "momentum",
                        "--lr",
                        "0.05",
                        "--steps",
                        "20",
                        "--threads",
                        "2"
                    )
                ).code
            );
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(a, "approximation.csv")),
            File.ReadAllBytes(Path.Combine(b, "approximation.csv"))
        );
    }
}
