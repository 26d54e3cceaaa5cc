using System.Diagnostics;

namespace Telescope.Experiments.Benchmarks;

/// <summary>Wall-clock timing for benchmarks: warm-up, then the median of repeated runs.</summary>
internal static class Timing
{
    /// <summary>Median seconds of <paramref name="repeats"/> runs of <paramref name="work"/> after <paramref name="warmup"/> unrecorded runs.</summary>
    public static double Median(Action work, int repeats = 5, int warmup = 1)
    {
        for (int i = 0; i < warmup; i++)
            work();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            var sw = Stopwatch.StartNew();
            work();
            times[i] = sw.Elapsed.TotalSeconds;
        }
        return MedianOf(times);
    }

    /// <summary>
    /// Times several methods in turn: after <paramref name="warmup"/> unrecorded rounds, each of
    /// <paramref name="rounds"/> rounds runs every method once, in order. Returns seconds[method][round].
    /// A slow spell of the machine then falls on every method alike, so a ratio taken round by round
    /// (<see cref="MedianRatio"/>) is steadier than a ratio of medians timed one method after another.
    /// </summary>
    public static double[][] Interleaved(IReadOnlyList<Action> works, int rounds, int warmup = 1)
    {
        if (rounds < 1)
            throw new ArgumentOutOfRangeException(nameof(rounds), "must be ≥ 1");
        for (int w = 0; w < warmup; w++)
            foreach (var work in works)
                work();
        var times = works.Select(_ => new double[rounds]).ToArray();
        for (int r = 0; r < rounds; r++)
        for (int m = 0; m < works.Count; m++)
        {
            var sw = Stopwatch.StartNew();
            works[m]();
            times[m][r] = sw.Elapsed.TotalSeconds;
        }
        return times;
    }

    /// <summary>The median of <paramref name="seconds"/> (upper median for an even count, as <see cref="Median"/>).</summary>
    public static double MedianOf(IReadOnlyList<double> seconds)
    {
        var s = seconds.ToArray();
        Array.Sort(s);
        return s[s.Length / 2];
    }

    /// <summary>Median over rounds of <c>a_r / b_r</c>: the paired ratio of two methods timed in the same rounds (<see cref="Interleaved"/>).</summary>
    public static double MedianRatio(IReadOnlyList<double> a, IReadOnlyList<double> b) =>
        a.Count == b.Count
            ? MedianOf(a.Select((x, i) => x / b[i]).ToArray())
            : throw new ArgumentException(
                "the two methods were timed in different numbers of rounds"
            );

    /// <summary>
    /// Median seconds and the number of timed runs: one warm-up (a second when the first took less than a
    /// quarter of <paramref name="budget"/>), then <c>max(floor, min(maxRepeats, ⌈budget / t⌉))</c> timed runs,
    /// where t is the last warm-up's time and floor is 3 for runs over 0.5 s, else
    /// <paramref name="minRepeats"/>. The same rule as scripts/bench-peer.py.
    /// </summary>
    public static (double seconds, int repeats) Adaptive(
        Action work,
        double budget = 2.0,
        int minRepeats = 5,
        int maxRepeats = 50
    )
    {
        var sw = Stopwatch.StartNew();
        work();
        double t = sw.Elapsed.TotalSeconds;
        if (t < budget / 4)
        {
            sw.Restart();
            work();
            t = sw.Elapsed.TotalSeconds;
        }
        int floor = t > 0.5 ? 3 : minRepeats;
        int reps = Math.Max(
            floor,
            (int)Math.Min(maxRepeats, Math.Ceiling(budget / Math.Max(t, 1e-9)))
        );
        return (Median(work, reps, warmup: 0), reps);
    }

    /// <summary>Peak resident memory of this process so far, in MiB (Linux: VmHWM), or NaN if unknown.</summary>
    public static double PeakResidentMiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:"))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
                        / 1024.0;
        }
        catch (IOException) { }
        return double.NaN;
    }

    /// <summary>Current resident memory in MiB (Linux: VmRSS), or NaN.</summary>
    public static double ResidentMiB()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:"))
                    return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])
                        / 1024.0;
        }
        catch (IOException) { }
        return double.NaN;
    }
}
