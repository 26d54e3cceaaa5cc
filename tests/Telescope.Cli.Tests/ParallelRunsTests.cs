using System.Text.Json.Nodes;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.Approximation;
using Telescope.Hosting;
using Telescope.Native;
using Telescope.Telescoping;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// A study's runs executed at once (<see cref="RunOptions.Parallel"/>) give the tables of a serial run byte for byte,
/// with run.json listing the runs in run order; a failure in one run stops the others and keeps the finished ones;
/// Ctrl-C leaves run.json interrupted.
/// </summary>
public sealed class ParallelRunsTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-parallel");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private static ApproximationStudy Tiny() =>
        new(
            new ApproximationConfig
            {
                Dataset = "synthetic",
                Steps = 25,
                TrainSize = 60,
                TestSize = 40,
                Seeds = [0, 1],
                Settings = ApproximationConfig.SettingsFor(["sgd", "adam"], [0.05], null, false),
            }
        );

    [Fact]
    public void RunsAtOnceWriteTheSameBytesAsRunsOneAfterAnother()
    {
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(1);
        var serial = StudyRunner.Run(Tiny(), Path.Combine(_dir, "serial"), threads, [0, 1]);
        var parallel = StudyRunner.Run(
            Tiny(),
            Path.Combine(_dir, "parallel"),
            threads,
            [0, 1],
            options: new RunOptions(Parallel: 2)
        );
        Assert.False(serial.Failed || parallel.Failed);
        Assert.Equal(File.ReadAllBytes(serial.Table), File.ReadAllBytes(parallel.Table));
        foreach (var f in Directory.GetFiles(Path.Combine(_dir, "serial", "runs")))
            Assert.Equal(
                File.ReadAllBytes(f),
                File.ReadAllBytes(Path.Combine(_dir, "parallel", "runs", Path.GetFileName(f)))
            );
        JsonNode Json(string dir) =>
            JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, dir, "run.json")))!;
        string[] Order(string dir) =>
            Json(dir)["runs"]!.AsArray().Select(r => r!["run"]!.GetValue<string>()).ToArray();
        Assert.Equal(4, Order("serial").Length);
        Assert.Equal(Order("serial"), Order("parallel"));
        Assert.Equal(1, Json("serial")["parallel_runs"]!.GetValue<int>());
        Assert.Equal(2, Json("parallel")["parallel_runs"]!.GetValue<int>());
    }

    /// <summary>Runs without tensors: each writes its index for a few steps; run <c>bad</c> throws at step 2.</summary>
    private sealed class Fake(int count, int? bad, Action<int, long>? onStep = null) : IStudy
    {
        public string Name => "fake";
        public string DataSource => "none";
        public IReadOnlyList<string> ParameterNames => ["i"];
        public JsonObject Config => new() { ["count"] = count };

        public IReadOnlyList<StudyRun> Runs() =>
            Enumerable
                .Range(0, count)
                .Select(i => new StudyRun(
                    new RunKey(Name, $"r{i}", i, [new("i", i.ToString())]),
                    5,
                    (sink, progress, cancel) =>
                    {
                        for (long t = 0; t < 5; t++)
                        {
                            cancel.ThrowIfCancellationRequested();
                            if (i == bad && t == 2)
                                throw new InvalidOperationException($"run {i} broke");
                            sink.Write(new Observation("x", i * 10 + t, t));
                            onStep?.Invoke(i, t);
                            progress(t);
                            Thread.Sleep(5);
                        }
                        return new TrajectoryResult(
                            5,
                            null,
                            null,
                            new Dictionary<string, double>()
                        );
                    }
                ))
                .ToList();
    }

    [Fact]
    public void AFailingRunStopsTheOthersKeepsTheFinishedOnesAndRunJsonSaysFailed()
    {
        var dir = Path.Combine(_dir, "failing");
        var e = Assert.Throws<RunFailedException>(() =>
            StudyRunner.Run(new Fake(6, bad: 3), dir, 1, [0], options: new RunOptions(Parallel: 2))
        );
        Assert.StartsWith("run r3 failed: InvalidOperationException: run 3 broke", e.Message);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("failed", json["status"]!.GetValue<string>());
        var runs = json["runs"]!.AsArray();
        var failed = runs.Single(r => r!["run"]!.GetValue<string>() == "r3")!;
        Assert.Equal("failed", failed["status"]!.GetValue<string>());
        // the run in flight beside it was stopped, not failed: a resume runs it again
        Assert.All(
            runs.Where(r => r!["run"]!.GetValue<string>() != "r3"),
            r => Assert.NotEqual("failed", r!["status"]!.GetValue<string>())
        );
        // finished runs keep their tables
        foreach (var r in runs.Where(r => r!["status"]!.GetValue<string>() == "completed"))
            Assert.True(
                File.Exists(Path.Combine(dir, "runs", r!["run"]!.GetValue<string>() + ".csv"))
            );
        Assert.DoesNotContain(
            runs,
            r =>
                r!["run"]!.GetValue<string>() is "r5"
                && r["status"]!.GetValue<string>() == "completed"
        );
    }

    [Fact]
    public void CtrlCWhileRunsRunAtOnceLeavesRunJsonInterrupted()
    {
        var dir = Path.Combine(_dir, "cancelled");
        using var cts = new CancellationTokenSource();
        var study = new Fake(
            6,
            bad: null,
            onStep: (i, t) =>
            {
                if (i == 2 && t == 1)
                    cts.Cancel();
            }
        );
        Assert.ThrowsAny<OperationCanceledException>(() =>
            StudyRunner.Run(
                study,
                dir,
                1,
                [0],
                cancel: cts.Token,
                options: new RunOptions(Parallel: 3)
            )
        );
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("interrupted", json["status"]!.GetValue<string>());
        var statuses = json["runs"]!
            .AsArray()
            .ToDictionary(
                r => r!["run"]!.GetValue<string>(),
                r => r!["status"]!.GetValue<string>()
            );
        Assert.Equal("interrupted", statuses["r2"]);
        Assert.False(statuses.ContainsKey("r5")); // never started
        Assert.False(File.Exists(Path.Combine(dir, "runs", "r2.csv")));
    }
}
