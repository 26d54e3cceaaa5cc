using System.Text.Json;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The notebooks of analysis/notebooks/ run headless with <c>dotnet-repl</c> (the .NET Interactive kernel, F#)
/// against the Release build of this repository: every cell runs without error, tables and offline charts are
/// shown as HTML. <c>dotnet-repl</c> is installed into a folder under the temp directory when missing.
/// </summary>
public sealed class NotebookTests : IDisposable
{
    private const string ReplVersion = "0.3.259";
    private readonly string _dir = Repo.TempDir("telescope-notebooks");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private static readonly Lazy<string> Repl = new(InstallRepl);

    /// <summary>dotnet-repl, installed once per machine into the temp folder (a tool path, not global).</summary>
    private static string InstallRepl()
    {
        var tools = Path.Combine(
            Path.GetTempPath(),
            "telescope-tools",
            "dotnet-repl-" + ReplVersion
        );
        var exe = Path.Combine(tools, "dotnet-repl");
        if (!File.Exists(exe))
        {
            var (code, o, e) = Repo.Exec(
                "dotnet",
                ["tool", "install", "--tool-path", tools, "dotnet-repl", "--version", ReplVersion]
            );
            Assert.True(
                code == 0 && File.Exists(exe),
                $"installing dotnet-repl failed ({code}):\n{o}\n{e}"
            );
        }
        return exe;
    }

    /// <summary>What one headless run produced: exit code, console output, and the executed notebook's outputs.</summary>
    private sealed record NotebookRun(int Code, string Console, List<JsonElement> Outputs)
    {
        public IEnumerable<string> Errors =>
            Outputs
                .Where(o => o.GetProperty("output_type").GetString() == "error")
                .Select(o => o.TryGetProperty("evalue", out var v) ? v.GetString() ?? "" : "error");

        public IEnumerable<string> Html =>
            Outputs
                .Where(o =>
                    o.TryGetProperty("data", out var d) && d.TryGetProperty("text/html", out _)
                )
                .Select(o => Text(o.GetProperty("data").GetProperty("text/html")));

        public string Stdout =>
            string.Concat(
                Outputs
                    .Where(o => o.GetProperty("output_type").GetString() == "stream")
                    .Select(o => Text(o.GetProperty("text")))
            );

        /// <summary>Why the run failed, or null when every cell ran: exit code, error outputs, error lines on the console.</summary>
        public string? Failure()
        {
            var errors = Errors.ToList();
            var console = Console
                .Split('\n')
                .Where(l =>
                    l.Contains("Stopped due to error", StringComparison.OrdinalIgnoreCase)
                    || l.Contains("error FS", StringComparison.Ordinal)
                    || l.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase)
                )
                .ToList();
            if (
                Code == 0
                && errors.Count == 0
                && console.Count == 0
                && !Stdout.Contains("Stopped due to error")
            )
                return null;
            return $"exit code {Code}; error outputs:\n{string.Join("\n---\n", errors)}\nconsole:\n{string.Join("\n", console)}\n{Console}";
        }

        private static string Text(JsonElement e) =>
            e.ValueKind == JsonValueKind.Array
                ? string.Concat(e.EnumerateArray().Select(x => x.GetString()))
                : e.GetString() ?? "";
    }

    /// <summary>Run a notebook headless from its folder (its <c>#I</c> paths are relative to it).</summary>
    private NotebookRun Run(string notebook, string cwd)
    {
        var output = Path.Combine(_dir, Path.GetFileNameWithoutExtension(notebook) + ".out.ipynb");
        var (code, o, e) = Repo.Exec(
            Repl.Value,
            ["--run", notebook, "--exit-after-run", "--output-path", output],
            timeoutMs: 300_000,
            cwd: cwd,
            env: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }
        );
        var outputs = new List<JsonElement>();
        if (File.Exists(output))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(output));
            foreach (var cell in doc.RootElement.GetProperty("cells").EnumerateArray())
                if (cell.TryGetProperty("outputs", out var outs))
                    outputs.AddRange(outs.EnumerateArray().Select(x => x.Clone()));
        }
        return new NotebookRun(code, o + e, outputs);
    }

    public static TheoryData<string> Notebooks =>
        new(
            Directory
                .GetFiles(Repo.Path_("analysis", "notebooks"), "*.ipynb")
                .Select(Path.GetFileName)
                .Order()
                .ToArray()!
        );

    [Xunit.Theory]
    [MemberData(nameof(Notebooks))]
    public void NotebookRunsHeadlessWithTablesAndOfflineCharts(string notebook)
    {
        var run = Run(notebook, Repo.Path_("analysis", "notebooks"));
        Assert.True(run.Failure() is null, $"{notebook}: {run.Failure()}");
        var html = run.Html.ToList();
        Assert.Contains(html, h => h.Contains("<table"));
        var charts = html.Where(h => h.Contains("Plotly.newPlot")).ToList();
        Assert.NotEmpty(charts);
        foreach (var c in charts)
        {
            // offline: plotly.js inline, and nothing outside it names a URL to fetch
            Assert.Contains("plotly.js v2.35.2", c);
            Assert.DoesNotContain("<script src=", c);
            var own =
                c[..c.IndexOf("<script>if (typeof window.Plotly")]
                + c[c.LastIndexOf("<script>Plotly.newPlot")..];
            Assert.DoesNotContain("http", own);
        }
        Assert.Contains("checked:", run.Stdout);
    }

    [Fact]
    public void AFailingCellFailsTheRun()
    {
        // the same checks on a notebook whose second cell throws: the run must be reported as failed
        var nb = Path.Combine(_dir, "broken.ipynb");
        File.WriteAllText(
            nb,
            """
            {
             "cells": [
              {"cell_type": "code", "execution_count": null, "metadata": {"dotnet_interactive": {"language": "fsharp"}, "polyglot_notebook": {"kernelName": "fsharp"}}, "outputs": [], "source": ["printfn \"first\""]},
              {"cell_type": "code", "execution_count": null, "metadata": {"dotnet_interactive": {"language": "fsharp"}, "polyglot_notebook": {"kernelName": "fsharp"}}, "outputs": [], "source": ["if true then failwith \"deliberately broken cell\""]},
              {"cell_type": "code", "execution_count": null, "metadata": {"dotnet_interactive": {"language": "fsharp"}, "polyglot_notebook": {"kernelName": "fsharp"}}, "outputs": [], "source": ["printfn \"after\""]}
             ],
             "metadata": {"kernelspec": {"display_name": ".NET (F#)", "language": "F#", "name": ".net-fsharp"}, "polyglot_notebook": {"defaultKernelName": "fsharp", "items": [{"aliases": [], "languageName": "fsharp", "name": "fsharp"}]}},
             "nbformat": 4,
             "nbformat_minor": 5
            }
            """
        );
        var run = Run(nb, _dir);
        var why = run.Failure();
        Assert.NotNull(why);
        Assert.Contains("deliberately broken cell", why);
    }
}
