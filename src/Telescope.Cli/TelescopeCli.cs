using System.CommandLine;
using Telescope.Cli.Commands;
using Telescope.Experiments.Hosting;
using Telescope.Frames;

namespace Telescope.Cli;

/// <summary>The <c>telescope</c> command tree. <see cref="Run"/> is the whole program (tests call it in-process).</summary>
public static class TelescopeCli
{
    /// <summary>Exit code of a completed command.</summary>
    public const int Ok = 0;

    /// <summary>Exit code when a run failed (divergence, NaN, a closed form that disagrees).</summary>
    public const int RunFailed = 1;

    /// <summary>Exit code for bad input (options, files, configuration): nothing was started.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when the native tensor library cannot be loaded.</summary>
    public const int NativeFailure = StudyHost.NativeFailureExitCode;

    /// <summary>Build the root command with every sub-command.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Telescope.Analytics: test claims about how neural networks learn, by experiment (telescoping lens) and in closed form (layerwise linear models)."
        );
        root.Options.Add(Verbose);
        foreach (var c in Commands())
            root.Subcommands.Add(c);
        return root;
    }

    private static string Plain(string message) =>
        System.Text.RegularExpressions.Regex.Replace(
            OneLine(message),
            @"as expected type '(System\.Nullable`1\[)?System\.(\w+)\]?'",
            m =>
                m.Groups[2].Value switch
                {
                    "Double" or "Single" => "as a number",
                    "Int32" or "Int64" => "as a whole number (in range)",
                    "Boolean" => "as true or false",
                    var t => $"as {t}",
                }
        );

    /// <summary>
    /// For an unrecognised <c>--option</c>: " — did you mean `--x`?" naming the command's option nearest to it
    /// (<see cref="Nearest"/>), or nothing.
    /// </summary>
    private static string Suggestion(
        string message,
        System.CommandLine.Parsing.CommandResult command
    )
    {
        var m = System.Text.RegularExpressions.Regex.Match(
            message,
            @"^Unrecognized command or argument '(--[^']+)'"
        );
        if (!m.Success)
            return "";
        var names = new List<string>();
        for (
            var c = command;
            c is not null;
            c = c.Parent as System.CommandLine.Parsing.CommandResult
        )
            names.AddRange(c.Command.Options.Select(o => o.Name));
        return Nearest(m.Groups[1].Value, names) is { } near ? $" — did you mean `{near}`?" : "";
    }

    /// <summary>
    /// The name among <paramref name="names"/> closest to <paramref name="typed"/> in edit distance
    /// (insertions, deletions, substitutions), if that distance is at most 2 and at most a third of the typed
    /// length; ties go to the first name.
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> names)
    {
        string? best = null;
        int bestD = int.MaxValue;
        foreach (var n in names)
        {
            var d = EditDistance(typed, n);
            if (d < bestD)
                (best, bestD) = (n, d);
        }
        return bestD <= Math.Min(2, typed.Length / 3) ? best : null;
    }

    /// <summary>Levenshtein distance.</summary>
    public static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diag = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int up = row[j];
                row[j] = Math.Min(
                    Math.Min(row[j] + 1, row[j - 1] + 1),
                    diag + (a[i - 1] == b[j - 1] ? 0 : 1)
                );
                diag = up;
            }
        }
        return row[b.Length];
    }

    private static string OneLine(string s) =>
        string.Join(
            " ",
            s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        );

    /// <summary><c>--verbose</c>, on every command: print the stack trace of an unexpected error.</summary>
    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "On an unexpected error, also print its stack trace.",
        Recursive = true,
    };

    private static IEnumerable<Command> Commands()
    {
        yield return StudyCommand.Build();
        yield return TheoryCommand.Build();
        yield return BenchCommand.Build();
        yield return SweepCommand.Build();
        yield return ScriptCommand.Build();
        yield return ReportCommand.Build();
        yield return StressCommand.Build();
    }

    /// <summary>Parse and run; returns the exit code (0 success, 1 a run failed, 2 bad input, 3 native library).</summary>
    public static int Run(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            // one line: every parse error, with .NET type names spelled as a reader says them
            Console.Error.WriteLine(
                $"telescope: {string.Join("; ", parse.Errors.Select(e => Plain(e.Message) + Suggestion(e.Message, parse.CommandResult)))} (see `telescope --help`)"
            );
            return BadInput;
        }
        try
        {
            return parse.Invoke(
                new InvocationConfiguration { EnableDefaultExceptionHandler = false }
            );
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"telescope: {e.Message}");
            return BadInput;
        }
        catch (Exception e) when (StudyHost.IsNativeLoadFailure(e))
        {
            Console.Error.WriteLine($"telescope: {e.Message}");
            return NativeFailure;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine(
                "telescope: interrupted; finished runs and checkpoints are kept on disk — continue with the same command and --resume"
            );
            return 130;
        }
        catch (Exception e)
            when (e is OutputFolderException or InvalidDataException or ArgumentException)
        {
            // bad input found before any output: a folder that cannot be used, a malformed file
            // (the message names file:line), a parameter outside its range
            Console.Error.WriteLine($"telescope: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (Exception e) when (StudyHost.NativeFailure(e) is { } line)
        {
            Console.Error.WriteLine($"telescope: {line}");
            return NativeFailure;
        }
        catch (RunFailedException e)
        {
            Console.Error.WriteLine($"telescope: {OneLine(e.Message)}");
            if (parse.GetValue(Verbose) && e.InnerException is not null)
                Console.Error.WriteLine(e.InnerException);
            return RunFailed;
        }
        catch (Exception e)
        {
            // the one error path: never an unhandled exception with a stack trace unless asked for
            var what = e is IOException or UnauthorizedAccessException
                ? e.Message
                : $"unexpected {e.GetType().Name}: {e.Message}";
            Console.Error.WriteLine(
                $"telescope: {OneLine(what)}{(parse.GetValue(Verbose) ? "" : " (--verbose prints the stack trace)")}"
            );
            if (parse.GetValue(Verbose))
                Console.Error.WriteLine(e);
            return RunFailed;
        }
    }
}

/// <summary>Bad input from the user (option, file, configuration): reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
