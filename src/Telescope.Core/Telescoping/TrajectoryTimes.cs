using System.Diagnostics;

namespace Telescope.Telescoping;

/// <summary>
/// Wall seconds of the parts of <see cref="Trajectory.Run"/>, summed over the runs made while <see cref="Collect"/> is
/// in force (a benchmark's per-step breakdown; nothing is measured otherwise). Parts: <see cref="TrainStep"/> (θ_{t−1}
/// kept, batch, forward, loss, backward, gradient norm, optimiser step), <see cref="Tangent"/> (Δθ_t, its norm, the
/// JVP ∇f_{θ_{t−1}}(X)ᵀΔθ_t on every probe row and f̃'s update), <see cref="Logged"/> (f_t and f_lin,t at the logged
/// steps), <see cref="Writing"/> (the logged rows to the sink) and <see cref="Checkpoints"/>; <see cref="Total"/> is
/// the whole call (setup and f_0 included). Each part also in CPU seconds of the whole process (<c>Cpu*</c>: all its
/// threads; on a loaded machine nearer to the idle wall time than the wall time is).
/// </summary>
public sealed class TrajectoryTimes
{
    private static TrajectoryTimes? _active;

    /// <summary>Seconds in training steps.</summary>
    public double TrainStep { get; private set; }

    /// <summary>Seconds in the telescoped increments (the tangent pass on all probe rows).</summary>
    public double Tangent { get; private set; }

    /// <summary>Seconds computing f_t and f_lin,t at logged steps.</summary>
    public double Logged { get; private set; }

    /// <summary>Seconds writing the logged rows.</summary>
    public double Writing { get; private set; }

    /// <summary>Seconds saving checkpoints.</summary>
    public double Checkpoints { get; private set; }

    /// <summary>Seconds of whole <see cref="Trajectory.Run"/> calls.</summary>
    public double Total { get; private set; }

    /// <summary>Steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>Logged steps (step 0 included).</summary>
    public long LoggedSteps { get; private set; }

    /// <summary>Measure the trajectories run until the result is disposed into <paramref name="into"/> (one collector at a time).</summary>
    public static IDisposable Collect(TrajectoryTimes into)
    {
        if (Interlocked.CompareExchange(ref _active, into, null) is not null)
            throw new InvalidOperationException("another TrajectoryTimes collector is in force");
        return new Stop(into);
    }

    private sealed class Stop(TrajectoryTimes t) : IDisposable
    {
        public void Dispose() => Interlocked.CompareExchange(ref _active, null, t);
    }

    /// <summary>The collector in force, or null.</summary>
    internal static TrajectoryTimes? Active => Volatile.Read(ref _active);

    /// <summary>A moment: wall ticks and process CPU seconds (CPU only read while a collector is in force).</summary>
    internal readonly record struct Mark(long Wall, double Cpu);

    internal static Mark Now() =>
        new(Stopwatch.GetTimestamp(), Active is null ? 0 : ProcessCpuSeconds());

    /// <summary>CPU seconds of this process, all threads (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)); NaN off Linux.</summary>
    public static double ProcessCpuSeconds()
    {
        if (!OperatingSystem.IsLinux())
            return double.NaN;
        var ts = new long[2];
        return ClockGetTime(2 /* CLOCK_PROCESS_CPUTIME_ID */, ts) == 0 ? ts[0] + ts[1] * 1e-9 : double.NaN;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, [System.Runtime.InteropServices.Out] long[] ts);

    private static double Since(Mark start) => Stopwatch.GetElapsedTime(start.Wall).TotalSeconds;

    private static double CpuSince(Mark start) => ProcessCpuSeconds() - start.Cpu;

    /// <summary>CPU seconds (process) in training steps.</summary>
    public double CpuTrainStep { get; private set; }

    /// <summary>CPU seconds (process) in the tangent passes.</summary>
    public double CpuTangent { get; private set; }

    /// <summary>CPU seconds (process) computing f_t and f_lin,t.</summary>
    public double CpuLogged { get; private set; }

    /// <summary>CPU seconds (process) writing rows.</summary>
    public double CpuWriting { get; private set; }

    /// <summary>CPU seconds (process) saving checkpoints.</summary>
    public double CpuCheckpoints { get; private set; }

    /// <summary>CPU seconds (process) of whole calls.</summary>
    public double CpuTotal { get; private set; }

    internal void AddTrain(Mark start)
    {
        lock (this)
        {
            TrainStep += Since(start);
            CpuTrainStep += CpuSince(start);
            Steps++;
        }
    }

    internal void AddTangent(Mark start)
    {
        lock (this)
        {
            Tangent += Since(start);
            CpuTangent += CpuSince(start);
        }
    }

    internal void AddLogged(Mark start)
    {
        lock (this)
        {
            Logged += Since(start);
            CpuLogged += CpuSince(start);
            LoggedSteps++;
        }
    }

    internal void AddWriting(Mark start)
    {
        lock (this)
        {
            Writing += Since(start);
            CpuWriting += CpuSince(start);
        }
    }

    internal void AddCheckpoint(Mark start)
    {
        lock (this)
        {
            Checkpoints += Since(start);
            CpuCheckpoints += CpuSince(start);
        }
    }

    internal void AddTotal(Mark start)
    {
        lock (this)
        {
            Total += Since(start);
            CpuTotal += CpuSince(start);
        }
    }
}
