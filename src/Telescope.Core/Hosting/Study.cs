using System.Text.Json.Nodes;
using Telescope.Telescoping;

namespace Telescope.Hosting;

/// <summary>What a run is given: where its rows go, progress, cancellation, and (when resumable) a checkpoint store.</summary>
/// <param name="Sink">Receives the run's observations.</param>
/// <param name="Progress">Called with each finished step.</param>
/// <param name="Cancel">Interruption (Ctrl-C): the run stops between steps.</param>
/// <param name="Checkpoints">Checkpoint store, or null when not checkpointing.</param>
/// <param name="CheckpointEvery">Steps between checkpoints (0: none).</param>
public sealed record RunContext(
    IObservationSink Sink,
    Action<long> Progress,
    CancellationToken Cancel,
    ICheckpointStore? Checkpoints = null,
    int CheckpointEvery = 0
);

/// <summary>
/// One independent run of a study: its identifying key (seed and swept hyper-parameters) and the work,
/// which streams observations into the sink it is given. Studies never write files themselves.
/// </summary>
/// <param name="Key">study, run id, seed and swept hyper-parameters (the table's identifying columns).</param>
/// <param name="Steps">Number of steps, for progress.</param>
/// <param name="Run">Do the run in a context → result. Runs that pass the context's checkpoint store to
/// <see cref="Trajectory.Run"/> or <see cref="Smoothing.SmootherTrajectory.Run"/> can be interrupted and
/// resumed.</param>
public sealed record StudyRun(RunKey Key, long Steps, Func<RunContext, TrajectoryResult> Run)
{
    /// <summary>A run that does not checkpoint: (sink, progress(step), cancel) → result.</summary>
    public StudyRun(
        RunKey key,
        long steps,
        Func<IObservationSink, Action<long>, CancellationToken, TrajectoryResult> execute
    )
        : this(key, steps, c => execute(c.Sink, c.Progress, c.Cancel)) => Checkpointed = false;

    /// <summary>
    /// Whether the run uses the context's checkpoint store, so that an interrupted run can continue
    /// from its last checkpoint. False for runs built from (sink, progress, cancel): those restart
    /// from scratch when resumed.
    /// </summary>
    public bool Checkpointed { get; init; } = true;

    /// <summary>
    /// Do the run as a host must: inside a dispose scope of its own, so that every tensor the run makes stays
    /// reachable while libtorch reads it and is freed when the run ends (<see cref="Tensors.Lifetimes"/>). Every host
    /// (the runner, the in-memory runner, the F# face) calls this, never <see cref="Run"/> directly.
    /// </summary>
    public TrajectoryResult Execute(RunContext context)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        return Run(context);
    }
}

/// <summary>A study: a named grid of runs plus what the outputs must record about it.</summary>
public interface IStudy
{
    /// <summary>Study name (the <c>study</c> column and output file stem).</summary>
    string Name { get; }

    /// <summary>Where the data came from; recorded in run.json and printed.</summary>
    string DataSource { get; }

    /// <summary>
    /// The coordinate columns between <c>output</c> and <c>quantity</c>, in column order: the swept
    /// hyper-parameters (each run's <see cref="RunKey"/> sets them) and the row-level coordinates that vary
    /// within a run (each observation's <see cref="Observation.Coordinates"/>, e.g. lmc's <c>alpha</c> and
    /// <c>layer</c>).
    /// </summary>
    IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The full configuration as JSON (for run.json).</summary>
    JsonObject Config { get; }

    /// <summary>The runs, in a fixed order.</summary>
    IReadOnlyList<StudyRun> Runs();

    /// <summary>
    /// Whether runs may execute at once on separate threads with the same results as one after another (true unless
    /// they share global state, such as libtorch's global generator).
    /// </summary>
    bool RunsInParallel => true;
}
