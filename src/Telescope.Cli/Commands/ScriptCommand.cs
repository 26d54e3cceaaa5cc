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

    /// <summary>Run a script; returns the exit code (0 ok, 1 the script failed, 2 bad input).</summary>
    public static int Run(string path, string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (!File.Exists(path))
            throw new UsageException($"script not found: {path}");
        var ext = Path.GetExtension(path).ToLowerInvariant();
        return ext switch
        {
            ".csx" => RunCsx(Path.GetFullPath(path), args, stdout, stderr),
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
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidOperationException("no process");
        }
        catch (Exception e)
            when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new UsageException(
                $"cannot start 'dotnet fsi' ({psi.FileName}): {e.Message}; .fsx scripts need the .NET SDK"
            );
        }
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
                stderr.WriteLine(e.Data);
                errors.Add(e.Data);
            }
        };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        p.WaitForExit();
        int code = p.ExitCode;
        p.Dispose();
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

/// <summary>What a <c>.csx</c> script sees as globals: its arguments and small helpers to read them.</summary>
public sealed class ScriptGlobals(string[] args, string path)
{
    /// <summary>The arguments after the script's file name.</summary>
    public string[] Args { get; } = args;

    /// <summary>The script's full path.</summary>
    public string ScriptPath { get; } = path;

    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Option(string name, string fallback)
    {
        int i = Array.IndexOf(Args, name);
        return i >= 0 && i + 1 < Args.Length ? Args[i + 1] : fallback;
    }

    /// <summary>An integer option; a value that does not parse is an error naming the option.</summary>
    public int Option(string name, int fallback) => Parsed(name, fallback, "an integer");

    /// <summary>A number option; a value that does not parse is an error naming the option.</summary>
    public double Option(string name, double fallback) => Parsed(name, fallback, "a number");

    private T Parsed<T>(string name, T fallback, string what)
        where T : IParsable<T> =>
        Option(name, (string?)null!) is { } s
            ? T.TryParse(s, CultureInfo.InvariantCulture, out var x)
                ? x
                : throw new ArgumentException($"{name}: '{s}' is not {what}")
            : fallback;

    /// <summary>The output folder: <c>--out DIR</c>, else <c>out/analysis/&lt;name&gt;</c>; created.</summary>
    public string OutDir(string name)
    {
        var dir = Option("--out", StudyHost.DefaultDir(Path.Combine("analysis", name)));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
