using System.Text.RegularExpressions;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The scripts share one header: every F# script under analysis/ and docs/ loads analysis/<c>prelude.fsx</c> (directly,
/// or through a helper it loads, as theory/ does through Common.fsx and the docs pages through docs/page.fsx) and writes
/// no <c>#r</c>/<c>#I</c> line of its own, and the prelude references the library from the meta-package's build folder,
/// never from a face's (the CLI's) build.
/// </summary>
public sealed class ScriptPreludeTests
{
    private static readonly string Analysis = Repo.Path_("analysis");
    private static readonly string Prelude = Path.Combine(Analysis, AnalysisRuns.Prelude);

    /// <summary>Every .fsx under analysis/ and docs/ but the prelude, relative to the repository's root.</summary>
    public static TheoryData<string> Scripts()
    {
        var d = new TheoryData<string>();
        foreach (
            var f in new[] { Analysis, Repo.Path_("docs") }
                .SelectMany(dir => Directory.GetFiles(dir, "*.fsx", SearchOption.AllDirectories))
                .Where(f => f != Prelude)
                .Order(StringComparer.Ordinal)
        )
            d.Add(Path.GetRelativePath(Repo.Path_(), f));
        return d;
    }

    /// <summary>The files a script loads with <c>#load "…"</c>, as full paths.</summary>
    private static IEnumerable<string> Loads(string file) =>
        Regex
            .Matches(File.ReadAllText(file), "^#load \"([^\"]+)\"", RegexOptions.Multiline)
            .Select(m =>
                Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, m.Groups[1].Value))
            );

    /// <summary>Whether <paramref name="file"/> reaches the prelude through its <c>#load</c> lines.</summary>
    private static bool ReachesPrelude(string file, int depth = 0) =>
        depth < 4
        && Loads(file).Any(l => l == Prelude || (File.Exists(l) && ReachesPrelude(l, depth + 1)));

    [Theory]
    [MemberData(nameof(Scripts))]
    public void EveryScriptLoadsThePreludeAndReferencesNothingItself(string script)
    {
        var file = Repo.Path_(script);
        var own = File.ReadLines(file)
            .Where(l => l.StartsWith("#r ") || l.StartsWith("#I "))
            .ToList();
        Assert.True(
            own.Count == 0,
            $"{script} has its own header lines (use #load of prelude.fsx): {string.Join(" | ", own)}"
        );
        Assert.True(ReachesPrelude(file), $"{script} does not #load prelude.fsx");
    }

    [Fact]
    public void ThePreludeReferencesTheMetaPackagesBuildNotAFacesBuild()
    {
        var text = File.ReadAllText(Prelude);
        Assert.Contains("#I \"../src/Telescope.Analytics/bin/Release/net10.0\"", text);
        Assert.DoesNotContain("Telescope.Cli", text);
        // every assembly the prelude names is in that folder after the tests' own build (they build the meta-package)
        var folder = Repo.Path_("src", "Telescope.Analytics", "bin", "Release", "net10.0");
        foreach (Match m in Regex.Matches(text, "^#r \"([^\"]+)\"", RegexOptions.Multiline))
            Assert.True(
                File.Exists(Path.Combine(folder, m.Groups[1].Value)),
                $"{m.Groups[1].Value} is not in {folder}"
            );
    }
}
