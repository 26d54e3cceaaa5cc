using System.Text.RegularExpressions;
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
