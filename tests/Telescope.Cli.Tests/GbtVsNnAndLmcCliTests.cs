using Telescope.Cli;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary><c>telescope study gbt-vs-nn</c> and <c>telescope study lmc</c>, in-process, at tiny sizes.</summary>
public class GbtVsNnAndLmcCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-tm-" + Guid.NewGuid().ToString("N")
    );

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    private static (int code, string stdout, string stderr) Telescope(params string[] args) =>
        global::Telescope.Cli.Tests.Repo.Captured(args);

    /// <summary><c>study NAME</c> with the defaults, each overridden by a pair in <paramref name="more"/>, then <c>--out</c>.</summary>
    private static string[] Args(string study, string[] defaults, string outDir, string[] more)
    {
        var d = new List<KeyValuePair<string, string>>();
        for (int i = 0; i + 1 < defaults.Length; i += 2)
            d.Add(new(defaults[i], defaults[i + 1]));
        for (int i = 0; i + 1 < more.Length; i += 2)
        {
            int k = d.FindIndex(p => p.Key == more[i]);
            if (k >= 0)
                d[k] = new(more[i], more[i + 1]);
            else
                d.Add(new(more[i], more[i + 1]));
        }
        return ["study", study, .. d.SelectMany(p => new[] { p.Key, p.Value }), "--out", outDir];
    }

    private static string[] SmallGbt(string outDir, params string[] more) =>
        Args(
            "gbt-vs-nn",
            [
                "--rows",
                "600",
                "--train",
                "300",
                "--validation",
                "60",
                "--test-size",
                "50",
                "--shares",
                "0,0.5,1",
                "--epochs",
                "2",
                "--lr",
                "0.01,0.03",
                "--depth",
                "2,3",
                "--eta",
                "0.3",
                "--trees",
                "10,20",
                "--kernel-every",
                "1",
                "--seed",
                "0",
                "--threads",
                "1",
            ],
            outDir,
            more
        );

    private static string[] SmallLmc(string outDir, params string[] more) =>
        Args(
            "lmc",
            [
                "--steps",
                "6",
                "--batch",
                "16",
                "--spawns",
                "0,3",
                "--gradient-steps",
                "0,2",
                "--gradient-lag",
                "2",
                "--eval-images",
                "40",
                "--gradient-images",
                "4",
                "--alphas",
                "3",
                "--models",
                "cnn+bn",
                "--threads",
                "1",
            ],
            outDir,
            more
        );

    [Theory]
    [InlineData("gbt-vs-nn")]
    [InlineData("lmc")]
    public void Help_exits_zero(string study)
    {
        var (code, stdout, _) = Telescope("study", study, "--help");
        Assert.Equal(0, code);
        Assert.Contains("--out", stdout);
    }

    [Theory]
    [InlineData("--shares", "0.5,1", "must start with 0")]
    [InlineData("--kernel-every", "0", "--kernel-every")]
    [InlineData("--train", "590", "regular test rows")]
    [InlineData("--lr", "x", "'x' is not a number")]
    public void Gbt_bad_input_is_rejected_before_any_output(
        string option,
        string value,
        string expected
    )
    {
        var dir = Path.Combine(_dir, "bad");
        var (code, _, err) = Telescope(SmallGbt(dir, option, value));
        Assert.Equal(TelescopeCli.BadInput, code);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(dir));
    }

    [Theory]
    [InlineData("--data", "/nonexistent/fashion", "dataset-fashion-mnist")]
    [InlineData("--models", "resnet", "--models")]
    [InlineData("--spawns", "0,6", "spawn steps")]
    public void Lmc_bad_input_is_rejected_before_any_output(
        string option,
        string value,
        string expected
    )
    {
        var dir = Path.Combine(_dir, "bad-lmc");
        var (code, _, err) = Telescope(SmallLmc(dir, option, value));
        Assert.Equal(TelescopeCli.BadInput, code);
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Gbt_vs_nn_writes_table_figure_manifest_and_bounded_gbt_weights()
    {
        var dir = Path.Combine(_dir, "gbt");
        var (code, stdout, err) = Telescope(SmallGbt(dir));
        Assert.True(code == 0, err);
        Assert.Contains("SUBSTITUTE", stdout);
        var rows = TidyTable.ReadRows(Path.Combine(dir, "gbt-vs-nn.csv")).ToList();
        double V(IReadOnlyDictionary<string, string> r) =>
            double.Parse(r["value"], System.Globalization.CultureInfo.InvariantCulture);
        var rGbt = rows.Where(r => r["quantity"] == "r_gbt").ToList();
        Assert.Equal(3, rGbt.Count);
        Assert.All(rGbt, r => Assert.InRange(V(r), 0, 1 + 1e-12));
        Assert.Equal(3, rows.Count(r => r["quantity"] == "r_nn" && V(r) > 0));
        Assert.Equal(
            1.0,
            V(rows.Single(r => r["quantity"] == "relative_mse" && r["p"] == "0")),
            12
        );
        Assert.True(File.Exists(Path.Combine(dir, "gbt-vs-nn.html")));
        Assert.Contains("SUBSTITUTE", File.ReadAllText(Path.Combine(dir, "run.json")));
    }

    [Fact]
    public void Lmc_writes_barriers_and_gradient_changes()
    {
        var dir = Path.Combine(_dir, "lmc");
        var (code, _, err) = Telescope(SmallLmc(dir));
        Assert.True(code == 0, err);
        var rows = TidyTable.ReadRows(Path.Combine(dir, "lmc.csv")).ToList();
        Assert.Equal(
            ["0", "3"],
            rows.Where(r => r["quantity"] == "error_barrier_max").Select(r => r["step"]).ToArray()
        );
        // the α-path's endpoints are the two children: their barrier terms are 0 by construction, so max ≥ 0
        Assert.All(
            rows.Where(r => r["quantity"] == "error_barrier_max"),
            r =>
                Assert.True(
                    double.Parse(r["value"], System.Globalization.CultureInfo.InvariantCulture) >= 0
                )
        );
        var layers = rows.Where(r => r["quantity"] == "gradient_change")
            .Select(r => r["layer"])
            .Distinct()
            .Order()
            .ToArray();
        Assert.Equal(["bn1", "bn2", "conv1", "conv2", "fc"], layers);
        Assert.True(File.Exists(Path.Combine(dir, "lmc.html")));
    }
}
