using Spectre.Console;

namespace Telescope.Cli.Hosting;

/// <summary>
/// Progress for long work: a live bar per run on an interactive terminal, nothing when output is
/// redirected (logs and CI stay clean).
/// </summary>
public static class ProgressDisplay
{
    /// <summary>Whether a live display is appropriate (stdout and stderr are a terminal, not CI).</summary>
    public static bool Interactive =>
        !Console.IsOutputRedirected
        && !Console.IsErrorRedirected
        && Environment.GetEnvironmentVariable("CI") is null;

    /// <summary>
    /// Run <paramref name="work"/> with a progress callback <c>(label, done, total)</c>.
    /// </summary>
    public static T Run<T>(string title, Func<Action<string, long, long>, T> work)
    {
        if (!Interactive)
            return work((_, _, _) => { });
        T result = default!;
        AnsiConsole
            .Progress()
            .AutoClear(false)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new ElapsedTimeColumn(),
                new RemainingTimeColumn()
            )
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = work(
                    (label, done, total) =>
                    {
                        if (!tasks.TryGetValue(label, out var task))
                            tasks[label] = task = ctx.AddTask(
                                Markup.Escape(label),
                                maxValue: Math.Max(1, total)
                            );
                        task.Value = done;
                    }
                );
            });
        return result;
    }
}
