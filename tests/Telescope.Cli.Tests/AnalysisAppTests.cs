using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// C# analyses as .NET 10 file-based apps (<c>dotnet run analysis/X.cs</c>, <c>#:project</c> against the
/// repository's build), and docs/own-loop.md's snippet kept identical to the loop of <c>analysis/own-loop.cs</c>.
/// </summary>
public class AnalysisAppTests
{
    private static string Region(string code)
    {
        var m = Regex.Match(
            code,
            @"// region own-loop\n(?<r>.*?)// endregion",
            RegexOptions.Singleline
        );
        Assert.True(m.Success, "analysis/own-loop.cs has no `// region own-loop` … `// endregion`");
        return m.Groups["r"].Value;
    }

    [Fact]
    public void Own_loop_doc_snippet_is_the_loop_of_the_runnable_analysis()
    {
        var doc = File.ReadAllText(Repo.Path_("docs", "own-loop.md"));
        var region = Region(File.ReadAllText(Repo.Path_("analysis", "own-loop.cs")));
        Assert.Contains("```csharp\n" + region + "```", doc);
        // every name the snippet uses is defined in it (the old one used x, y, l, Idx(b) undefined)
        foreach (
            var name in new[] { "x", "y", "labels", "idx", "lens", "adam", "sampler", "T", "lr" }
        )
            Assert.Matches($@"(var|const \w+|using var) {name} =", region);
        Assert.DoesNotContain("Idx(", region);
        Assert.DoesNotContain("in progress", doc);
    }

    [Fact]
    public void Own_loop_runs_as_a_file_based_app()
    {
        var (code, o, e) = Repo.Exec(
            "dotnet",
            ["run", Repo.Path_("analysis", "own-loop.cs")],
            timeoutMs: 900_000,
            cwd: Repo.Root
        );
        Assert.True(code == 0, $"dotnet run analysis/own-loop.cs exited {code}:\n{o}\n{e}");
        var m = Regex.Match(
            o,
            @"test accuracy (?<acc>[0-9.]+); mean\|f − f̃\| = (?<tel>[0-9.E+-]+), mean\|f − f_lin\| = (?<lin>[0-9.E+-]+)"
        );
        Assert.True(m.Success, o);
        double P(string g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        Assert.InRange(P("acc"), 0.5, 1.0);
        // the lens's claim at a small rate: f̃ tracks the network more closely than the linearised model
        Assert.True(P("tel") < P("lin"), o);
    }
}
