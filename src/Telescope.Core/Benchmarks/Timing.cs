using System.Diagnostics;

namespace Telescope.Benchmarks;

/// <summary>Wall-clock timing for benchmarks: warm-up, then the median of repeated runs.</summary>
public static class Timing
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
        Array.Sort(times);
        return times[repeats / 2];
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
