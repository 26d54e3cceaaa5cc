using System.Diagnostics;

namespace Telescope.Telescoping;

/// <summary>
/// Wall seconds of the parts of <see cref="Trajectory.Run"/>, summed over the runs made while <see cref="Collect"/> is
/// in force (a benchmark's per-step breakdown; nothing is measured otherwise). Parts: <see cref="TrainStep"/> (θ_{t−1}
/// kept, batch, forward, loss, backward, gradient norm, optimiser step), <see cref="Tangent"/> (Δθ_t, its norm, the
/// JVP ∇f_{θ_{t−1}}(X)ᵀΔθ_t on every probe row and f̃'s update), <see cref="Logged"/> (f_t and f_lin,t at the logged
/// steps), <see cref="Writing"/> (the logged rows to the sink) and <see cref="Checkpoints"/>; <see cref="Total"/> is
/// the whole call (setup and f_0 included).
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

    internal static long Now() => Stopwatch.GetTimestamp();

    private static double Since(long start) => Stopwatch.GetElapsedTime(start).TotalSeconds;

    internal void AddTrain(long start)
    {
        lock (this)
        {
            TrainStep += Since(start);
            Steps++;
        }
    }

    internal void AddTangent(long start)
    {
        lock (this)
            Tangent += Since(start);
    }

    internal void AddLogged(long start)
    {
        lock (this)
        {
            Logged += Since(start);
            LoggedSteps++;
        }
    }

    internal void AddWriting(long start)
    {
        lock (this)
            Writing += Since(start);
    }

    internal void AddCheckpoint(long start)
    {
        lock (this)
            Checkpoints += Since(start);
    }

    internal void AddTotal(long start)
    {
        lock (this)
            Total += Since(start);
    }
}
