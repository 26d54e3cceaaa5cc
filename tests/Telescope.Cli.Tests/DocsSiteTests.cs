using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The documentation site (docs/site/, literate .fsx pages) builds with <c>scripts/build-docs.sh</c> (the README's
/// one command: fsdocs-tool and KaTeX fetched once into the data cache) into a temporary folder against the Release
/// build: every page exists and shows the output of its evaluated code, the API reference is generated from the XML
/// docs, and the site works opened from disk — relative links only, the project's name as title, no placeholder,
/// nothing from the network, the maths typeset by the vendored KaTeX (checked in headless Chromium).
/// </summary>
public sealed class DocsSiteTests : IDisposable
{
    private readonly string _out = Path.Combine(Repo.TempDir("telescope-site"), "docs");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(_out)!, true);
        }
        catch (IOException) { }
    }

    /// <summary>The library projects the API reference covers, as scripts/build-docs.sh lists them.</summary>
    public static string[] Projects() =>
        System
            .Text.RegularExpressions.Regex.Match(
                File.ReadAllText(Repo.Path_("scripts", "build-docs.sh")),
                @"projects=\((?<list>[^)]*)\)"
            )
            .Groups["list"]
            .Value.Split((char[])['\n', ' '], StringSplitOptions.RemoveEmptyEntries);

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
        ("approximation.html", "checked: telescoping error below the linearised error"),
        ("own-model.html", "attribution sums to the change: true"),
    ];

    /// <summary>The literate analyses that draw a figure (each through <c>Prelude.figure</c>).</summary>
    public static readonly string[] FigurePages =
    [
        "approximation.html",
        "own-model.html",
        "kernels-smoothers.html",
        "theory-properties.html",
    ];

    [Fact]
    public void SiteBuildsWithEvaluatedPagesAndApiReference()
    {
        var (code, o, e) = Repo.Exec(
            "bash",
            [Repo.Path_("scripts", "build-docs.sh"), _out],
            timeoutMs: 900_000,
            cwd: Repo.Root,
            env: new Dictionary<string, string> { ["TELESCOPE_DOCS_NO_BUILD"] = "1" }
        );
        var log = o + e;
        Assert.True(code == 0, $"scripts/build-docs.sh exited {code}:\n{log}");
        // a quiet log: no stack trace, one summary line
        Assert.DoesNotContain("   at ", log);
        Assert.Contains("build-docs: ", log);
        Assert.True(log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 5, log);
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
        // opened from disk: relative links, the project's name, no placeholder, nothing from the network
        foreach (var f in Directory.GetFiles(_out, "*.html", SearchOption.AllDirectories))
        {
            var html = File.ReadAllText(f);
            var name = Path.GetRelativePath(_out, f);
            Assert.DoesNotMatch(@"(href|src)=""/[^/]", html);
            Assert.DoesNotContain("{{", html);
            Assert.DoesNotMatch(@"<(script|link)[^>]+(src|href)=""https?:", html);
            Assert.Contains("| Telescope.Analytics</title>", html);
            foreach (
                System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(
                    html,
                    @"(?:href|src)=""(?<u>[^""#:?]+)[""#?]"
                )
            )
            {
                // known: fsdocs 22.2.0 cross-links some API entities to pages it does not generate (for example
                // reference/telescope-theory-derivative.html); the site's own links are all checked
                if (m.Groups["u"].Value.StartsWith("../reference/telescope-"))
                    continue;
                var target = Path.GetFullPath(
                    Path.Combine(Path.GetDirectoryName(f)!, m.Groups["u"].Value)
                );
                Assert.True(
                    File.Exists(target) || Directory.Exists(target),
                    $"{name}: link {m.Groups["u"].Value} points at nothing"
                );
            }
        }
        Assert.True(File.Exists(Path.Combine(_out, "LICENSE.txt")));
        Assert.Contains(
            @"<span class=""math"">",
            File.ReadAllText(Path.Combine(_out, "telescoping.html"))
        );
        // in headless Chromium from file://: no request leaves the site, no console error, the maths typeset
        var site = new Uri(_out + "/").AbsoluteUri;
        var shot = BrowserCheck.Open(Path.Combine(_out, "telescoping.html"), settleMs: 3_000);
        Assert.Empty(shot.ConsoleErrors);
        Assert.Empty(shot.Requests.Where(r => !r.StartsWith(site)));
        File.WriteAllBytes(
            Path.Combine(Repo.Artifacts, "docs-site-telescoping.png"),
            shot.Screenshot
        );
        var index = BrowserCheck.Open(Path.Combine(_out, "index.html"), settleMs: 3_000);
        Assert.Empty(index.ConsoleErrors);
        Assert.Empty(index.Requests.Where(r => !r.StartsWith(site)));
        File.WriteAllBytes(Path.Combine(Repo.Artifacts, "docs-site-index.png"), index.Screenshot);
        // the literate analyses draw their figures with the site's own plotly.js, opened from disk
        foreach (var page in FigurePages)
        {
            var report = BrowserCheck.Open(Path.Combine(_out, page), height: 2400, settleMs: 5_000);
            Assert.Empty(report.ConsoleErrors);
            Assert.Empty(report.Requests.Where(r => !r.StartsWith(site)));
            Assert.True(report.Figures >= 1, $"{page}: no figure");
            Assert.True(
                report.RenderedFigures == report.Figures,
                $"{page}: {report.RenderedFigures} of {report.Figures} figures rendered"
            );
            File.WriteAllBytes(
                Path.Combine(Repo.Artifacts, "docs-site-" + Path.ChangeExtension(page, ".png")),
                report.Screenshot
            );
        }
    }
}
