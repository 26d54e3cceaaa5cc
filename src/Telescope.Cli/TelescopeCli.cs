using System.CommandLine;
using Telescope.Cli.Commands;
using Telescope.Native;

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
    public const int NativeFailure = TorchRuntime.NativeFailureExitCode;

    /// <summary>Build the root command with every sub-command.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Telescope.Analytics: test claims about how neural networks learn, by experiment (telescoping lens) and in closed form (layerwise linear models)."
        );
        foreach (var c in Commands())
            root.Subcommands.Add(c);
        return root;
    }

    private static IEnumerable<Command> Commands()
    {
        yield return StudyCommand.Build();
        yield return TheoryCommand.Build();
        yield return BenchCommand.Build();
        yield return SweepCommand.Build();
        yield return ScriptCommand.Build();
        yield return ReportCommand.Build();
    }

    /// <summary>Parse and run; returns the exit code (0 success, 1 a run failed, 2 bad input, 3 native library).</summary>
    public static int Run(string[] args)
    {
        var parse = Build().Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
                Console.Error.WriteLine($"telescope: {e.Message}");
            Console.Error.WriteLine("telescope: see `telescope --help`");
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
        catch (NativeLoadException e)
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
    }
}

/// <summary>Bad input from the user (option, file, configuration): reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
