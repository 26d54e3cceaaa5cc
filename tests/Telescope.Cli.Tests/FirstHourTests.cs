using System.Text.RegularExpressions;
using Telescope;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// A researcher's first hour: the README's test command is exactly what CI runs, with no set-up step
/// before it, so the command a new user types on a fresh machine is the one proven green.
/// </summary>
public class FirstHourTests
{
    /// <summary>The command in the README's fenced block after "Run the tests:".</summary>
    public static string ReadmeTestCommand(string readme)
    {
        var m = Regex.Match(readme, @"Run the tests:\s*```bash\n(?<cmd>[^\n]+)\n```");
        Assert.True(m.Success, "README.md has no ```bash block after 'Run the tests:'");
        return m.Groups["cmd"].Value.Trim();
    }

    /// <summary>
    /// The command .ci/run runs on the line after its "the README's test command" marker (without the
    /// <c>2>&amp;1 | tee</c> that captures its log), and every command line before it.
    /// </summary>
    public static (string command, IReadOnlyList<string> before) CiTestCommand(string ci)
    {
        var lines = ci.Split('\n');
        var i = Array.FindIndex(lines, l => l.Contains("--- the README's test command ---"));
        Assert.True(i >= 0 && i + 1 < lines.Length, ".ci/run has no README test-command marker");
        var cmd = Regex.Replace(lines[i + 1], @"\s*2>&1\s*\|\s*tee\b.*$", "").Trim();
        var before = lines[..i]
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
        return (cmd, before);
    }

    [Fact]
    public void Readme_test_command_is_the_one_ci_runs_with_nothing_before_it()
    {
        var readme = ReadmeTestCommand(File.ReadAllText(Repo.Path_("README.md")));
        var (ci, before) = CiTestCommand(File.ReadAllText(Repo.Path_(".ci", "run")));
        Assert.Equal(readme, ci);
        // before it only shell settings: no set-up script a new user would not know to run
        Assert.All(
            before,
            l =>
                Assert.Matches(
                    @"^(#!|set |log=\$\(mktemp\)$|cd ""\$\(dirname ""\$0""\)/\.\.""$|export [A-Z_]+=\S+( [A-Z_]+=\S+)*$)",
                    l
                )
        );
    }

    [Fact]
    public void Readme_builds_the_docs_with_one_script_and_no_placeholder()
    {
        var readme = File.ReadAllText(Repo.Path_("README.md"));
        Assert.Contains("`scripts/build-docs.sh [OUT]`", readme);
        Assert.True(File.Exists(Repo.Path_("scripts", "build-docs.sh")));
        Assert.DoesNotContain("<library projects>", readme);
        Assert.DoesNotContain("ci-setup.d", readme);
    }

    [Fact]
    public void The_comparison_fails_when_readme_and_ci_differ()
    {
        // must-fail control: a set-up step before the command, or a different command, is caught
        var readme = ReadmeTestCommand(
            "Run the tests:\n\n```bash\ndotnet test A.sln -c Release\n```\n"
        );
        Assert.Equal("dotnet test A.sln -c Release", readme);
        var (ci, before) = CiTestCommand(
            "#!/usr/bin/env bash\nbash scripts/setup.sh\n# --- the README's test command ---\n"
                + "dotnet test B.sln -c Release 2>&1 | tee \"$log\"\n"
        );
        Assert.Equal("dotnet test B.sln -c Release", ci);
        Assert.NotEqual(readme, ci);
        Assert.Contains("bash scripts/setup.sh", before);
        Assert.DoesNotMatch(@"^(#!|set |export )", "bash scripts/setup.sh");
    }
}

/// <summary>The smaller stumbling blocks of a first hour (issue 26), each pinned.</summary>
public class FirstHourPointsTests
{
    [Fact]
    public void A_mistyped_option_gets_the_nearest_one_suggested()
    {
        var (code, _, err) = Repo.Cli("study", "approximation", "--step", "20", "--dry-run");
        Assert.Equal(2, code);
        Assert.Contains("'--step'", err);
        Assert.Contains("did you mean `--steps`?", err);
        Assert.Single(err.Trim().Split('\n'));
        // control: an option nothing resembles gets no suggestion
        var (code2, _, err2) = Repo.Cli("study", "approximation", "--zzzzzzzz", "--dry-run");
        Assert.Equal(2, code2);
        Assert.DoesNotContain("did you mean", err2);
    }

    [Theory]
    [InlineData("--step", "--steps")]
    [InlineData("--seeds", "--seed")]
    [InlineData("--optimiser", "--optimizer")]
    [InlineData("--lr", "--lr")]
    public void Nearest_names_the_closest_option(string typed, string expected) =>
        Assert.Equal(
            expected,
            TelescopeCli.Nearest(typed, ["--seed", "--steps", "--lr", "--optimizer", "--width"])
        );

    [Theory]
    [InlineData("kitten", "sitting", 3)] // the textbook pair
    [InlineData("", "abc", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("same", "same", 0)]
    public void Edit_distance_is_levenshtein(string a, string b, int d)
    {
        Assert.Equal(d, TelescopeCli.EditDistance(a, b));
        Assert.Equal(d, TelescopeCli.EditDistance(b, a));
    }

    [Fact]
    public void Nearest_refuses_far_names() =>
        Assert.Null(TelescopeCli.Nearest("--abc", ["--steps", "--width"]));

    [Fact]
    public void The_optimizer_help_lists_every_name_the_parser_accepts()
    {
        var (code, help, _) = Repo.Cli("study", "approximation", "--help");
        Assert.Equal(0, code);
        var line = help.Split('\n').First(l => l.TrimStart().StartsWith("--optimizer"));
        foreach (var name in Telescope.Optim.OptimizerSpec.ShortNames)
        {
            Assert.Matches($@"\b{name}\b", line);
            // and the parser takes it
            Telescope.Optim.OptimizerSpec.ParseKind(name);
        }
        var e = Assert.Throws<ArgumentException>(() =>
            Telescope.Optim.OptimizerSpec.ParseKind("nope")
        );
        foreach (var name in Telescope.Optim.OptimizerSpec.ShortNames)
            Assert.Contains(name, e.Message);
    }

    [Fact]
    public void Observation_prints_its_coordinates_as_columns()
    {
        var o = new Observation("path_error", 0.25, Step: 3, Split: "test")
            .At("alpha", 0.5)
            .At("layer", "1");
        var s = o.ToString();
        Assert.DoesNotContain("z__", s);
        Assert.DoesNotContain("ReadOnlyArray", s);
        Assert.Equal(
            "Observation { Quantity = path_error, Value = 0.25, Step = 3, Split = test, Coordinates = [alpha=0.5, layer=1] }",
            s
        );
        Assert.Equal(
            "Observation { Quantity = loss, Value = 1 }",
            new Observation("loss", 1.0).ToString()
        );
    }
}
