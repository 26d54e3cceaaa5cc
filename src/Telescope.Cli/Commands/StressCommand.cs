using System.CommandLine;
using System.Globalization;
using Telescope.Experiments.Stress;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope stress</c>: the stress harness (<see cref="StressHarness"/>). Every study's tiny configuration many
/// times in this process on several threads with the GC driven hard, or with <c>--processes P</c> in P child
/// processes at once (fully optimised JIT). Exit 0 when every run finished and every repeat wrote the same bytes,
/// 1 otherwise (a child that crashed, a failed run, a mismatched table), 2 for bad options.
/// </summary>
public static class StressCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var defaults = new StressConfig([]);
        var cases = new Option<string[]>("--case")
        {
            Description =
                $"Case(s) to run: {string.Join(", ", StressHarness.Cases.Select(c => c.Label))}. Default: all.",
            AllowMultipleArgumentsPerToken = true,
        };
        var rounds = new Option<int>("--rounds")
        {
            Description = $"Times each worker runs each case. Default: {defaults.Rounds}.",
            DefaultValueFactory = _ => defaults.Rounds,
        };
        var workers = new Option<int>("--workers")
        {
            Description =
                $"Threads in each process, each running every case in turn. Default: {defaults.Workers}.",
            DefaultValueFactory = _ => defaults.Workers,
        };
        var gc = new Option<bool>("--gc-stress")
        {
            Description =
                $"Force garbage collections and finalizers in a loop beside the runs. Default: {defaults.GcStress.ToString().ToLowerInvariant()}.",
            DefaultValueFactory = _ => defaults.GcStress,
            Arity = ArgumentArity.ZeroOrOne,
        };
        var threads = new Option<int>("--threads")
        {
            Description =
                $"Intra-op threads of every run, one count per process (above 1: row workers). Default: {defaults.Threads}.",
            DefaultValueFactory = _ => defaults.Threads,
        };
        var processes = new Option<int>("--processes")
        {
            Description =
                "Run in this many child processes at once (0: in this process). Default: 0.",
            DefaultValueFactory = _ => 0,
        };
        var output = new Option<string>("--out")
        {
            Description = "Folder for the runs' outputs. Default: out/stress.",
            DefaultValueFactory = _ => Path.Combine("out", "stress"),
        };
        var c = new Command(
            "stress",
            "Run every study's tiny configuration many times at once, with the GC driven hard: no crash, same bytes."
        )
        {
            cases,
            rounds,
            workers,
            gc,
            threads,
            processes,
            output,
        };
        c.SetAction(r =>
        {
            var config = new StressConfig(
                r.GetValue(cases) ?? [],
                r.GetValue(rounds),
                r.GetValue(workers),
                r.GetValue(gc),
                r.GetValue(threads)
            );
            var root = r.GetValue(output)!;
            int p = r.GetValue(processes);
            if (p > 0)
            {
                var codes = StressHarness.RunProcesses(
                    p,
                    config,
                    root,
                    dir => [.. SweepCommand.Self(), .. ChildArguments(config, dir)],
                    Console.WriteLine
                );
                int crashed = codes.Count(x => x >= 128);
                Console.WriteLine(
                    $"stress: {p} processes, exit codes {string.Join(",", codes)}: {crashed} crashed, {codes.Count(x => x is > 0 and < 128)} failed"
                );
                return codes.All(x => x == 0) ? 0 : 1;
            }
            var result = StressHarness.Run(
                config,
                root,
                Console.WriteLine,
                StudyCommand.Common.CtrlC()
            );
            Console.WriteLine(
                $"stress: {result.Runs} runs, {result.FailedRuns} failed, {result.Mismatches.Count} tables differed from their case's first"
            );
            foreach (var m in result.Mismatches)
                Console.WriteLine($"stress: {m}");
            return result.Clean ? 0 : 1;
        });
        return c;
    }

    private static IEnumerable<string> ChildArguments(StressConfig c, string dir)
    {
        string I(int x) => x.ToString(CultureInfo.InvariantCulture);
        yield return "stress";
        yield return "--out";
        yield return dir;
        yield return "--rounds";
        yield return I(c.Rounds);
        yield return "--workers";
        yield return I(c.Workers);
        yield return "--gc-stress";
        yield return c.GcStress ? "true" : "false";
        yield return "--threads";
        yield return I(c.Threads);
        foreach (var k in c.Cases)
        {
            yield return "--case";
            yield return k;
        }
    }
}
