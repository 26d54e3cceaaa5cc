using System.CommandLine;
using Telescope.Cli.Commands;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;
using Telescope.Frames;
using Telescope.Studies;

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
    /// The tail every <c>telescope study</c> command shares, after its own option checks: validate the run
    /// options; answer <c>--dry-run</c> with one <c>valid: …</c> line (no data loaded, nothing written);
    /// load the data (bad or missing data is a usage error); <see cref="StudyRunner.Run"/> with Ctrl-C; print
    /// the definition's summary and what was written. Returns the exit code: 0, or 1 when a run failed.
    /// </summary>
    /// <param name="d">The catalog entry (figures, summary).</param>
    /// <param name="plan">The study it planned from validated values (its data not yet loaded).</param>
    /// <param name="common">The host options.</param>
    /// <param name="r">The parsed command line.</param>
    public static int RunAndReport(
        IStudyDefinition d,
        StudyPlan plan,
        StudyCommand.Common common,
        ParseResult r
    )
    {
        var (study, device) = (plan.Study, plan.Device);
        var threadPlan = common.PlanThreads(r, study);
        var options = common.ParseRunOptions(r) with { Parallel = threadPlan.Parallel };
        OutputFolder.Check(r.GetValue(common.Out)!); // before --dry-run answers, as a real run would
        StudyCommand.Common.CheckDevice(device); // --dry-run gives the same verdict on the device
        var size = plan.Size;
        if (
            !study.Runs().Any(x => x.Checkpointed)
            && r.GetResult(common.CheckpointEvery) is { Implicit: false }
        )
            Console.Error.WriteLine(
                $"telescope: --checkpoint-every has no effect on study {study.Name}: its runs do not checkpoint; --resume reuses finished runs and restarts the others"
            );
        if (r.GetValue(common.DryRun))
        {
            Console.WriteLine($"valid: study {study.Name}, {size}");
            return 0;
        }
        int threads = StudyCommand.Common.Prepare(device, threadPlan.Threads);
        var outDir = r.GetValue(common.Out)!;
        string source;
        try
        {
            source = study.DataSource; // loads (and on first use fetches) the data before any output exists
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new UsageException(e.Message);
        }
        Console.Error.WriteLine(
            $"telescope: study {study.Name} — {size}, data: {source}, {threadPlan} → {outDir}"
        );
        var outcome = StudyRunner.Run(
            study,
            outDir,
            threads,
            plan.Seeds,
            table => d.Figures(table, outDir, source),
            StudyCommand.Common.CtrlC(),
            options,
            CliObserver.Instance
        );
        d.Summarise(outcome.Table, Console.Out);
        Console.WriteLine(
            $"\nwrote {outcome.Table}, {Path.Combine(outDir, study.Name + ".html")}, {outcome.Manifest}"
        );
        return outcome.Failed ? 1 : 0;
    }
}
