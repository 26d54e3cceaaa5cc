using Telescope.Telescoping;

namespace Telescope.Hosting;

/// <summary>One run of a study recorded in memory: its key, every observation, and how it ended.</summary>
public sealed record RecordedRun(
    RunKey Key,
    IReadOnlyList<Observation> Observations,
    TrajectoryResult Result
)
{
    /// <summary>Whether the run finished all its steps.</summary>
    public bool Succeeded => Result.Succeeded;
}

/// <summary>Running a study without files, for scripts and notebooks (small studies; long ones stream to disk with <c>telescope study</c>).</summary>
public static class StudyInMemory
{
    /// <summary>Run every run of <paramref name="study"/> in order, collecting observations in memory.</summary>
    public static IReadOnlyList<RecordedRun> RunInMemory(
        this IStudy study,
        CancellationToken cancel = default
    )
    {
        Native.TorchRuntime.EnsureLoaded();
        var result = new List<RecordedRun>();
        foreach (var run in study.Runs())
        {
            var sink = new ObservationList();
            var outcome = run.Execute(new RunContext(sink, _ => { }, cancel));
            result.Add(new RecordedRun(run.Key, sink.Items, outcome));
        }
        return result;
    }
}
