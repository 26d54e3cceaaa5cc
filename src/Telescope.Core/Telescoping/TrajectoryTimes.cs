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

    private readonly double[] _wall = new double[PartCount];
    private readonly double[] _cpu = new double[PartCount];
    private const int PartCount = (int)TrajectoryPart.Total + 1;

    /// <summary>Seconds in training steps.</summary>
    public double TrainStep => _wall[(int)TrajectoryPart.TrainStep];

    /// <summary>Seconds in the telescoped increments (the tangent pass on all probe rows).</summary>
    public double Tangent => _wall[(int)TrajectoryPart.Tangent];

    /// <summary>Seconds computing f_t and f_lin,t at logged steps.</summary>
    public double Logged => _wall[(int)TrajectoryPart.Logged];

    /// <summary>Seconds writing the logged rows.</summary>
    public double Writing => _wall[(int)TrajectoryPart.Writing];

    /// <summary>Seconds saving checkpoints.</summary>
    public double Checkpoints => _wall[(int)TrajectoryPart.Checkpoints];

    /// <summary>Seconds of whole <see cref="Trajectory.Run"/> calls.</summary>
    public double Total => _wall[(int)TrajectoryPart.Total];

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
    public double CpuTrainStep => _cpu[(int)TrajectoryPart.TrainStep];

    /// <summary>CPU seconds (process) in the tangent passes.</summary>
    public double CpuTangent => _cpu[(int)TrajectoryPart.Tangent];

    /// <summary>CPU seconds (process) computing f_t and f_lin,t.</summary>
    public double CpuLogged => _cpu[(int)TrajectoryPart.Logged];

    /// <summary>CPU seconds (process) writing rows.</summary>
    public double CpuWriting => _cpu[(int)TrajectoryPart.Writing];

    /// <summary>CPU seconds (process) saving checkpoints.</summary>
    public double CpuCheckpoints => _cpu[(int)TrajectoryPart.Checkpoints];

    /// <summary>CPU seconds (process) of whole calls.</summary>
    public double CpuTotal => _cpu[(int)TrajectoryPart.Total];

    /// <summary>Add the wall and CPU seconds since <paramref name="start"/> to <paramref name="part"/> (a training step
    /// or a logged step also counts one in <see cref="Steps"/> or <see cref="LoggedSteps"/>).</summary>
    internal void Add(TrajectoryPart part, Mark start)
    {
        lock (this)
        {
            _wall[(int)part] += Since(start);
            _cpu[(int)part] += CpuSince(start);
            if (part == TrajectoryPart.TrainStep)
                Steps++;
            else if (part == TrajectoryPart.Logged)
                LoggedSteps++;
        }
    }
}

/// <summary>The parts of <see cref="Trajectory.Run"/> that <see cref="TrajectoryTimes"/> measures.</summary>
internal enum TrajectoryPart
{
    TrainStep,
    Tangent,
    Logged,
    Writing,
    Checkpoints,
    Total,
}
