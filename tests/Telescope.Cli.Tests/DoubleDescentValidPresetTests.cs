using System.Globalization;
using System.Text.Json.Nodes;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// <c>study double-descent --preset valid</c> at a tiny size, end to end: the preset's configuration (tanh, γ = 0.025,
/// two seeds) reaches run.json with explicit options overriding it, and the printed summary and the figure's caption
/// carry a verdict whose gate clause agrees with the table's own <c>gate_passed</c> rows (read here without the library).
/// A tiny run cannot show the effect; it shows the pipeline and the verdict.
/// </summary>
public sealed class DoubleDescentValidPresetTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-dd-valid");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    [Fact]
    public void TheValidPresetRunsEndToEndAndItsVerdictMatchesTheGateColumn()
    {
        var outDir = Path.Combine(_dir, "valid");
        var (code, stdout, stderr) = Repo.Cli(
            TinyStudies.DoubleDescent(outDir, "2,3,4", steps: 30, "--preset", "valid")
        );
        Assert.True(code == 0, stdout + stderr);

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!["config"]!;
        Assert.Equal("tanh", config["activation"]!.GetValue<string>());
        Assert.Equal(0.025, config["lr"]!.GetValue<double>());
        Assert.Equal(20, config["train_size"]!.GetValue<int>());
        Assert.Equal(30, config["max_steps"]!.GetValue<int>());
        Assert.Equal([0L, 1L], config["seeds"]!.AsArray().Select(s => s!.GetValue<long>()));
        Assert.Equal([2, 3, 4], config["widths"]!.AsArray().Select(s => s!.GetValue<int>()));

        // gate_passed rows, read as plain text: columns by header name
        var lines = File.ReadAllLines(Path.Combine(outDir, "double-descent.csv"));
        var header = lines[0].Split(',');
        int q = Array.IndexOf(header, "quantity"),
            v = Array.IndexOf(header, "value"),
            run = Array.IndexOf(header, "run");
        var gates = lines
            .Skip(1)
            .Select(l => l.Split(','))
            .Where(c => c[q] == "gate_passed")
            .ToList();
        Assert.Equal(6, gates.Select(c => c[run]).Distinct().Count()); // 3 widths × 2 seeds
        bool all = gates.All(c => double.Parse(c[v], CultureInfo.InvariantCulture) == 1);

        var verdict = stdout.Split('\n').Single(l => l.StartsWith("Double descent"));
        Assert.StartsWith("Double descent with a valid lens NOT shown", verdict); // 30 steps cannot interpolate
        Assert.Contains("interpolation", verdict);
        Assert.Contains(
            all ? "the validity gate passed at every width" : "the validity gate FAILED at h =",
            verdict
        );
        var html = File.ReadAllText(Path.Combine(outDir, "double-descent.html"));
        Assert.Contains("Double descent with a valid lens NOT shown", html);

        // the map script turns the folder into one row of the map of settings
        var mapDir = Path.Combine(_dir, "map");
        var (rc, o, e) = Repo.Fsi(
            Repo.Path_("analysis", "redraw", "double-descent-map.fsx"),
            ["--out", mapDir, outDir]
        );
        Assert.True(rc == 0, $"double-descent-map.fsx exited {rc}: {e}\n{o}");
        var map = File.ReadAllLines(Path.Combine(mapDir, "double-descent-map.csv"));
        Assert.Equal(2, map.Length);
        var cols = map[0].Split(',');
        var cells = map[1].Split(',');
        string Cell(string c) => cells[Array.IndexOf(cols, c)];
        Assert.Equal("tanh γ=0.025 T=30 n=20 h≤4 seeds=2", Cell("setting")); // the valid preset trains past 100% train accuracy
        Assert.Equal("4", Cell("largest_width"));
        Assert.Equal(all ? "1" : "0", Cell("gate_everywhere"));
        Assert.Equal("0", Cell("shown"));
        Assert.True(new FileInfo(Path.Combine(mapDir, "double-descent-map.html")).Length > 0);
    }

    [Fact]
    public void TheValidPresetsDefaultsAreEighteenRunsOnAHundredRows()
    {
        var (code, stdout, stderr) = Repo.Cli(
            "study",
            "double-descent",
            "--preset",
            "valid",
            "--dry-run"
        );
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("18 runs × 96000 steps", stdout);
    }
}
