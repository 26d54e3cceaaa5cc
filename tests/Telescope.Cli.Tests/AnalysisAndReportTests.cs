using System.Globalization;
using System.Text.RegularExpressions;
using Telescope.Frames;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>Every analysis script runs green on a fresh build; the report of their outputs renders offline in Chromium.</summary>
public sealed class AnalysisAndReportTests(AnalysisRuns runs) : IClassFixture<AnalysisRuns>
{
    [Theory]
    [MemberData(nameof(AnalysisRuns.Scripts), MemberType = typeof(AnalysisRuns))]
    public void Analysis_script_runs_green_and_writes_its_table_figure_and_run_json(string script)
    {
        var (code, stdout, stderr, dir) = runs.Result(script);
        Assert.True(
            code == 0,
            $"{script} exited {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        var manifest = AnalysisRuns.Manifest(dir);
        Assert.Equal("completed", manifest["status"]!.GetValue<string>());
        Assert.Equal(20, manifest["config"]!["Steps"]!.GetValue<int>()); // the script wrote its config, with the argument applied
        var outputs = manifest["outputs"]!.AsArray().Select(o => o!.GetValue<string>()).ToList();
        foreach (var o in outputs)
            Assert.True(
                File.Exists(Path.Combine(dir, o)),
                $"{script}: run.json lists {o}, which is missing"
            );
        Assert.Contains(outputs, o => o.EndsWith(".html", StringComparison.Ordinal));
        Assert.Contains(outputs, o => o.EndsWith(".parquet", StringComparison.Ordinal));
        var csv = outputs.Where(o => o.EndsWith(".csv", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(csv);
        Assert.All(
            csv,
            c => Assert.True(File.ReadLines(Path.Combine(dir, c)).Skip(1).Any(), $"{c} has no rows")
        );
        // the figure loads plotly.js from its own folder, never from the network
        var html = File.ReadAllText(
            Path.Combine(dir, outputs.First(o => o.EndsWith(".html", StringComparison.Ordinal)))
        );
        Assert.DoesNotMatch(new Regex("<script[^>]+src=\"https?:"), html);
    }

    [Theory]
    [MemberData(nameof(AnalysisRuns.FileApps), MemberType = typeof(AnalysisRuns))]
    public void Analysis_file_based_app_runs_green_and_writes_its_table_figure_and_run_json(string app) =>
        Analysis_script_runs_green_and_writes_its_table_figure_and_run_json(app);

    [Theory]
    [InlineData("approximation.csx")]
    [InlineData("approximation.cs")]
    public void The_FSharp_and_CSharp_approximation_scripts_compute_the_same_table(string csharp)
    {
        var fs = runs.Result("approximation.fsx");
        var cs = runs.Result(csharp);
        Assert.True(fs.code == 0 && cs.code == 0, fs.stderr + cs.stderr);
        var a = AnalysisRuns.Means(Path.Combine(fs.dir, "table.csv"));
        var b = AnalysisRuns.Means(Path.Combine(cs.dir, "table.csv"));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.Contains(a.Keys, k => k.Item1 == "telescoping_error" && k.Item3 == "20");
        foreach (var (k, v) in a)
            Assert.True(
                Math.Abs(v - b[k]) <= 1e-9 * Math.Max(1e-12, Math.Abs(v)) + 1e-15,
                $"{k}: F# {v} vs C# {b[k]}"
            );
    }

    [Theory]
    [InlineData("own-model.fsx")]
    [InlineData("own-model.csx")]
    [InlineData("own-model.cs")]
    public void Own_model_script_prints_and_writes_an_exact_attribution_of_a_TorchSharp_loop(
        string script
    )
    {
        var (code, stdout, stderr, dir) = runs.Result(script);
        Assert.True(
            code == 0,
            $"{script} exited {code}\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        // every output says what the data are
        Assert.Contains("synthetic two moons", stdout);
        Assert.Contains(
            "synthetic two moons",
            AnalysisRuns.Manifest(dir)["data_source"]!.GetValue<string>()
        );
        Assert.Contains("synthetic two moons", File.ReadAllText(Path.Combine(dir, "figure.html")));
        Assert.Equal(121, File.ReadLines(Path.Combine(dir, "moons.csv")).Count());
        // the printed check: Σ_i A(x, z_i) = f̃_T − f̃_0 to round-off
        var check = Regex.Match(
            stdout,
            @"check max\|Σ_i A\(x, z_i\) − \(f̃_T\(x\) − f̃_0\(x\)\)\| = (\S+) \(max\|f̃_T − f̃_0\| = (\S+);"
        );
        Assert.True(check.Success, stdout);
        double gap = double.Parse(check.Groups[1].Value, CultureInfo.InvariantCulture);
        double moved = double.Parse(check.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(moved > 0.05, $"f̃ moved by {moved} only");
        Assert.True(gap <= 1e-12 * Math.Max(1, moved), $"printed Σ_i A − (f̃_T − f̃_0) = {gap}");
        // three test points, three training rows each
        Assert.Equal(3, Regex.Matches(stdout, @"^test point \d", RegexOptions.Multiline).Count);
        Assert.Equal(
            9,
            Regex.Matches(stdout, @"^\s+row +\d+ .* A = [+-]", RegexOptions.Multiline).Count
        );

        // the same check, recomputed from the tidy table alone
        var rows = TidyTable.ReadRows(Path.Combine(dir, "attribution.csv")).ToList();
        double V(IReadOnlyDictionary<string, string> r) =>
            double.Parse(r["value"], CultureInfo.InvariantCulture);
        var test = rows.Where(r => r["split"] == "test").ToList();
        var sums = test.Where(r => r["quantity"] == "attribution")
            .GroupBy(r => r["example"])
            .ToDictionary(g => g.Key, g => (n: g.Count(), sum: g.Sum(V)));
        var tel = test.Where(r => r["quantity"] == "f_telescoped").ToList();
        Assert.Equal(24, sums.Count);
        foreach (var (example, (n, sum)) in sums)
        {
            Assert.Equal(96, n); // one per training row
            double at(string step) =>
                V(tel.Single(r => r["example"] == example && r["step"] == step));
            double change = at("20") - at("0");
            Assert.True(
                Math.Abs(sum - change) <= 1e-10 * Math.Max(1, Math.Abs(change)),
                $"test point {example}: Σ_i A = {sum}, f̃_T − f̃_0 = {change}"
            );
        }
        // top-k: ranked by |A|, the first is the largest attribution of its test point
        var top = test.Where(r => r["quantity"] == "attribution_top").ToList();
        Assert.Equal(24 * 3, top.Count);
        var first = top.Single(r => r["example"] == "0" && r["rank"] == "1");
        Assert.Equal(
            test.Where(r => r["quantity"] == "attribution" && r["example"] == "0")
                .Max(r => Math.Abs(V(r))),
            Math.Abs(V(first))
        );
        Assert.Contains(rows, r => r["quantity"] == "f_telescoped_layer");
        // the Adam run: f̃ tracks the network far better than f_lin (test, last step)
        var adam = TidyTable.ReadRows(Path.Combine(dir, "trajectories.csv")).ToList();
        double Last(string q) =>
            V(adam.Single(r => r["quantity"] == q && r["split"] == "test" && r["step"] == "20"));
        Assert.True(Last("telescoping_error") < 0.5 * Last("linearised_error"));
    }

    [Theory]
    [InlineData("own-model.csx")]
    [InlineData("own-model.cs")]
    public void The_FSharp_and_CSharp_own_model_scripts_agree(string csharp)
    {
        var fs = runs.Result("own-model.fsx");
        var cs = runs.Result(csharp);
        Assert.True(fs.code == 0 && cs.code == 0, fs.stderr + cs.stderr);
        Assert.Equal(
            File.ReadAllText(Path.Combine(fs.dir, "moons.csv")),
            File.ReadAllText(Path.Combine(cs.dir, "moons.csv"))
        );
        static Dictionary<string, double> Values(string dir) =>
            TidyTable
                .ReadRows(Path.Combine(dir, "attribution.csv"))
                .Where(r => r["quantity"] == "attribution")
                .ToDictionary(
                    r => $"{r["split"]}/{r["example"]}/{r["train_example"]}",
                    r => double.Parse(r["value"], CultureInfo.InvariantCulture)
                );
        var a = Values(fs.dir);
        var b = Values(cs.dir);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var (k, v) in a)
            Assert.True(
                Math.Abs(v - b[k]) <= 1e-9 * (1 + Math.Abs(v)),
                $"{k}: F# {v} vs C# {b[k]}"
            );
    }

    [Fact]
    public void Report_renders_every_figure_in_headless_Chromium_with_no_network_and_no_console_error()
    {
        Assert.Equal(0, runs.StudyCode);
        Assert.NotEmpty(runs.Results); // every script has run
        var report = Path.Combine(Repo.Artifacts, "report.html");
        Assert.Equal(
            0,
            TelescopeCli.Run([
                "report",
                "--in",
                runs.Root,
                "--out",
                report,
                "--title",
                "Browser test report",
            ])
        );
        var html = File.ReadAllText(report);
        int expected = int.Parse(Regex.Match(html, "data-figures=\"(\\d+)\"").Groups[1].Value);
        // the study (2 panels × 2 figures) and every script contribute figures
        Assert.True(expected >= 4 + runs.Results.Count, $"only {expected} figures in the report");
        Assert.Contains("run.json", html);
        Assert.Contains("approximation.csv", html);
        Assert.DoesNotMatch(new Regex("<script[^>]+src="), html); // plotly.js is inlined
        // panels side by side in wrapping grids, the tool bar in a strip above each plot (clear of its title),
        // and the approximation panels' line styles and colours said once above them
        Assert.Contains("<div class=\"grid\">", html);
        Assert.Contains(".figure .modebar{top:-26px", html);
        Assert.Contains(
            System.Net.WebUtility.HtmlEncode(Telescope.Plots.Studies.Approximation.ApproximationGridNote),
            html
        );
        // the lead panels' legends say what solid and dotted mean
        Assert.Contains("solid: |f − f̃| (telescoped)", html);
        Assert.Contains("dotted: |f − f_lin| (linearised)", html);
        // the two lead panels differ: errors against the rate, then the final step's ratio (not the errors again)
        Assert.Contains("How many times closer f̃ stays than f_lin", html);
        Assert.DoesNotContain("Approximation error against learning rate — final step", html);

        var page = BrowserCheck.Open(report);
        var shot = Path.Combine(Repo.Artifacts, "report.png");
        File.WriteAllBytes(shot, page.Screenshot);

        Assert.Empty(page.ConsoleErrors);
        Assert.Empty(page.Requests);
        Assert.Equal(expected, page.Figures);
        Assert.Equal(expected, page.RenderedFigures);
        Assert.True(
            page.Screenshot.Length > 10_000
                && page.Screenshot[1] == 'P'
                && page.Screenshot[2] == 'N'
                && page.Screenshot[3] == 'G',
            "screenshot is not a PNG"
        );
    }
}

/// <summary>The browser check itself can fail: a page that reaches for the network, logs an error and draws nothing is caught on all three counts.</summary>
public sealed class BrowserCheckTests
{
    [Fact]
    public void A_broken_page_is_caught()
    {
        var dir = Repo.TempDir("telescope-broken");
        var page = Path.Combine(dir, "broken.html");
        File.WriteAllText(
            page,
            """
            <!DOCTYPE html><html><head><meta charset="utf-8">
            <script src="http://telescope.invalid/plotly.min.js"></script></head>
            <body><div class="figure"><div id="p"></div></div>
            <script>console.error("deliberate error"); Plotly.newPlot("p", [{ x: [1], y: [1] }]);</script>
            </body></html>
            """
        );
        var r = BrowserCheck.Open(page, settleMs: 3000);
        Assert.Contains(r.Requests, u => u.Contains("telescope.invalid", StringComparison.Ordinal));
        Assert.Contains(
            r.ConsoleErrors,
            e => e.Contains("deliberate error", StringComparison.Ordinal)
        );
        Assert.Equal(1, r.Figures);
        Assert.Equal(0, r.RenderedFigures);
        Directory.Delete(dir, true);
    }
}
