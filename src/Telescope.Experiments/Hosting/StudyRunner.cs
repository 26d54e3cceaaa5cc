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
internal sealed class ConsoleObserver : IRunObserver
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
/// <param name="Replace">Delete the results of another study found in the folder (its run.json, table and runs/)
/// before starting; without it such a folder is refused.</param>
public sealed record RunOptions(
    int CheckpointEvery = 0,
    bool Resume = false,
    int Parallel = 1,
    bool Replace = false
)
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
    /// <summary>
    /// A run's checkpoint store: every checkpoint is sealed with its run's fingerprint (<see cref="RunStamp"/>: study,
    /// run key, configuration, data source, threads, MKL path) and the length and SHA-256 of the run's partial table at
    /// that checkpoint, so a checkpoint of another run (or of this run under other options) and a partial table edited
    /// or damaged before the checkpoint are refused instead of continued.
    /// </summary>
    internal sealed class Store(FileCheckpointStore files, string stamp, string partial)
        : ICheckpointStore
    {
        private const string Magic = "TELESCOPE-RUN-CHECKPOINT-1";
        private System.Security.Cryptography.IncrementalHash _hash = NewHash();
        private long _hashed;

        private static System.Security.Cryptography.IncrementalHash NewHash() =>
            System.Security.Cryptography.IncrementalHash.CreateHash(
                System.Security.Cryptography.HashAlgorithmName.SHA256
            );

        /// <summary>The checkpoint file.</summary>
        public string Path => files.Path;

        public byte[]? TryLoadLatest()
        {
            var sealed_ = files.TryLoadLatest();
            if (sealed_ is null)
                return null;
            var (payload, problem) = Open(sealed_);
            if (problem is not null)
                throw new InvalidDataException(problem);
            return payload;
        }

        /// <summary>Why the newest whole checkpoint cannot continue this run (null: it can, or there is none).</summary>
        public string? Verify()
        {
            var sealed_ = files.TryLoadLatest();
            return sealed_ is null ? null : Open(sealed_).Problem;
        }

        private (byte[]? Payload, string? Problem) Open(byte[] sealed_)
        {
            string theirs;
            long length;
            byte[] sha;
            byte[] payload;
            try
            {
                using var r = new BinaryReader(new MemoryStream(sealed_));
                if (r.ReadString() != Magic)
                    return (null, $"{files.Path} was not written by this version's study runner");
                theirs = r.ReadString();
                length = r.ReadInt64();
                sha = r.ReadBytes(32);
                payload = r.ReadBytes(r.ReadInt32());
            }
            catch (Exception e) when (e is EndOfStreamException or IOException)
            {
                return (null, $"{files.Path} cannot be read ({e.Message})");
            }
            if (theirs != stamp)
                return (
                    null,
                    $"{files.Path} belongs to another run or configuration ({Differ(theirs, stamp)})"
                );
            // the partial table up to the checkpoint must be the bytes the checkpoint sealed
            _hash = NewHash();
            _hashed = 0;
            if (!File.Exists(partial))
                return (null, $"{partial} (the run's table up to its checkpoint) is missing");
            using (var fs = Open(partial))
            {
                if (fs.Length < length)
                    return (
                        null,
                        $"{partial} holds {fs.Length} bytes, fewer than the {length} its checkpoint sealed"
                    );
                Feed(fs, length);
            }
            var now = _hash.GetCurrentHash();
            if (!now.AsSpan().SequenceEqual(sha))
                return (
                    null,
                    $"{partial} was changed before its checkpoint (its first {length} bytes no longer have the SHA-256 the checkpoint sealed)"
                );
            return (payload, null);
        }

        public void Save(long step, byte[] state)
        {
            // the engine commits (flushes) the table just before it saves: the file's length is the checkpoint's position
            using (var fs = Open(partial))
            {
                if (fs.Length < _hashed)
                {
                    // the table was rewound below what was hashed (a fresh start): hash it again from the top
                    _hash = NewHash();
                    _hashed = 0;
                }
                Feed(fs, fs.Length);
            }
            using var ms = new MemoryStream();
            using (var w = new BinaryWriter(ms))
            {
                w.Write(Magic);
                w.Write(stamp);
                w.Write(_hashed);
                w.Write(_hash.GetCurrentHash());
                w.Write(state.Length);
                w.Write(state);
            }
            files.Save(ms.ToArray());
        }

        private static FileStream Open(string file) =>
            new(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        private void Feed(FileStream fs, long upTo)
        {
            fs.Seek(_hashed, SeekOrigin.Begin);
            var buf = new byte[1 << 16];
            while (_hashed < upTo)
            {
                int n = fs.Read(buf, 0, (int)Math.Min(buf.Length, upTo - _hashed));
                if (n <= 0)
                    throw new EndOfStreamException($"{partial} ended while it was being read");
                _hash.AppendData(buf, 0, n);
                _hashed += n;
            }
        }

        private static string Differ(string theirs, string ours)
        {
            try
            {
                var a = JsonNode.Parse(theirs) as JsonObject;
                var b = JsonNode.Parse(ours) as JsonObject;
                if (a is null || b is null)
                    return "unreadable fingerprint";
                var keys = a.Select(p => p.Key)
                    .Union(b.Select(p => p.Key))
                    .Where(k => !JsonNode.DeepEquals(a[k], b[k]))
                    .Select(k => $"{k}: {Show(a[k])} → {Show(b[k])}")
                    .ToList();
                return keys.Count == 0 ? "fingerprints differ" : string.Join("; ", keys);
            }
            catch (System.Text.Json.JsonException)
            {
                return "unreadable fingerprint";
            }
        }
    }

    /// <summary>
    /// The fingerprint a run's checkpoints carry: everything that changes its numbers — the study, the run's key (id,
    /// seed, swept values), the configuration (less <c>checkpoint_every</c>), the data source, the intra-op thread count
    /// and the MKL code path.
    /// </summary>
    internal static string RunStamp(
        IStudy study,
        RunKey key,
        JsonObject config,
        string dataSource,
        int threads
    )
    {
        var c = (JsonObject)config.DeepClone();
        c.Remove("checkpoint_every");
        var keyJson = new JsonObject { ["run"] = key.Run, ["seed"] = key.Seed };
        foreach (var (k, v) in key.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
            keyJson["param." + k] = v;
        return new JsonObject
        {
            ["study"] = study.Name,
            ["run"] = keyJson,
            ["config"] = c,
            ["data_source"] = dataSource,
            ["threads"] = threads,
            ["mkl_path"] = MklDispatch.State,
        }.ToJsonString();
    }

    /// <summary>The line that tells how to restart run <paramref name="run"/> from its beginning.</summary>
    internal static string RestartHint(string runsDir, string run) =>
        $"to restart run {run} from its beginning, remove its checkpoint: rm '{Path.Combine(runsDir, run + ".ckpt")}'*";

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
        var dataSource = study.DataSource;
        var previous = options.Resume
            ? Previous(outDir, study.Name, config, dataSource, seeds, threads)
            : Unclaimed(outDir, study.Name, options.Replace, delete: true);
        var stamps = runs.Select(r => RunStamp(study, r.Key, config, dataSource, threads)).ToList();
        if (options.Resume && checkpointing)
            for (int i = 0; i < runs.Count; i++)
            {
                // every checkpoint a resume would continue is checked before anything is written
                if (
                    !runs[i].Checkpointed
                    || previous.GetValueOrDefault(runs[i].Key.Run) is { Status: "completed" }
                )
                    continue;
                var file = new FileCheckpointStore(
                    Path.Combine(runsDir, runs[i].Key.Run + ".ckpt")
                );
                if (!file.Exists)
                    continue;
                var partial = AtomicFile.PartialPath(
                    Path.Combine(runsDir, runs[i].Key.Run + ".csv")
                );
                if (new Store(file, stamps[i], partial).Verify() is { } problem)
                    throw new ResumeException(
                        $"{Option("resume")}: {problem}; {RestartHint(runsDir, runs[i].Key.Run)}"
                    );
            }
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
            DataSource = dataSource,
            Seeds = seeds,
            Threads = threads,
            ParallelRuns = parallel,
            Versions = Versions(observer.HostTypes),
        };
        manifest.Save(outDir);
        // room kept for the last run.json: on a full disk the failed status must still fit (issue 24: it stayed "running")
        var reserve = Path.Combine(outDir, ReserveName);
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
            Reserve(reserve, manifest, runs.Count); // on a disk already full: the failure below, run.json failed
            observer.Progress(study.Name, report =>
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
                            observer.Message($"  {label} already finished; reused", routine: true);
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
                        resumable
                            ? new Store(store, stamps[i], AtomicFile.PartialPath(path))
                            : null,
                        resumable ? options.CheckpointEvery : 0
                    );
                    var result = run.Execute(ctx);
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
            });
            // the merged table and the figures can fail too (a full disk: the table needs the runs' size again)
            var table = Path.Combine(outDir, study.Name + ".csv");
            TidyTable.Merge(runs.Select(r => Path.Combine(runsDir, r.Key.Run + ".csv")), table);
            bool failed = statuses.Any(s => s?.Status != "completed");
            manifest.Status = failed ? "failed" : "completed";
            manifest.Outputs.Add(Path.GetFileName(table));
            manifest.Outputs.Add("runs/");
            if (finish is not null)
                manifest.Outputs.AddRange(finish(table));
            manifest.Finished = DateTime.UtcNow.ToString("o");
            AtomicFile.TryDelete(reserve);
            manifest.Save(outDir);
            return new StudyOutcome(
                table,
                Path.Combine(outDir, "run.json"),
                statuses.OfType<RunStatus>().ToList(),
                failed
            );
        }
        catch (OperationCanceledException)
        {
            AtomicFile.TryDelete(reserve);
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
            AtomicFile.TryDelete(reserve); // frees the room the failed run.json needs
            foreach (var (i, run) in inFlight)
                statuses[i] =
                    i == failedAt.Value || failedAt.Value < 0
                        ? new RunStatus(run.Key.Run, "failed", run.Key.Seed, why)
                        : new RunStatus(run.Key.Run, "interrupted", run.Key.Seed);
            manifest.Runs.Clear();
            manifest.Runs.AddRange(statuses.OfType<RunStatus>());
            manifest.Status = "failed";
            manifest.Finished = DateTime.UtcNow.ToString("o");
            var said = TrySave(manifest, outDir)
                ? "run.json says failed"
                : $"{Path.Combine(outDir, "run.json")} could not be updated";
            var culprit =
                failedAt.Value >= 0 ? runs[failedAt.Value] : inFlight.Values.FirstOrDefault();
            throw new RunFailedException(
                culprit is null
                    ? $"study {study.Name} failed: {why} (finished runs are kept in {runsDir}; {said})"
                    : $"run {culprit.Key.Run} failed: {why} (finished runs are kept in {runsDir}; {said})",
                e
            );
        }
        finally
        {
            AtomicFile.TryDelete(reserve);
        }
    }

    /// <summary>The file that keeps room for the last run.json while a study runs (removed when it ends).</summary>
    public const string ReserveName = ".telescope.reserve";

    /// <summary>
    /// Write <paramref name="path"/>: zeros, eight times the size of <paramref name="manifest"/> as it is now (at least
    /// 64 KiB; a run.json grows by one status of at most a few hundred bytes per run) — real blocks, not a sparse file, so that deleting it frees room.
    /// </summary>
    private static void Reserve(string path, RunManifest manifest, int runs)
    {
        var json = System.Text.Encoding.UTF8.GetByteCount(manifest.ToJson().ToJsonString());
        long bytes = Math.Max(64 * 1024, 8L * (json + 256L * runs));
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        var zeros = new byte[64 * 1024];
        for (long left = bytes; left > 0; left -= zeros.Length)
            fs.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
        fs.Flush(flushToDisk: true);
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

    /// <summary>Save run.json if the disk still lets us (the error being reported may be a full disk); whether it was saved.</summary>
    private static bool TrySave(RunManifest manifest, string outDir)
    {
        try
        {
            manifest.Save(outDir);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
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
            MklDispatch.State,
            config
        );
        var then = Fingerprint(
            old?["study"],
            old?["data_source"],
            old?["seeds"],
            old?["threads"],
            old?["versions"]?["mkl_path"],
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

    /// <summary>
    /// Refuse (<see cref="ResumeException"/>, bad input) a run of study <paramref name="studyName"/> into
    /// <paramref name="outDir"/> that would replace another study's results without
    /// <see cref="RunOptions.Replace"/>; writes and deletes nothing (a dry run's verdict).
    /// </summary>
    public static void CheckFolder(string outDir, string studyName, RunOptions options)
    {
        if (!options.Resume)
            Unclaimed(outDir, studyName, options.Replace, delete: false);
    }

    /// <summary>
    /// Without <c>--resume</c>: refuse a folder whose run.json was made by another study (its finished results would
    /// be replaced and its table orphaned), unless <paramref name="replace"/>, which first deletes that study's
    /// run.json, table, figures and runs/ (only names inside the folder). Returns no previous runs.
    /// </summary>
    private static Dictionary<string, RunStatus> Unclaimed(
        string outDir,
        string studyName,
        bool replace,
        bool delete
    )
    {
        var path = Path.Combine(outDir, "run.json");
        if (!File.Exists(path))
            return new Dictionary<string, RunStatus>();
        JsonNode? old = null;
        try
        {
            old = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (System.Text.Json.JsonException) { }
        var owner =
            old?["study"] is JsonValue v && v.TryGetValue<string>(out var name) ? name : null;
        if (owner == studyName)
            return new Dictionary<string, RunStatus>();
        if (!replace)
            throw new ResumeException(
                owner is null
                    ? $"{Option("out")} '{outDir}' holds a run.json that is not a telescope study's; choose another {Option("out")}"
                    : $"{Option("out")} '{outDir}' holds the results of study {owner} (run.json: {old?["status"]?.ToString() ?? "unknown"}); choose another {Option("out")}, or add {Option("replace")} to delete them first"
            );
        if (!delete)
            return new Dictionary<string, RunStatus>();
        var full = Path.GetFullPath(outDir);
        foreach (var o in old?["outputs"]?.AsArray() ?? [])
        {
            if (o is not JsonValue ov || !ov.TryGetValue<string>(out var rel))
                continue;
            var target = Path.GetFullPath(Path.Combine(full, rel));
            if (!target.StartsWith(full + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                continue; // never outside the folder
            if (Directory.Exists(target))
                Directory.Delete(target, recursive: true);
            else
                AtomicFile.TryDelete(target);
        }
        var runs = Path.Combine(full, "runs");
        if (Directory.Exists(runs))
            Directory.Delete(runs, recursive: true);
        File.Delete(path);
        return new Dictionary<string, RunStatus>();
    }

    /// <summary>What a resume must share with the run it continues: flat keys (the MKL code path included), config entries as <c>config.&lt;key&gt;</c>, less <c>checkpoint_every</c>.</summary>
    private static JsonObject Fingerprint(
        JsonNode? study,
        JsonNode? dataSource,
        JsonNode? seeds,
        JsonNode? threads,
        JsonNode? mklPath,
        JsonObject? config
    )
    {
        var f = new JsonObject
        {
            ["study"] = study?.DeepClone(),
            ["data_source"] = dataSource?.DeepClone(),
            ["seeds"] = seeds?.DeepClone(),
            ["threads"] = threads?.DeepClone(),
            ["mkl_path"] = mklPath?.DeepClone(),
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
