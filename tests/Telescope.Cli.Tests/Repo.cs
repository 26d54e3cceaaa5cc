using System.Diagnostics;

[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace Telescope.Cli.Tests;

/// <summary>Paths in the repository and small process helpers.</summary>
public static class Repo
{
    /// <summary>The repository root (the folder holding Telescope.Analytics.sln).</summary>
    public static string Root => Telescope.Tests.Prerequisites.RepoRoot;

    /// <summary>A path under the root.</summary>
    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Where tests leave artefacts (screenshots, reports): tests/artifacts/ (git-ignored).</summary>
    public static string Artifacts
    {
        get
        {
            var d = Path.Combine(Root, "tests", "artifacts");
            Directory.CreateDirectory(d);
            return d;
        }
    }

    /// <summary>A fresh temporary folder.</summary>
    public static string TempDir(string prefix)
    {
        var d = Path.Combine(Path.GetTempPath(), prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(d);
        return d;
    }

    /// <summary>
    /// Run the <c>telescope</c> command line in-process with CI=true (no live progress display); returns (exit code,
    /// stdout, stderr).
    /// </summary>
    public static (int code, string stdout, string stderr) Cli(params string[] args)
    {
        Environment.SetEnvironmentVariable("CI", "true");
        return Captured(args);
    }

    /// <summary>Run the <c>telescope</c> command line in-process, capturing exit code, stdout and stderr.</summary>
    public static (int code, string stdout, string stderr) Captured(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (TelescopeCli.Run(args), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(oldOut);
            Console.SetError(oldErr);
        }
    }

    /// <summary>Run a program to completion; returns (exit code, stdout, stderr).</summary>
    public static (int code, string stdout, string stderr) Exec(
        string file,
        IEnumerable<string> args,
        int timeoutMs = 600_000,
        string? cwd = null,
        IReadOnlyDictionary<string, string>? env = null
    )
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = cwd ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
            psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(true);
            throw new TimeoutException(
                $"{file} {string.Join(' ', args)} did not finish in {timeoutMs / 1000} s"
            );
        }
        return (p.ExitCode, o.Result, e.Result);
    }

    /// <summary>
    /// Run an F# script with plain <c>dotnet fsi</c> (no <c>--lib</c>, nothing on the search path but what the
    /// script's own <c>#I</c>/<c>#r</c> lines name), as a user would.
    /// </summary>
    public static (int code, string stdout, string stderr) Fsi(
        string script,
        IEnumerable<string> args,
        string? cwd = null,
        IReadOnlyDictionary<string, string>? env = null
    ) => Exec("dotnet", ["fsi", "--quiet", script, .. args], cwd: cwd, env: env);

    /// <summary>The NuGet global packages folder (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string NugetCache =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            ".nuget",
            "packages"
        );

    /// <summary>
    /// Start <c>telescope</c> (the built CLI) in the background with CI=true, reading its output; returns the
    /// process and its pending stdout and stderr.
    /// </summary>
    public static (Process p, Task<string> stdout, Task<string> stderr) StartTelescope(
        IEnumerable<string> args
    )
    {
        var psi = new ProcessStartInfo(
            "dotnet",
            [Path_("src", "Telescope.Cli", "bin", "Release", "net10.0", "telescope.dll"), .. args]
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["CI"] = "true";
        var p = Process.Start(psi)!;
        return (p, p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
    }

    /// <summary>Wait until <paramref name="file"/> exists, the process ends, or <paramref name="seconds"/> pass.</summary>
    public static bool WaitFor(string file, Process p, double seconds)
    {
        var sw = Stopwatch.StartNew();
        while (!File.Exists(file) && sw.Elapsed < TimeSpan.FromSeconds(seconds) && !p.HasExited)
            Thread.Sleep(50);
        return File.Exists(file);
    }
}
