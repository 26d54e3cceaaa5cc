namespace Telescope.Tests;

/// <summary>The in-process CLI runner of the tests moved here from Core's tests (Core's tests reference no face).</summary>
public static partial class Fixtures
{
    /// <summary>Run <c>telescope</c> in-process, capturing exit code, stdout and stderr.</summary>
    public static (int code, string stdout, string stderr) RunCli(params string[] args) =>
        global::Telescope.Cli.Tests.Repo.Captured(args);
}
