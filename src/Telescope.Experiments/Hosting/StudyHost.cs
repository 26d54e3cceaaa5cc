using Telescope.Experiments.Studies;
using Telescope.Native;

namespace Telescope.Experiments.Hosting;

/// <summary>
/// What a host (the CLI, a sweep job, a script) settles before and around a catalog study: the run options, the
/// thread count, the device and the native library, with every problem one <see cref="ParameterException"/> line.
/// Faces reach the engine's runtime only through here.
/// </summary>
public static class StudyHost
{
    /// <summary>The intra-op thread count hosts use when none is asked for (<see cref="ThreadPlan.Auto"/>: the plan decides).</summary>
    public const int DefaultThreads = ThreadPlan.Auto;

    /// <summary>The parallel-run count hosts use when none is asked for (<see cref="ThreadPlan.Auto"/>: the plan decides).</summary>
    public const int DefaultParallel = ThreadPlan.Auto;

    /// <summary>Where a host writes <paramref name="name"/> (a study, <c>bench/ntk</c>) when no folder is given: <c>out/NAME</c>.</summary>
    public static string DefaultDir(string name) => Path.Combine("out", name);

    /// <summary>Exit code of a host that stops because the native library cannot be loaded.</summary>
    public const int NativeFailureExitCode = TorchRuntime.NativeFailureExitCode;

    /// <summary>Run options, validated: <c>--checkpoint-every must be ≥ 0</c>; <c>--resume</c> and <c>--replace</c> exclude each other.</summary>
    public static RunOptions Options(int checkpointEvery, bool resume, bool replace = false) =>
        checkpointEvery < 0
            ? throw new ParameterException(
                $"{Option("checkpoint-every")} must be ≥ 0, got {checkpointEvery}"
            )
        : resume && replace
            ? throw new ParameterException(
                $"{Option("resume")} and {Option("replace")} exclude each other: {Option("resume")} continues the folder's study, {Option("replace")} deletes another study's results"
            )
        : new RunOptions(checkpointEvery, resume, Replace: replace);

    /// <summary>A thread count, validated (0: all cores; at most four per core).</summary>
    public static void CheckThreads(int threads)
    {
        if (StudyLimits.ThreadProblems(threads).FirstOrDefault() is { } bad)
            throw new ParameterException($"{Option("threads")} {bad}");
    }

    /// <summary>A thread and a parallel-run count, validated (0: automatic; at most four per core).</summary>
    public static void CheckThreads(int threads, int parallel)
    {
        if (ThreadPlan.Problems(threads, parallel).FirstOrDefault() is { } bad)
            throw new ParameterException(bad);
    }

    /// <summary>The device exists in this build (loads libtorch to ask).</summary>
    public static void CheckDevice(string device)
    {
        try
        {
            TorchRuntime.EnsureLoaded();
            TorchRuntime.Device(device);
        }
        catch (ArgumentException e)
        {
            throw new ParameterException($"{Option("device")}: {e.Message}");
        }
    }

    /// <summary>Load libtorch, check <paramref name="device"/>, fix the thread count; returns the threads in effect.</summary>
    public static int Prepare(string device, int threads)
    {
        CheckDevice(device);
        CheckThreads(threads);
        return TorchRuntime.SetThreads(threads);
    }

    /// <summary>
    /// Everything a run of <paramref name="plan"/> into <paramref name="outDir"/> needs that a dry run can check:
    /// the thread count, the output folder (<see cref="OutputFolderException"/>) and the device.
    /// </summary>
    public static void Check(
        StudyPlan plan,
        string outDir,
        int threads,
        int parallel = DefaultParallel,
        RunOptions? options = null
    )
    {
        CheckThreads(threads, parallel);
        OutputFolder.Check(outDir);
        StudyRunner.CheckFolder(outDir, plan.Study.Name, options ?? new RunOptions());
        CheckDevice(plan.Device);
    }

    /// <summary>Whether any run of the plan checkpoints within itself (the others resume whole runs).</summary>
    public static bool Checkpoints(StudyPlan plan) => plan.Study.Runs().Any(r => r.Checkpointed);

    /// <summary>
    /// Run a catalog entry's plan into <paramref name="outDir"/>: settle threads and parallel runs
    /// (<see cref="ThreadPlan.For(IStudy, int, int)"/> from the requested counts), fix device and threads, load the
    /// data (bad or missing data is a <see cref="ParameterException"/>, before any output), say what runs, then
    /// <see cref="StudyRunner.Run"/> with the entry's figures.
    /// </summary>
    public static StudyOutcome Run(
        IStudyDefinition d,
        StudyPlan plan,
        string outDir,
        int threads,
        RunOptions options,
        CancellationToken cancel,
        IRunObserver observer,
        int parallel = DefaultParallel
    )
    {
        var study = plan.Study;
        CheckThreads(threads, parallel);
        StudyRunner.CheckFolder(outDir, study.Name, options); // before the data is loaded or a line printed
        var threadPlan = ThreadPlan.For(study, threads, parallel);
        int used = Prepare(plan.Device, threadPlan.Threads);
        threadPlan = threadPlan with { Threads = used };
        options = options with { Parallel = threadPlan.Parallel };
        string source;
        try
        {
            source = study.DataSource; // loads (and on first use fetches) the data before any output exists
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new ParameterException(e.Message);
        }
        observer.Message(
            $"telescope: study {study.Name} — {plan.Size}, data: {source}, {threadPlan} → {outDir}"
        );
        return StudyRunner.Run(
            study,
            outDir,
            used,
            plan.Seeds,
            table => d.Figures(table, outDir, source),
            cancel,
            options,
            observer
        );
    }

    /// <summary>The one line to print when <paramref name="e"/> is a failure to load the native library, else null.</summary>
    public static string? NativeFailure(Exception e) =>
        e is NativeLoadException ? e.Message : NativeLibraries.Explain(e);

    /// <summary>Whether <paramref name="e"/> is the native library's own load failure (<see cref="NativeLoadException"/>).</summary>
    public static bool IsNativeLoadFailure(Exception e) => e is NativeLoadException;
}
