using System.Diagnostics;
using System.Runtime.CompilerServices;
using Telescope.Native;
using Telescope.Telescoping;

namespace Telescope.Experiments.Hosting;

/// <summary>
/// A run failed after output began (a full disk, a native error): finished runs are kept and run.json says
/// failed. Faces report it as a failed run (the CLI: exit 1), not as bad input.
/// </summary>
public sealed class RunFailedException(string message, Exception? inner = null)
    : Exception(message, inner);

/// <summary>
/// A resume refused before any work: the folder's run.json was made by another configuration, or cannot be read.
/// </summary>
public sealed class ResumeException(string message) : ArgumentException(message);

/// <summary>What a host shows while a study runs: progress and one-line messages.</summary>
public interface IRunObserver
{
    /// <summary>Run <paramref name="work"/> with a progress callback <c>(label, done, total)</c>.</summary>
    T Progress<T>(string title, Func<Action<string, long, long>, T> work);

    /// <summary>A message line (a run finished, a checkpoint skipped); <paramref name="routine"/> lines may be left out where progress is drawn live.</summary>
    void Message(string line, bool routine = false);

    /// <summary>Types whose assembly versions run.json records besides the library's (the host's own packages).</summary>
    IEnumerable<Type> HostTypes { get; }
}

/// <summary>The default observer: messages to standard error, no progress bars.</summary>
public sealed class ConsoleObserver : IRunObserver
{
    /// <summary>The shared instance.</summary>
    public static ConsoleObserver Instance { get; } = new();

    /// <inheritdoc />
    public T Progress<T>(string title, Func<Action<string, long, long>, T> work) =>
        work((_, _, _) => { });

    /// <inheritdoc />
    public void Message(string line, bool routine = false) => Console.Error.WriteLine(line);

    /// <inheritdoc />
    public IEnumerable<Type> HostTypes => [];
}

/// <summary>What a finished study left on disk.</summary>
public sealed record StudyOutcome(
    string Table,
    string Manifest,
    IReadOnlyList<RunStatus> Runs,
    bool Failed
);

/// <summary>How a study is run: checkpoint interval and whether to resume.</summary>
/// <param name="CheckpointEvery">Steps between checkpoints (0: none); only runs that checkpoint
/// (<see cref="StudyRun.Checkpointed"/>) use it.</param>
/// <param name="Resume">Reuse finished runs' tables; continue an interrupted run from its last checkpoint
/// when it has one, else restart it from scratch.</param>
/// <param name="Parallel">Runs executed at once, each on its own thread (1: one after another). The tables are the
/// same either way; see <see cref="ThreadPlan"/> for the default.</param>
public sealed record RunOptions(int CheckpointEvery = 0, bool Resume = false, int Parallel = 1)
{
    /// <summary>The checkpoint interval hosts offer by default (steps).</summary>
    public const int DefaultCheckpointEvery = 100;
}

/// <summary>
/// Runs a study's runs one after another: each streams into <c>runs/&lt;run&gt;.csv</c> (atomic: written
/// as <c>.partial</c> and renamed when the run ends), then every run's table is merged into
/// <c>&lt;study&gt;.csv</c> and <c>run.json</c> is written. A run that fails (NaN, divergence) keeps the
/// steps it finished, is marked failed in run.json, and the study exits non-zero; the other runs still
/// complete. Resume works at two grains. Every study resumes at run granularity: <c>--resume</c> reuses
/// the runs the previous run.json marks completed. A run that checkpoints
/// (<see cref="StudyRun.Checkpointed"/>, with <see cref="RunOptions.CheckpointEvery"/> &gt; 0) also
/// resumes within itself: when interrupted (Ctrl-C, kill -9, power loss) it keeps its partial table and
/// its checkpoint (<c>runs/&lt;run&gt;.ckpt</c>) and continues from there, giving the same final table
/// byte for byte. Any other unfinished run restarts from scratch with its partial table truncated; on
/// Ctrl-C its partial table is removed and run.json says <c>interrupted</c>.
/// </summary>
public static class StudyRunner
{
    private sealed class Store(FileCheckpointStore files) : ICheckpointStore
    {
        public byte[]? TryLoadLatest() => files.TryLoadLatest();

        public void Save(long step, byte[] state) => files.Save(state);
    }

    /// <summary>Run every run of <paramref name="study"/> into <paramref name="outDir"/>.</summary>
    public static StudyOutcome Run(
        IStudy study,
        string outDir,
        int threads,
        IReadOnlyList<long> seeds,
        Func<string, IEnumerable<string>>? finish = null,
        CancellationToken cancel = default,
        RunOptions? options = null,
        IRunObserver? observer = null
    )
    {
        options ??= new RunOptions();
        observer ??= ConsoleObserver.Instance;
        var runs = study.Runs();
        bool checkpointing = options.CheckpointEvery > 0 && runs.Any(r => r.Checkpointed);
        using var folder = OutputFolder.Acquire(outDir); // refused: bad input (TelescopeCli, exit 2)
        var runsDir = Path.Combine(outDir, "runs");
        var schema = new TidySchema(study.ParameterNames);
        var config = study.Config;
        config["checkpoint_every"] = checkpointing ? options.CheckpointEvery : 0;
        var previous = options.Resume
            ? Previous(outDir, study.Name, config, study.DataSource, seeds, threads)
            : new Dictionary<string, RunStatus>();
        Directory.CreateDirectory(runsDir);
        int parallel = Math.Clamp(options.Parallel, 1, Math.Max(1, runs.Count));
        if (parallel > 1 && !study.RunsInParallel)
        {
            observer.Message(
                $"telescope: study {study.Name} runs one run at a time (its runs share global state); {parallel} parallel runs asked for"
            );
            parallel = 1;
        }
        var manifest = new RunManifest
        {
            Study = study.Name,
            Config = config,
            DataSource = study.DataSource,
            Seeds = seeds,
            Threads = threads,
            ParallelRuns = parallel,
            Versions = Versions(observer.HostTypes),
        };
        manifest.Save(outDir);
        var statuses = new RunStatus?[runs.Count];
        var gate = new object(); // manifest, statuses, observer and progress are touched by one run at a time
        void Record(int index, RunStatus status)
        {
            statuses[index] = status;
            manifest.Runs.Clear();
            manifest.Runs.AddRange(statuses.OfType<RunStatus>()); // run order, whatever order they finish in
            manifest.Save(outDir);
        }
        var inFlight = new Dictionary<int, StudyRun>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var failedAt = new StrongBox<int>(-1); // the run whose exception stopped the study
        try
        {
            observer.Progress(
                study.Name,
                report =>
                {
                    void RunAt(int i)
                    {
                        var run = runs[i];
                        var label = $"[{i + 1}/{runs.Count}] {run.Key.Run}";
                        var path = Path.Combine(runsDir, run.Key.Run + ".csv");
                        var store = new FileCheckpointStore(
                            Path.Combine(runsDir, run.Key.Run + ".ckpt")
                        );
                        var prev = previous.GetValueOrDefault(run.Key.Run);
                        if (prev is { Status: "completed" } && prev.Table?.Matches(path) != true)
                            lock (gate)
                                observer.Message(
                                    $"telescope: {path} is not the table run.json recorded for run {run.Key.Run} (missing, or its rows or checksum differ); running it again"
                                );
                        else if (prev is { Status: "completed" })
                        {
                            store.Delete();
                            lock (gate)
                            {
                                Record(i, prev); // a second interruption still knows it is done
                                observer.Message(
                                    $"  {label} already finished; reused",
                                    routine: true
                                );
                            }
                            return;
                        }
                        // Continue the partial table only when this run checkpoints and left a
                        // checkpoint (it rewinds the table to it); otherwise start afresh: a stale
                        // partial table is truncated and a checkpoint nobody will read is removed.
                        bool resumable = options.CheckpointEvery > 0 && run.Checkpointed;
                        bool reopen = options.Resume && resumable && store.Exists;
                        if (!reopen)
                            store.Delete();
                        lock (gate)
                            inFlight[i] = run;
                        var sw = Stopwatch.StartNew();
                        using var writer = new TidyCsvWriter(path, schema, run.Key, reopen)
                        {
                            KeepPartialOnAbort = resumable,
                        };
                        var ctx = new RunContext(
                            writer,
                            t =>
                            {
                                lock (gate)
                                    report(label, t, run.Steps);
                            },
                            stop.Token,
                            resumable ? new Store(store) : null,
                            resumable ? options.CheckpointEvery : 0
                        );
                        var result = run.Run(ctx);
                        foreach (var bad in store.Skipped)
                            lock (gate)
                                observer.Message($"telescope: skipped a damaged checkpoint {bad}");
                        writer.Complete();
                        store.Delete();
                        var digest = TableDigest.Of(path);
                        var status = result.Succeeded
                            ? new RunStatus(
                                run.Key.Run,
                                "completed",
                                run.Key.Seed,
                                Seconds: sw.Elapsed.TotalSeconds,
                                Table: digest
                            )
                            : new RunStatus(
                                run.Key.Run,
                                "failed",
                                run.Key.Seed,
                                result.Failure,
                                result.FailedAtStep,
                                sw.Elapsed.TotalSeconds,
                                digest
                            );
                        lock (gate)
                        {
                            inFlight.Remove(i);
                            Record(i, status);
                            if (!result.Succeeded)
                                observer.Message(
                                    $"telescope: run {run.Key.Run} failed at step {result.FailedAtStep}: {result.Failure} (finished steps kept in {path})"
                                );
                            else
                                observer.Message(
                                    $"  {label} done in {sw.Elapsed.TotalSeconds:F1} s",
                                    routine: true
                                );
                        }
                    }
                    RunAll(runs.Count, parallel, RunAt, stop, failedAt);
                    return 0;
                }
            );
        }
        catch (OperationCanceledException)
        {
            foreach (var (i, run) in inFlight)
                statuses[i] = new RunStatus(run.Key.Run, "interrupted", run.Key.Seed);
            manifest.Runs.Clear();
            manifest.Runs.AddRange(statuses.OfType<RunStatus>());
            manifest.Status = "interrupted";
            manifest.Save(outDir);
            throw;
        }
        catch (Exception e) when (e is not ResumeException)
        {
            // anything else (a full disk, a native error): finished runs stay, run.json says why; runs stopped
            // because of it are interrupted (a resume runs them again)
            var why = $"{e.GetType().Name}: {e.Message}";
            foreach (var (i, run) in inFlight)
                statuses[i] =
                    i == failedAt.Value || failedAt.Value < 0
                        ? new RunStatus(run.Key.Run, "failed", run.Key.Seed, why)
                        : new RunStatus(run.Key.Run, "interrupted", run.Key.Seed);
            manifest.Runs.Clear();
            manifest.Runs.AddRange(statuses.OfType<RunStatus>());
            manifest.Status = "failed";
            manifest.Finished = DateTime.UtcNow.ToString("o");
            TrySave(manifest, outDir, observer);
            var culprit =
                failedAt.Value >= 0 ? runs[failedAt.Value] : inFlight.Values.FirstOrDefault();
            throw new RunFailedException(
                culprit is null
                    ? $"study {study.Name} failed: {why}"
                    : $"run {culprit.Key.Run} failed: {why} (finished runs are kept in {runsDir}; run.json says failed)",
                e
            );
        }
        var table = Path.Combine(outDir, study.Name + ".csv");
        TidyTable.Merge(runs.Select(r => Path.Combine(runsDir, r.Key.Run + ".csv")), table);
        bool failed = statuses.Any(s => s?.Status != "completed");
        manifest.Status = failed ? "failed" : "completed";
        manifest.Finished = DateTime.UtcNow.ToString("o");
        manifest.Outputs.Add(Path.GetFileName(table));
        manifest.Outputs.Add("runs/");
        if (finish is not null)
            manifest.Outputs.AddRange(finish(table));
        manifest.Save(outDir);
        return new StudyOutcome(
            table,
            Path.Combine(outDir, "run.json"),
            statuses.OfType<RunStatus>().ToList(),
            failed
        );
    }

    /// <summary>
    /// Call <paramref name="work"/> for every index below <paramref name="count"/>: in order on this thread when
    /// <paramref name="parallel"/> is 1, else on that many threads taking indices in order. The first exception
    /// cancels <paramref name="stop"/> (the other runs stop at their next step) and is rethrown once all threads
    /// have ended; a user's cancellation is rethrown as such.
    /// </summary>
    private static void RunAll(
        int count,
        int parallel,
        Action<int> work,
        CancellationTokenSource stop,
        StrongBox<int> failedAt
    )
    {
        if (parallel <= 1)
        {
            for (int i = 0; i < count; i++)
            {
                stop.Token.ThrowIfCancellationRequested();
                try
                {
                    work(i);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    failedAt.Value = i;
                    throw;
                }
            }
            return;
        }
        int next = -1;
        Exception? first = null;
        var threads = Enumerable
            .Range(0, parallel)
            .Select(_ => new Thread(
                () =>
                {
                    int i;
                    while (
                        !stop.IsCancellationRequested
                        && (i = Interlocked.Increment(ref next)) < count
                    )
                        try
                        {
                            work(i);
                        }
                        catch (Exception e)
                        {
                            // a run stopped by another's failure reports the failure, not its own cancellation
                            if (Interlocked.CompareExchange(ref first, e, null) is null)
                            {
                                if (e is not OperationCanceledException)
                                    failedAt.Value = i;
                                stop.Cancel();
                            }
                        }
                },
                maxStackSize: 16 << 20
            ))
            .ToList();
        foreach (var t in threads)
            t.Start();
        foreach (var t in threads)
            t.Join();
        if (first is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(first).Throw();
        stop.Token.ThrowIfCancellationRequested();
    }

    /// <summary>Save run.json if the disk still lets us (the error being reported may be a full disk).</summary>
    private static void TrySave(RunManifest manifest, string outDir, IRunObserver observer)
    {
        try
        {
            manifest.Save(outDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            observer.Message(
                $"telescope: could not update {Path.Combine(outDir, "run.json")}: {e.Message}"
            );
        }
    }

    /// <summary>
    /// The runs of an earlier run.json in <paramref name="outDir"/>, by name (empty when there is none), after
    /// checking that it was made by the same study, configuration, data source, seeds and thread count: a
    /// resume that would mix two configurations is refused (bad input), naming what differs.
    /// <c>checkpoint_every</c> may change between a run and its resume.
    /// </summary>
    private static Dictionary<string, RunStatus> Previous(
        string outDir,
        string studyName,
        JsonObject config,
        string dataSource,
        IReadOnlyList<long> seeds,
        int threads
    )
    {
        var d = new Dictionary<string, RunStatus>();
        var path = Path.Combine(outDir, "run.json");
        if (!File.Exists(path))
            return d;
        JsonNode? old;
        try
        {
            old = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new ResumeException(
                $"{Option("resume")}: {path} is not valid JSON ({e.Message}); move it away to start afresh"
            );
        }
        var now = Fingerprint(
            studyName,
            dataSource,
            new JsonArray(seeds.Select(x => (JsonNode)JsonValue.Create(x)!).ToArray()),
            threads,
            config
        );
        var then = Fingerprint(
            old?["study"],
            old?["data_source"],
            old?["seeds"],
            old?["threads"],
            old?["config"] as JsonObject
        );
        var differ = now.Select(p => p.Key)
            .Union(then.Select(p => p.Key))
            .Where(k => !JsonNode.DeepEquals(now[k], then[k]))
            .Select(k => $"{k}: {Show(then[k])} → {Show(now[k])}")
            .ToList();
        if (differ.Count > 0)
            throw new ResumeException(
                $"{Option("resume")}: {path} was made by a different configuration ({string.Join("; ", differ)}); use the original options, or another {Option("out")}"
            );
        foreach (var r in old?["runs"]?.AsArray() ?? [])
            if (
                r?["run"]?.GetValue<string>() is { } name
                && r["status"]?.GetValue<string>() is { } status
            )
                d[name] = new RunStatus(
                    name,
                    status,
                    r["seed"]?.GetValue<long>() ?? 0,
                    Seconds: r["seconds"]?.GetValue<double>() ?? 0,
                    Table: r["rows"] is { } rows && r["sha256"] is { } sha
                        ? new TableDigest(rows.GetValue<long>(), sha.GetValue<string>())
                        : null
                );
        return d;
    }

    /// <summary>What a resume must share with the run it continues: flat keys, config entries as <c>config.&lt;key&gt;</c>, less <c>checkpoint_every</c>.</summary>
    private static JsonObject Fingerprint(
        JsonNode? study,
        JsonNode? dataSource,
        JsonNode? seeds,
        JsonNode? threads,
        JsonObject? config
    )
    {
        var f = new JsonObject
        {
            ["study"] = study?.DeepClone(),
            ["data_source"] = dataSource?.DeepClone(),
            ["seeds"] = seeds?.DeepClone(),
            ["threads"] = threads?.DeepClone(),
        };
        foreach (var (k, v) in config ?? [])
            if (k != "checkpoint_every")
                f["config." + k] = v?.DeepClone();
        return f;
    }

    private static string Show(JsonNode? v) => v?.ToJsonString() ?? "(none)";

    /// <summary>Package and runtime versions for run.json.</summary>
    public static IReadOnlyDictionary<string, string> Versions(IEnumerable<Type>? host = null)
    {
        var d = RunManifest.VersionsOf([typeof(XPlot.Plotly.Chart), .. host ?? []]);
        foreach (var (k, v) in TorchRuntime.Versions())
            d[k] = v;
        return d;
    }
}
