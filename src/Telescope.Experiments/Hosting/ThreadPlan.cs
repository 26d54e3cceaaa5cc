namespace Telescope.Experiments.Hosting;

/// <summary>
/// How a study uses the machine's cores: <see cref="Threads"/> intra-op threads in each run × <see cref="Parallel"/>
/// runs at once, so that Threads × Parallel ≤ cores by default. A study's runs are independent, and small models
/// gain little from a second intra-op thread (libgomp's team costs more than it saves, and on a shared machine
/// its threads wait on other work), so the default spends the cores on runs: one thread per run, as many runs at
/// once as there are cores. Tables depend on <see cref="Threads"/> (reductions split differently), never on
/// <see cref="Parallel"/>: run.json records both, and a resume must use the same thread count.
/// </summary>
/// <param name="Threads">Intra-op threads per run.</param>
/// <param name="Parallel">Runs executed at once.</param>
public sealed record ThreadPlan(int Threads, int Parallel)
{
    /// <summary>The value that asks for the default (as <c>--threads 0</c> and <c>--parallel 0</c>).</summary>
    public const int Auto = 0;

    /// <summary>The most threads or parallel runs accepted (<see cref="StudyLimits.MaxThreads"/>: 4 per core).</summary>
    public static int Max => StudyLimits.MaxThreads;

    /// <summary>
    /// The plan for <paramref name="runs"/> runs on <paramref name="cores"/> cores (default: this machine's).
    /// Parallel, when <see cref="Auto"/>: min(runs, ⌊cores / threads⌋) (threads counted as 1 when also automatic),
    /// 1 when the study's runs cannot share a process (<paramref name="runsInParallel"/> false). Threads, when
    /// <see cref="Auto"/>: max(1, ⌊cores / parallel⌋). Explicit values are kept, parallel capped at the number of runs.
    /// </summary>
    public static ThreadPlan For(
        int runs,
        int threads = Auto,
        int parallel = Auto,
        bool runsInParallel = true,
        int? cores = null
    )
    {
        int c = Math.Max(1, cores ?? Environment.ProcessorCount);
        int n = Math.Max(1, runs);
        int p =
            !runsInParallel ? 1
            : parallel != Auto ? parallel
            : Math.Max(1, c / Math.Max(1, threads));
        p = Math.Clamp(p, 1, n);
        int t = threads != Auto ? threads : Math.Max(1, c / p);
        return new ThreadPlan(t, p);
    }

    /// <summary>The plan for a study's runs (<see cref="IStudy.RunsInParallel"/> respected).</summary>
    public static ThreadPlan For(IStudy study, int threads = Auto, int parallel = Auto) =>
        For(study.Runs().Count, threads, parallel, study.RunsInParallel);

    /// <summary>Every problem with a requested thread or parallel-run count (empty when valid).</summary>
    public static IEnumerable<string> Problems(int threads, int parallel)
    {
        foreach (
            var (name, v) in new[] { (Option("threads"), threads), (Option("parallel"), parallel) }
        )
            if (v < 0)
                yield return $"{name} must be ≥ 0 (0: automatic), got {v}";
            else if (v > Max)
                yield return $"{name} must be at most {Max} (4 per core on this {Environment.ProcessorCount}-core machine), got {v}";
    }

    /// <summary>The plan in words: <c>1 thread × 2 runs at once</c>.</summary>
    public override string ToString() =>
        $"{Threads} thread{(Threads == 1 ? "" : "s")} × {Parallel} run{(Parallel == 1 ? "" : "s")} at once";
}
