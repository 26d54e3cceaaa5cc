using Telescope.Experiments.Parameters;
using Telescope.Experiments.Studies;
using Telescope.Frames;
using Telescope.Native;
using Telescope.Studies;

namespace Telescope.Experiments.Hosting;

/// <summary>
/// What a host (the CLI, a sweep job, a script) settles before and around a catalog study: the run options, the
/// thread count, the device and the native library, with every problem one <see cref="ParameterException"/> line.
/// Faces reach the engine's runtime only through here.
/// </summary>
public static class StudyHost
{
    /// <summary>The intra-op thread count hosts use when none is asked for (0: all cores).</summary>
    public const int DefaultThreads = 0;

    /// <summary>Where a host writes <paramref name="name"/> (a study, <c>bench/ntk</c>) when no folder is given: <c>out/NAME</c>.</summary>
    public static string DefaultDir(string name) => Path.Combine("out", name);

    /// <summary>Exit code of a host that stops because the native library cannot be loaded.</summary>
    public const int NativeFailureExitCode = TorchRuntime.NativeFailureExitCode;

    /// <summary>Run options, validated: <c>--checkpoint-every must be ≥ 0</c>.</summary>
    public static RunOptions Options(int checkpointEvery, bool resume) =>
        checkpointEvery < 0
            ? throw new ParameterException($"--checkpoint-every must be ≥ 0, got {checkpointEvery}")
            : new RunOptions(checkpointEvery, resume);

    /// <summary>A thread count, validated (0: all cores; at most four per core).</summary>
    public static void CheckThreads(int threads)
    {
        if (StudyLimits.ThreadProblems(threads).FirstOrDefault() is { } bad)
            throw new ParameterException($"--threads {bad}");
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
            throw new ParameterException($"--device: {e.Message}");
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
    public static void Check(StudyPlan plan, string outDir, int threads)
    {
        CheckThreads(threads);
        OutputFolder.Check(outDir);
        CheckDevice(plan.Device);
    }

    /// <summary>Whether any run of the plan checkpoints within itself (the others resume whole runs).</summary>
    public static bool Checkpoints(StudyPlan plan) => plan.Study.Runs().Any(r => r.Checkpointed);

    /// <summary>
    /// Run a catalog entry's plan into <paramref name="outDir"/>: fix device and threads, load the data (bad or
    /// missing data is a <see cref="ParameterException"/>, before any output), say what runs, then
    /// <see cref="StudyRunner.Run"/> with the entry's figures.
    /// </summary>
    public static StudyOutcome Run(
        IStudyDefinition d,
        StudyPlan plan,
        string outDir,
        int threads,
        RunOptions options,
        CancellationToken cancel,
        IRunObserver observer
    )
    {
        var study = plan.Study;
        int used = Prepare(plan.Device, threads);
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
            $"telescope: study {study.Name} — {plan.Size}, data: {source}, {used} threads → {outDir}"
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
