using System.Text.Json.Nodes;
using Telescope.Telescoping;

namespace Telescope.Studies;

/// <summary>
/// One independent run of a study: its identifying key (seed and swept hyper-parameters) and the work,
/// which streams observations into the sink it is given. Studies never write files themselves.
/// </summary>
/// <param name="Key">study, run id, seed and swept hyper-parameters (the table's identifying columns).</param>
/// <param name="Steps">Number of steps, for progress.</param>
/// <param name="Execute">Do the run: (sink, progress(step), cancel) → result.</param>
public sealed record StudyRun(RunKey Key, long Steps, Func<IObservationSink, Action<long>, CancellationToken, TrajectoryResult> Execute);

/// <summary>A study: a named grid of runs plus what the outputs must record about it.</summary>
public interface IStudy
{
    /// <summary>Study name (the <c>study</c> column and output file stem).</summary>
    string Name { get; }

    /// <summary>Where the data came from; recorded in run.json and printed.</summary>
    string DataSource { get; }

    /// <summary>Swept hyper-parameter column names, in column order.</summary>
    IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The full configuration as JSON (for run.json).</summary>
    JsonObject Config { get; }

    /// <summary>The runs, in a fixed order.</summary>
    IReadOnlyList<StudyRun> Runs();
}
