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

    /// <summary>The most optimiser steps one run may ask for (the paper's longest run is 300,000 steps).</summary>
    public const int MaxSteps = 1_000_000;

    /// <summary>The most units in one hidden layer, and the largest input dimension of a generated data set.</summary>
    public const int MaxWidth = 10_000;

    /// <summary>The most hidden layers of one network.</summary>
    public const int MaxLayers = 100;

    /// <summary>The most convolution channels of one layer.</summary>
    public const int MaxChannels = 1024;

    /// <summary>The most rows of a generated data set (training and test rows together).</summary>
    public const int MaxRows = 1_000_000;

    /// <summary>The most numbers in one generated data matrix (rows × columns): 800 MB in float64.</summary>
    public const long MaxElements = 100_000_000;

    /// <summary>The most repetitions of one thing a command may ask for: trees, children, interpolation points, timed repeats.</summary>
    public const int MaxCount = 10_000;

    /// <summary>The deepest tree a boosted ensemble may grow (a full tree of depth d has 2^d leaves).</summary>
    public const int MaxTreeDepth = 20;

    /// <summary>
    /// "<paramref name="option"/> must be ≤ <paramref name="max"/>, got <paramref name="value"/>" when the value is above
    /// its bound; nothing otherwise. Compared as <see cref="long"/>: no sum or product of the caller's overflows first.
    /// </summary>
    public static IEnumerable<string> AtMost(string option, long value, long max)
    {
        if (value > max)
            yield return $"{option} must be ≤ {max}, got {value}";
    }

    /// <summary>
    /// <see cref="AtMost(string, long, long)"/> for each bound in turn: the problems of every value above its bound, in the
    /// order given (one line per bound a study checks, instead of one loop each).
    /// </summary>
    public static IEnumerable<string> AtMost(
        params (string Option, long Value, long Max)[] bounds
    ) => bounds.SelectMany(b => AtMost(b.Option, b.Value, b.Max));

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
