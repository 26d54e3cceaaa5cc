using System.Text.RegularExpressions;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>Every analysis script runs green on a fresh build; the report of their outputs renders offline in Chromium.</summary>
public sealed class AnalysisAndReportTests(AnalysisRuns runs) : IClassFixture<AnalysisRuns>
{
    [Theory]
    [MemberData(nameof(AnalysisRuns.Scripts), MemberType = typeof(AnalysisRuns))]
    public void Analysis_script_runs_green_and_writes_its_table_figure_and_run_json(string script)
    {
        var (code, stdout, stderr, dir) = runs.Results[script];
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

    [Fact]
    public void The_FSharp_and_CSharp_approximation_scripts_compute_the_same_table()
    {
        var fs = runs.Results["approximation.fsx"];
        var cs = runs.Results["approximation.csx"];
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

    [Fact]
    public void Report_renders_every_figure_in_headless_Chromium_with_no_network_and_no_console_error()
    {
        Assert.Equal(0, runs.StudyCode);
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
