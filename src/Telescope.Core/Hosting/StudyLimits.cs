namespace Telescope.Hosting;

/// <summary>
/// Bounds every face checks before a study starts (declared once here): beyond them a request is a
/// mistake, not a workload — <c>--threads 100000</c> hangs a machine, <c>--seed 0..2000000000</c> fills
/// its memory with run descriptions.
/// </summary>
public static class StudyLimits
{
    /// <summary>The most seeds one command may ask for.</summary>
    public const int MaxSeeds = 10_000;

    /// <summary>The most intra-op threads a run may ask for: four per core of this machine.</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>Every problem with a thread count (0 means all cores); empty when valid.</summary>
    public static IEnumerable<string> ThreadProblems(int threads)
    {
        if (threads < 0)
            yield return $"must be ≥ 0 (0: all cores), got {threads}";
        else if (threads > MaxThreads)
            yield return $"must be at most {MaxThreads} (4 per core on this {Environment.ProcessorCount}-core machine), got {threads}";
    }
}
