using System.CommandLine;
using Telescope.Cli.Commands;

namespace Telescope.Cli;

/// <summary>The <c>telescope</c> command tree. <see cref="Run"/> is the whole program (tests call it in-process).</summary>
public static class TelescopeCli
{
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
        yield return ScriptCommand.Build();
        yield return ReportCommand.Build();
    }

    /// <summary>Parse and run; returns the exit code (0 success, 1 a run failed, 2 bad input).</summary>
    public static int Run(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        try
        {
            return parse.Invoke();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"telescope: {e.Message}");
            return 2;
        }
    }
}

/// <summary>Bad input from the user (option, file, configuration): reported as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
