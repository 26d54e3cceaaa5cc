using System.Diagnostics;
using System.Text.Json.Nodes;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Frames;
using Telescope.Hosting;
using Telescope.Native;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The options every study shares: <c>--dry-run</c> writes nothing; <c>--resume</c> reuses finished runs
/// and restarts the others from scratch when they do not checkpoint (gbt-vs-nn, lmc, or any study with
/// <c>--checkpoint-every 0</c>: a stale partial table is truncated, never appended to, and an
/// interruption leaves run.json <c>interrupted</c>, the finished runs' tables and no partial table);
/// grokking and double-descent runs continue from their last checkpoint with the same final table.
/// </summary>
public sealed class StudyResumeTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-study-resume");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>Options that would make each study finish in seconds if it were (wrongly) run.</summary>
    private static string[] Tiny(string study) =>
        study switch
        {
            "grokking" =>
            [
                "--steps",
                "5",
                "--dim",
                "5",
                "--units",
                "5",
                "--train",
                "10",
                "--test",
                "10",
                "--probe-test",
                "5",
            ],
            "double-descent" => ["--width", "2", "--steps", "5", "--train", "20", "--test", "20"],
            "gbt-vs-nn" =>
            [
                "--rows",
                "400",
                "--train",
                "200",
                "--validation",
                "50",
                "--test-size",
                "50",
                "--shares",
                "0,0.2",
                "--epochs",
                "1",
                "--lr",
                "0.1",
                "--depth",
                "2",
                "--eta",
                "0.3",
                "--trees",
                "5",
                "--seed",
                "0",
            ],
            // an empty data folder: a dry run must not even look for the images
            "lmc" => ["--steps", "4", "--spawns", "0", "--gradient-steps", "0"],
            _ => throw new ArgumentException(study),
        };

    private string[] WithData(string study, string[] args)
    {
        if (study != "lmc")
            return args;
        var empty = Path.Combine(_dir, "no-fashion-mnist");
        Directory.CreateDirectory(empty);
        return [.. args, "--data", empty];
    }

    [Theory]
    [InlineData("grokking")]
    [InlineData("double-descent")]
    [InlineData("gbt-vs-nn")]
    [InlineData("lmc")]
    public void ADryRunValidatesAndWritesNothing(string study)
    {
        var outDir = Path.Combine(_dir, "dry-" + study);
        var (code, stdout, stderr) = Repo.Cli(
            WithData(
                study,
                ["study", study, .. Tiny(study), "--threads", "1", "--out", outDir, "--dry-run"]
            )
        );
        Assert.True(code == 0, $"exit {code}: {stderr}");
        Assert.Contains($"valid: study {study}, ", stdout);
        Assert.False(Directory.Exists(outDir), "a dry run must not create its output folder");
    }

    [Theory]
    [InlineData("grokking", "--dtype", "float32")]
    [InlineData("double-descent", "--width", "0")]
    [InlineData("gbt-vs-nn", "--epochs", "0")]
    [InlineData("lmc", "--device", "cuda")]
    [InlineData("double-descent", "--checkpoint-every", "-1")]
    [InlineData("grokking", "--threads", "-1")]
    public void ADryRunWithABadOptionExitsTwo(string study, string option, string value)
    {
        var outDir = Path.Combine(_dir, "bad-" + study);
        var (code, _, stderr) = Repo.Cli(
            WithData(
                study,
                ["study", study, .. Tiny(study), "--out", outDir, option, value, "--dry-run"]
            )
        );
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void CheckpointEveryOnAStudyThatCannotCheckpointSaysSo()
    {
        var (code, _, stderr) = Repo.Cli([
            "study",
            "gbt-vs-nn",
            .. Tiny("gbt-vs-nn"),
            "--checkpoint-every",
            "10",
            "--dry-run",
        ]);
        Assert.Equal(0, code);
        Assert.Contains("--checkpoint-every has no effect on study gbt-vs-nn", stderr);
        var (_, _, quiet) = Repo.Cli(["study", "gbt-vs-nn", .. Tiny("gbt-vs-nn"), "--dry-run"]);
        Assert.DoesNotContain("--checkpoint-every", quiet);
    }

    [Theory]
    [InlineData("grokking")]
    [InlineData("double-descent")]
    public void CheckpointEveryOnAStudyThatCheckpointsIsSilent(string study)
    {
        var (code, _, stderr) = Repo.Cli([
            "study",
            study,
            .. Tiny(study),
            "--checkpoint-every",
            "10",
            "--dry-run",
        ]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("--checkpoint-every", stderr);
    }

    private static string[] DoubleDescent(string outDir) =>
        TinyStudies.DoubleDescent(outDir, "2,3", steps: 30);

    private static JsonObject Manifest(string dir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!.AsObject();

    private static List<string> RunNames(string dir) =>
        Manifest(dir)["runs"]!.AsArray().Select(r => r!["run"]!.GetValue<string>()).ToList();

    private static void AssertSameBytes(string expected, string actual) =>
        Assert.True(
            File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)),
            $"{actual} differs from {expected}"
        );

    [Fact]
    public void DoubleDescentResumesWholeRunsAndTruncatesAStalePartialTable()
    {
        var a = Path.Combine(_dir, "a");
        var b = Path.Combine(_dir, "b");
        var (codeA, _, errA) = Repo.Cli(DoubleDescent(a));
        Assert.True(codeA == 0, errA);
        var (codeB, _, errB) = Repo.Cli(DoubleDescent(b));
        Assert.True(codeB == 0, errB);
        var runs = RunNames(b);
        Assert.Equal(2, runs.Count);
        var (first, second) = (runs[0], runs[1]);

        // Simulate an interruption during the second run: its table is unfinished (a partial table with
        // the right header and rows that must not survive), run.json does not call it completed, and
        // there is no merged table.
        var runsDir = Path.Combine(b, "runs");
        var secondCsv = Path.Combine(runsDir, second + ".csv");
        var header = File.ReadLines(secondCsv).First();
        File.Delete(secondCsv);
        File.WriteAllText(
            secondCsv + ".partial",
            header + "\nstale,row,that,a,resume,must,not,keep\n"
        );
        File.Delete(Path.Combine(b, "double-descent.csv"));
        var manifest = Manifest(b);
        manifest["status"] = "interrupted";
        var entries = manifest["runs"]!.AsArray();
        entries.RemoveAt(1);
        entries.Add(new JsonObject { ["run"] = second, ["status"] = "interrupted" });
        File.WriteAllText(Path.Combine(b, "run.json"), manifest.ToJsonString());
        var firstCsv = Path.Combine(runsDir, first + ".csv");
        var firstBytes = File.ReadAllBytes(firstCsv);
        var firstTime = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(firstCsv, firstTime);

        var (code, _, stderr) = Repo.Cli([.. DoubleDescent(b), "--resume"]);
        Assert.True(code == 0, stderr);
        Assert.Contains($"{first} already finished; reused", stderr);
        Assert.DoesNotContain($"{second} already finished", stderr);
        Assert.Equal(firstTime, File.GetLastWriteTimeUtc(firstCsv));
        Assert.Equal(firstBytes, File.ReadAllBytes(firstCsv));
        Assert.False(File.Exists(secondCsv + ".partial"));
        AssertSameBytes(Path.Combine(a, "runs", second + ".csv"), secondCsv);
        AssertSameBytes(
            Path.Combine(a, "double-descent.csv"),
            Path.Combine(b, "double-descent.csv")
        );
        Assert.Equal("completed", Manifest(b)["status"]!.GetValue<string>());
    }

    /// <summary>A study whose runs are another's, with a hook into each run's context.</summary>
    internal sealed class Hooked(IStudy inner, Func<int, RunContext, RunContext> hook) : IStudy
    {
        public string Name => inner.Name;
        public string DataSource => inner.DataSource;
        public IReadOnlyList<string> ParameterNames => inner.ParameterNames;
        public JsonObject Config => inner.Config;

        public IReadOnlyList<StudyRun> Runs() =>
            inner.Runs().Select((r, i) => r with { Run = ctx => r.Run(hook(i, ctx)) }).ToList();
    }

    private static DoubleDescentStudy SmallDoubleDescent() =>
        new(
            DoubleDescentConfig.For(DoubleDescentPreset.Quick) with
            {
                Widths = [2, 3],
                MaxSteps = 30,
                TrainSize = 20,
                TestSize = 20,
                Seeds = [0],
            }
        );

    [Fact]
    public void AnInterruptedStudyKeepsFinishedRunsAndNoPartialTableThenResumes()
    {
        TorchRuntime.EnsureLoaded();
        int threads = TorchRuntime.SetThreads(1);
        var reference = StudyRunner.Run(
            SmallDoubleDescent(),
            Path.Combine(_dir, "ref"),
            threads,
            [0]
        );
        Assert.False(reference.Failed);

        // Ctrl-C in the middle of the second run, with --checkpoint-every 0 (no checkpoints)
        var dir = Path.Combine(_dir, "interrupted");
        using var cts = new CancellationTokenSource();
        var study = new Hooked(
            SmallDoubleDescent(),
            (i, ctx) =>
                i == 0
                    ? ctx
                    : ctx with
                    {
                        Progress = t =>
                        {
                            ctx.Progress(t);
                            if (t == 10)
                                cts.Cancel();
                        },
                    }
        );
        Assert.ThrowsAny<OperationCanceledException>(() =>
            StudyRunner.Run(study, dir, threads, [0], cancel: cts.Token, options: new RunOptions(0))
        );
        var manifest = Manifest(dir);
        Assert.Equal("interrupted", manifest["status"]!.GetValue<string>());
        var statuses = manifest["runs"]!
            .AsArray()
            .Select(r => r!["status"]!.GetValue<string>())
            .ToList();
        Assert.Equal(["completed", "interrupted"], statuses);
        var runs = SmallDoubleDescent().Runs().Select(r => r.Key.Run).ToList();
        AssertSameBytes(
            Path.Combine(_dir, "ref", "runs", runs[0] + ".csv"),
            Path.Combine(dir, "runs", runs[0] + ".csv")
        );
        Assert.False(File.Exists(Path.Combine(dir, "runs", runs[1] + ".csv")));
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(dir, "*.ckpt*", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(dir, "double-descent.csv")));

        var resumed = StudyRunner.Run(
            SmallDoubleDescent(),
            dir,
            threads,
            [0],
            options: new RunOptions(0, Resume: true)
        );
        Assert.False(resumed.Failed);
        AssertSameBytes(reference.Table, resumed.Table);
    }

    /// <summary>
    /// SIGTERM takes the same path as Ctrl-C (one cancellation token). It is sent rather than SIGINT because a test
    /// host started in the background of a non-interactive shell passes SIGINT on as ignored, which .NET honours.
    /// </summary>
    [Fact]
    public async Task ASignalEndsANonCheckpointedStudyWithExitCode130()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "telescope.dll");
        var dir = Path.Combine(_dir, "sigint");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (
            var a in new[]
            {
                dll,
                "study",
                "double-descent",
                "--width",
                "2,3",
                "--steps",
                "200000",
                "--train",
                "1000",
                "--test",
                "20",
                "--threads",
                "1",
                "--checkpoint-every",
                "0",
                "--out",
                dir,
            }
        )
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        try
        {
            var runs = Path.Combine(dir, "runs");
            var sw = Stopwatch.StartNew();
            while (
                !(Directory.Exists(runs) && Directory.GetFiles(runs, "*.partial").Length > 0)
                && !p.HasExited
                && sw.Elapsed < TimeSpan.FromMinutes(1)
            )
                Thread.Sleep(20);
            Assert.False(p.HasExited, "the study ended before it could be interrupted");
            Thread.Sleep(200);
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "SIGTERM did not stop the study");
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(true);
        }
        var err = await stderr;
        await stdout;
        Assert.True(p.ExitCode == 130, $"exit {p.ExitCode}: {err}");
        Assert.Contains("interrupted", err);
        Assert.Equal("interrupted", Manifest(dir)["status"]!.GetValue<string>());
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
        Assert.False(File.Exists(Path.Combine(dir, "double-descent.csv")));
    }
}
