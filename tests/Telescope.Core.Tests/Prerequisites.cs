using System.Diagnostics;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// The repository a test runs in and the prerequisites a cross-check installs (compiled into the Core and the
/// Experiments tests, and the CLI's, whose <c>Repo</c> roots here): one walk to the root, one way to install what is
/// missing. Apart from <see cref="Fixtures"/>, so that finding the root does not start the native runtime.
/// </summary>
public static class Prerequisites
{
    /// <summary>The repository root: the folder above the test's binaries holding Telescope.Analytics.sln.</summary>
    public static string RepoRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Telescope.Analytics.sln")))
                return d.FullName;
        throw new InvalidOperationException(
            "repository root (Telescope.Analytics.sln) not found above " + AppContext.BaseDirectory
        );
    }

    /// <summary>A path under the repository root.</summary>
    public static string RepoPath(params string[] parts) => Path.Combine([RepoRoot, .. parts]);

    /// <summary>
    /// A prerequisite of a cross-check, not an option: when <paramref name="present"/> is false, run the repository's
    /// <c>scripts/<paramref name="installer"/></c> (apt, through scripts/install-apt.sh); the test fails — never
    /// passes quietly — if <paramref name="what"/> is still missing.
    /// </summary>
    public static void EnsureInstalled(string what, Func<bool> present, string installer)
    {
        if (present())
            return;
        var script = RepoPath("scripts", installer);
        using var install = Process.Start(new ProcessStartInfo("sh", [script]))!;
        install.WaitForExit();
        Assert.True(
            present(),
            $"{what} is not installed and {script} could not install it (exit {install.ExitCode})"
        );
    }

    /// <summary>Whether <paramref name="python"/> runs <c>import <paramref name="modules"/></c> (<c>numpy</c>).</summary>
    public static bool Importable(string python, string modules)
    {
        if (!File.Exists(python))
            return false;
        using var p = Process.Start(
            new ProcessStartInfo(python, ["-c", "import " + modules])
            {
                RedirectStandardError = true,
            }
        )!;
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }
}
