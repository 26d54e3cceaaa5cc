using System.CommandLine;
using Telescope.Cli.Commands;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;

namespace Telescope.Cli.Hosting;

/// <summary>The command line as a run observer: live bars on a terminal, plain lines otherwise.</summary>
public sealed class CliObserver : IRunObserver
{
    /// <summary>The shared instance.</summary>
    public static CliObserver Instance { get; } = new();

    /// <inheritdoc />
    public T Progress<T>(string title, Func<Action<string, long, long>, T> work) =>
        ProgressDisplay.Run(title, work);

    /// <inheritdoc />
    public void Message(string line, bool routine = false)
    {
        if (!(routine && ProgressDisplay.Interactive))
            Console.Error.WriteLine(line);
    }

    /// <inheritdoc />
    public IEnumerable<Type> HostTypes => [typeof(RootCommand)];
}

/// <summary>The tail every <c>telescope study</c> command shares.</summary>
public static class StudyFace
{
    /// <summary>
    /// Check what a run would (options, threads, folder, device); answer <c>--dry-run</c> with one
    /// <c>valid: …</c> line (no data loaded, nothing written); else run the plan (<see cref="StudyHost.Run"/>,
    /// Ctrl-C stops it) and print the entry's summary and what was written. Returns 0, or 1 when a run failed.
    /// </summary>
    public static int RunAndReport(
        IStudyDefinition d,
        StudyPlan plan,
        StudyCommand.Common common,
        ParseResult r
    )
    {
        var options = StudyHost.Options(
            r.GetValue(common.CheckpointEvery),
            r.GetValue(common.Resume),
            r.GetValue(common.Replace)
        );
        var (outDir, threads, parallel) = (
            r.GetValue(common.Out)!,
            r.GetValue(common.Threads),
            r.GetValue(common.Parallel)
        );
        StudyHost.Check(plan, outDir, threads, parallel, options); // --dry-run gives a run's verdict on threads, folder and device
        if (
            !StudyHost.Checkpoints(plan)
            && r.GetResult(common.CheckpointEvery) is { Implicit: false }
        )
            Console.Error.WriteLine(
                $"telescope: --checkpoint-every has no effect on study {d.Name}: its runs do not checkpoint; --resume reuses finished runs and restarts the others"
            );
        if (r.GetValue(common.DryRun))
        {
            Console.WriteLine($"valid: study {d.Name}, {plan.Size}");
            return 0;
        }
        var outcome = StudyHost.Run(
            d,
            plan,
            outDir,
            threads,
            options,
            StudyCommand.Common.CtrlC(),
            CliObserver.Instance,
            parallel
        );
        d.Summarise(outcome.Table, Console.Out);
        Console.WriteLine(
            $"\nwrote {outcome.Table}, {Path.ChangeExtension(outcome.Table, ".html")}, {outcome.Manifest}"
        );
        return outcome.Failed ? 1 : 0;
    }
}
