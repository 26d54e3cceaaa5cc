using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Scripting;
using Microsoft.CodeAnalysis.Scripting;
using Telescope.Experiments.Hosting;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope script FILE.fsx|FILE.csx [args…]</c>: run an analysis script against the library.
/// <c>.csx</c> runs in this process through Roslyn scripting, with the library referenced and its
/// namespaces imported, and <see cref="ScriptGlobals"/> (<c>Args</c>, <c>Option</c>, <c>OutDir</c>) in
/// scope. <c>.fsx</c> runs in <c>dotnet fsi</c> with this program's folder on the <c>#r</c> search path
/// (<c>--lib</c>), so <c>#r "Telescope.FSharp.dll"</c> resolves to the DLLs beside <c>telescope</c>.
/// Compile errors are printed as <c>file(line,col): error …</c>, a run-time failure as
/// <c>file:line: exception</c>; either exits 1. A missing or unknown file is a usage error (exit 2).
/// </summary>
public static class ScriptCommand
{
    /// <summary>Namespaces imported into every <c>.csx</c>.</summary>
    public static readonly string[] Imports =
    [
        "System",
        "System.IO",
        "System.Linq",
        "System.Collections.Generic",
        "System.Globalization",
        "Deedle",
        "Telescope",
        "Telescope.Data",
        "Telescope.Frames",
        "Telescope.Models",
        "Telescope.Optim",
        "Telescope.Plots",
        "Telescope.Hosting",
        "Telescope.Telescoping",
        "Telescope.Training",
    ];

    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var file = new Argument<string>("file")
        {
            Description =
                "The script: .fsx (F#, run by dotnet fsi) or .csx (C#, run by Roslyn scripting).",
        };
        var rest = new Argument<string[]>("args")
        {
            Description =
                "Arguments passed to the script (after the file; put -- first to pass options such as --help).",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var cmd = new Command(
            "script",
            "Run an analysis script (.fsx or .csx) against the library."
        )
        {
            file,
            rest,
        };
        cmd.TreatUnmatchedTokensAsErrors = false;
        cmd.SetAction(r =>
        {
            var path = r.GetValue(file)!;
            // everything after the file, in the order given (options the script parses itself included)
            var tokens = r.Tokens.Select(t => t.Value).ToList();
            int at = tokens.IndexOf(path);
            var args = (at >= 0 ? tokens.Skip(at + 1) : r.GetValue(rest) ?? []).ToList();
            if (args.Count > 0 && args[0] == "--")
                args.RemoveAt(0);
            return Guarded(() => Run(path, args.ToArray(), Console.Out, Console.Error));
        });
        return cmd;
    }

    /// <summary>
    /// Run an action, reporting a <see cref="UsageException"/> as one line and exit code 2 here
    /// (System.CommandLine's default exception handler would otherwise print a stack trace and return 1).
    /// </summary>
    public static int Guarded(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"telescope: {e.Message}");
            return 2;
        }
    }

    /// <summary>
    /// Environment variable set in the child process that runs a <c>.csx</c>: run it here. A <c>.csx</c> runs in a
    /// child <c>telescope</c> process so that a script's stack overflow (which .NET cannot catch) ends the child, not
    /// this host, and is reported as one line.
    /// </summary>
    public const string InProcessVariable = "TELESCOPE_SCRIPT_IN_PROCESS";

    /// <summary>Exit code of a script stopped by SIGINT or SIGTERM (passed on to its child process).</summary>
    public const int Interrupted = 130;

    /// <summary>Run a script; returns the exit code (0 ok, 1 the script failed, 2 bad input, 130 interrupted).</summary>
    public static int Run(string path, string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path))
            throw new UsageException($"script not found: {path}");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csx" when Environment.GetEnvironmentVariable(InProcessVariable) == "1" => RunCsx(
                Path.GetFullPath(path),
                args,
                stdout,
                stderr
            ),
            ".csx" => RunCsxChild(Path.GetFullPath(path), args, stdout, stderr),
            ".fsx" => RunFsx(Path.GetFullPath(path), args, stdout, stderr),
            _ => throw new UsageException(
                $"script {path}: expected a .fsx or .csx file, got '{ext}'"
            ),
        };
    }

    /// The folder holding <c>telescope.dll</c> and every library DLL (TorchSharp's native library included).
    public static string LibraryFolder =>
        Path.GetDirectoryName(typeof(ScriptCommand).Assembly.Location)!;

    /// Options for a <c>.csx</c> at <paramref name="path"/>: every library and framework assembly referenced, <see cref="Imports"/> imported, debug information on (line numbers in stack traces).
    public static ScriptOptions CsxOptions(string path)
    {
        var lib = LibraryFolder;
        var references = new List<MetadataReference>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var tpa = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string ?? "").Split(
            Path.PathSeparator,
            StringSplitOptions.RemoveEmptyEntries
        );
        foreach (var a in tpa.Concat(Directory.GetFiles(lib, "*.dll")))
        {
            var name = Path.GetFileNameWithoutExtension(a);
            if (!seen.Add(name) || !IsManaged(a))
                continue;
            references.Add(MetadataReference.CreateFromFile(a));
        }
        return ScriptOptions
            .Default.WithFilePath(path)
            .WithFileEncoding(Encoding.UTF8)
            .WithEmitDebugInformation(true)
            .WithReferences(references)
            .WithImports(Imports)
            .WithMetadataResolver(
                ScriptMetadataResolver
                    .Default.WithBaseDirectory(Path.GetDirectoryName(path)!)
                    .WithSearchPaths(lib)
            )
            .WithSourceResolver(
                ScriptSourceResolver.Default.WithBaseDirectory(Path.GetDirectoryName(path)!)
            )
            .WithOptimizationLevel(OptimizationLevel.Release);
    }

    private static bool IsManaged(string dll)
    {
        try
        {
            AssemblyName.GetAssemblyName(dll);
            return true;
        }
        catch (BadImageFormatException)
        {
            return false;
        }
    }

    private static int RunCsx(string path, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var script = CSharpScript.Create(
            File.ReadAllText(path),
            CsxOptions(path),
            typeof(ScriptGlobals)
        );
        var errors = script.Compile().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        if (errors.Count > 0)
        {
            foreach (var d in errors)
                stderr.WriteLine(Describe(d, path));
            stderr.WriteLine(
                $"telescope: {Path.GetFileName(path)}: {errors.Count} compile error(s)"
            );
            return 1;
        }
        var oldOut = Console.Out;
        try
        {
            Console.SetOut(stdout);
            var globals = new ScriptGlobals(args, path);
            script.RunAsync(globals, catchException: _ => false).GetAwaiter().GetResult();
            return 0;
        }
        catch (Exception e)
        {
            var inner = e is AggregateException { InnerExceptions.Count: 1 } a
                ? a.InnerException!
                : e;
            if (inner is TargetInvocationException { InnerException: { } ti })
                inner = ti;
            var line = ScriptLine(inner, path);
            stderr.WriteLine(
                $"{path}:{(line?.ToString(CultureInfo.InvariantCulture) ?? "?")}: {inner.GetType().FullName}: {inner.Message}"
            );
            stderr.WriteLine(inner.StackTrace);
            stderr.WriteLine(
                $"telescope: {Path.GetFileName(path)} failed at line {line?.ToString(CultureInfo.InvariantCulture) ?? "?"}: {inner.GetType().Name}: {inner.Message.Split('\n')[0].Trim()}"
            );
            return 1;
        }
        finally
        {
            Console.SetOut(oldOut);
        }
    }

    /// <c>file(line,col): error CSxxxx: message</c>, with 1-based line and column.
    private static string Describe(Diagnostic d, string path)
    {
        var span = d.Location.GetMappedLineSpan();
        var file = string.IsNullOrEmpty(span.Path) ? path : span.Path;
        return $"{file}({span.StartLinePosition.Line + 1},{span.StartLinePosition.Character + 1}): error {d.Id}: {d.GetMessage(CultureInfo.InvariantCulture)}";
    }

    /// The innermost line of <paramref name="path"/> in the exception's stack (or any inner exception's).
    private static int? ScriptLine(Exception e, string path)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            var frames = new StackTrace(x, fNeedFileInfo: true).GetFrames();
            foreach (var f in frames)
                if (
                    f.GetFileName() is { } file
                    && string.Equals(Path.GetFullPath(file), path, StringComparison.Ordinal)
                    && f.GetFileLineNumber() > 0
                )
                    return f.GetFileLineNumber();
        }
        return null;
    }

    /// The <c>dotnet</c> host: <c>$DOTNET_HOST_PATH</c>, this process if it is dotnet, else <c>dotnet</c> on PATH.
    public static string DotnetHost()
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host))
            return host;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return "dotnet";
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>
    /// Start <paramref name="psi"/> (output redirected), relay its lines to <paramref name="stdout"/> and
    /// <paramref name="stderr"/> (stderr lines are also returned, at most <paramref name="keep"/> of them), and pass
    /// SIGINT and SIGTERM received meanwhile on to it, so it never outlives this process: returns its exit code, or
    /// <see cref="Interrupted"/> when a signal stopped it. <paramref name="relay"/> may hold back a stderr line.
    /// </summary>
    private static (int Code, List<string> Errors, bool Signalled) RunChild(
        ProcessStartInfo psi,
        string what,
        TextWriter stdout,
        TextWriter stderr,
        Func<string, bool>? relay = null,
        int keep = 1000
    )
    {
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e)
            when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new UsageException($"cannot start {what} ({psi.FileName}): {e.Message}");
        }
        using var _ = p;
        int signalled = 0;
        void Forward(System.Runtime.InteropServices.PosixSignalContext c)
        {
            c.Cancel = true; // this process waits for the child, then exits 130
            Interlocked.Exchange(ref signalled, 1);
            try
            {
                if (!p.HasExited)
                    Kill(
                        p.Id,
                        c.Signal == System.Runtime.InteropServices.PosixSignal.SIGINT ? 2 : 15
                    );
            }
            catch (InvalidOperationException) { }
        }
        using var onInt = OperatingSystem.IsWindows()
            ? null
            : System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGINT,
                Forward
            );
        using var onTerm = OperatingSystem.IsWindows()
            ? null
            : System.Runtime.InteropServices.PosixSignalRegistration.Create(
                System.Runtime.InteropServices.PosixSignal.SIGTERM,
                Forward
            );
        var errors = new List<string>();
        var gate = new object();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (gate)
                    stdout.WriteLine(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (gate)
            {
                if (relay?.Invoke(e.Data) ?? true)
                    stderr.WriteLine(e.Data);
                if (errors.Count < keep)
                    errors.Add(e.Data);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        lock (gate)
            return (p.ExitCode, errors, Volatile.Read(ref signalled) == 1);
    }

    /// <summary>
    /// Run a <c>.csx</c> in a child <c>telescope script</c> (<see cref="InProcessVariable"/> set): its output and exit
    /// code are this command's; a stack overflow, which kills the child, is one line and exit 1 here.
    /// </summary>
    private static int RunCsxChild(string path, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var self = typeof(ScriptCommand).Assembly.Location; // empty in a single-file app: then run this program
        var psi = new ProcessStartInfo(
            self.Length > 0 ? DotnetHost() : Environment.ProcessPath ?? "telescope"
        )
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        foreach (
            var a in (self.Length > 0 ? [self] : Array.Empty<string>())
                .Concat(["script", path, "--"])
                .Concat(args)
        )
            psi.ArgumentList.Add(a);
        psi.Environment[InProcessVariable] = "1";
        psi.Environment["CI"] = "true";
        bool overflow = false;
        var (code, _, signalled) = RunChild(
            psi,
            "telescope for the script",
            stdout,
            stderr,
            line =>
            {
                // .NET prints "Stack overflow." and then the repeated frames: one line is said below instead
                if (line.StartsWith("Stack overflow.", StringComparison.Ordinal))
                    overflow = true;
                return !overflow;
            },
            keep: 0
        );
        if (signalled)
            return Interrupted;
        if (overflow)
        {
            stderr.WriteLine(
                $"telescope: {Path.GetFileName(path)} overflowed the stack (unbounded recursion?); the script was stopped"
            );
            return 1;
        }
        return code switch
        {
            0 or 1 or 2 or Interrupted => code,
            _ => Crashed(stderr, path, code),
        };
    }

    private static int Crashed(TextWriter stderr, string path, int code)
    {
        stderr.WriteLine(
            $"telescope: {Path.GetFileName(path)} ended the process that ran it (exit code {code}{(code > 128 ? $", signal {code - 128}" : "")})"
        );
        return 1;
    }

    private static int RunFsx(string path, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Environment.CurrentDirectory,
        };
        foreach (
            var a in new[]
            {
                "fsi",
                "--quiet",
                "--optimize+",
                $"--lib:{LibraryFolder}",
                path,
            }.Concat(args)
        )
            psi.ArgumentList.Add(a);
        psi.Environment["TELESCOPE_LIB"] = LibraryFolder;
        var (code, errors, signalled) = RunChild(
            psi,
            "'dotnet fsi' (.fsx scripts need the .NET SDK)",
            stdout,
            stderr
        );
        if (signalled)
            return Interrupted;
        if (code == 0)
            return 0;
        // fsi already printed "file(line,col): error …" or the stack trace with "in file:line N"; add one summary line
        var name = Path.GetFileName(path);
        var first = errors.FirstOrDefault(l => l.Contains(": error ", StringComparison.Ordinal));
        var atLine = errors
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"in (.+\.fsx):line (\d+)"))
            .FirstOrDefault(m => m.Success);
        if (first is not null)
            stderr.WriteLine($"telescope: {name}: compile error: {first.Trim()}");
        else if (atLine is not null)
            stderr.WriteLine(
                $"telescope: {name} failed at {atLine.Groups[1].Value}:{atLine.Groups[2].Value}: {errors.FirstOrDefault(l => l.Length > 0 && !l.StartsWith(' '))?.Trim()}"
            );
        else
            stderr.WriteLine($"telescope: {name} failed (dotnet fsi exit code {code})");
        return 1;
    }
}

/// <summary>
/// What a <c>.csx</c> script sees as globals: its arguments and the library's <see cref="ScriptArgs"/> helpers to
/// read them (the same ones a file-based app calls on <c>new ScriptArgs(args)</c>).
/// </summary>
public sealed class ScriptGlobals(string[] args, string path)
{
    private readonly ScriptArgs _args = new(args);

    /// <summary>The arguments after the script's file name.</summary>
    public string[] Args => _args.Args;

    /// <summary>The script's full path.</summary>
    public string ScriptPath { get; } = path;

    /// <inheritdoc cref="ScriptArgs.Option(string, string)"/>
    public string Option(string name, string fallback) => _args.Option(name, fallback);

    /// <inheritdoc cref="ScriptArgs.Option(string, int)"/>
    public int Option(string name, int fallback) => _args.Option(name, fallback);

    /// <inheritdoc cref="ScriptArgs.Option(string, double)"/>
    public double Option(string name, double fallback) => _args.Option(name, fallback);

    /// <inheritdoc cref="ScriptArgs.OutDir(string)"/>
    public string OutDir(string name) => _args.OutDir(name);
}
