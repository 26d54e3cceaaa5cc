using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The documentation site (docs/site/, literate .fsx pages) builds with <c>fsdocs build --eval</c> into a
/// temporary folder against the Release build: every page exists and shows the output of its evaluated code,
/// and the API reference is generated from the XML docs. <c>fsdocs-tool</c> is installed into a folder under
/// the temp directory when missing.
/// </summary>
public sealed class DocsSiteTests : IDisposable
{
    private const string FsdocsVersion = "22.2.0";
    private readonly string _out = Repo.TempDir("telescope-site");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_out, true);
        }
        catch (IOException) { }
    }

    /// <summary>The library projects the API reference covers (the packages of scripts/pack.sh).</summary>
    public static readonly string[] Projects =
    [
        "src/Telescope.Schema/Telescope.Schema.csproj",
        "src/Telescope.Core/Telescope.Core.csproj",
        "src/Telescope.Frames/Telescope.Frames.csproj",
        "src/Telescope.Frames.Parquet/Telescope.Frames.Parquet.csproj",
        "src/Telescope.Theory/Telescope.Theory.csproj",
        "src/Telescope.Plots/Telescope.Plots.fsproj",
        "src/Telescope.FSharp/Telescope.FSharp.fsproj",
    ];

    private static string InstallFsdocs()
    {
        var tools = Path.Combine(Path.GetTempPath(), "telescope-tools", "fsdocs-" + FsdocsVersion);
        var exe = Path.Combine(tools, "fsdocs");
        if (!File.Exists(exe))
        {
            var (code, o, e) = Repo.Exec(
                "dotnet",
                ["tool", "install", "--tool-path", tools, "fsdocs-tool", "--version", FsdocsVersion]
            );
            Assert.True(
                code == 0 && File.Exists(exe),
                $"installing fsdocs-tool failed ({code}):\n{o}\n{e}"
            );
        }
        return exe;
    }

    /// <summary>
    /// Each page and a piece of the output its evaluated code prints (never in its source: fsdocs exits 0 and
    /// leaves the output out when a fragment throws, so a missing output is how a failing page shows).
    /// </summary>
    public static readonly (string Page, string Evaluated)[] Pages =
    [
        ("index.html", "416 observations"),
        ("csharp.html", "rows=416 ok=true"),
        ("your-own-data.html", "80 train, 40 test rows"),
        ("telescoping.html", "mean over 2 seeds"),
        ("kernels-smoothers.html", "symmetric: true"),
        ("theory-properties.html", "0 counterexamples"),
    ];

    [Fact]
    public void SiteBuildsWithEvaluatedPagesAndApiReference()
    {
        var (code, o, e) = Repo.Exec(
            InstallFsdocs(),
            [
                "build",
                "--input",
                "docs/site",
                "--output",
                _out,
                "--eval",
                "--strict",
                "--clean",
                "--properties",
                "Configuration=Release",
                "--projects",
                .. Projects,
            ],
            timeoutMs: 600_000,
            cwd: Repo.Root,
            env: new Dictionary<string, string> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }
        );
        var log = o + e;
        Assert.True(code == 0, $"fsdocs build exited {code}:\n{log}");
        foreach (var (page, evaluated) in Pages)
        {
            var path = Path.Combine(_out, page);
            Assert.True(File.Exists(path), $"{page} missing:\n{log}");
            var html = File.ReadAllText(path);
            Assert.True(html.Contains(evaluated), $"{page}: no evaluated output '{evaluated}'");
        }
        var reference = Path.Combine(_out, "reference");
        Assert.True(
            File.Exists(Path.Combine(reference, "index.html")),
            "reference/index.html missing"
        );
        var pages = Directory.GetFiles(reference, "*.html").Select(Path.GetFileName).ToList();
        foreach (
            var api in new[]
            {
                "telescope-frames-notebookhtml.html",
                "telescope-fsharp-train.html",
                "telescope-theory-sigmoid.html",
            }
        )
            Assert.Contains(api, pages);
        // the XML docs made it into the reference
        Assert.Contains(
            "HTML for notebooks",
            File.ReadAllText(Path.Combine(reference, "telescope-frames-notebookhtml.html"))
        );
    }
}
