using System.CommandLine;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Benchmarks;
using Telescope.Experiments.Hosting;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope bench &lt;name&gt;</c>: one generated command per <see cref="BenchCatalog"/> entry (an option per
/// parameter, plus <c>--out</c> and <c>--threads</c>): ratios measured in one run against a baseline in the same
/// run; tidy <c>bench.csv</c> + run.json.
/// </summary>
public static class BenchCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build() =>
        StudyCommands.Group(
            "bench",
            "Benchmarks: ratios against a baseline measured in the same run (never timed tests).",
            BenchCatalog.All.Select(For)
        );

    /// <summary>
    /// The command of <paramref name="b"/>. A bench has no seeds, runs nothing to resume and checkpoints nothing, so
    /// it takes only its parameters, <c>--out</c> and <c>--threads</c> (rather than ignore the others); a bench that
    /// owns <c>--threads</c> declares it among its parameters, and Ctrl-C is handed only to an interruptible one.
    /// </summary>
    public static Command For(IBenchDefinition b)
    {
        var c = new Command(b.Name, b.Summary);
        var host = new StudyCommand.Common("bench/" + b.Name);
        c.Options.Add(host.Out);
        if (!b.OwnsThreads)
            c.Options.Add(host.Threads);
        var options = StudyCommands.Add(c, b.Parameters);
        c.SetAction(r =>
        {
            b.Run(
                StudyCommands.Values(r, options),
                r.GetValue(host.Out)!,
                b.OwnsThreads ? StudyHost.DefaultThreads : r.GetValue(host.Threads),
                Console.Out,
                CliObserver.Instance,
                b.Interruptible ? StudyCommand.Common.CtrlC() : default
            );
            return 0;
        });
        return c;
    }
}
