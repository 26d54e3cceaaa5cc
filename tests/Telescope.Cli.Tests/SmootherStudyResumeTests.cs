using Telescope.Cli.Hosting;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Experiments.Studies.Grokking;
using Telescope.Hosting;
using Telescope.Native;
using Xunit;
using Hooked = Telescope.Cli.Tests.StudyResumeTests.Hooked;

namespace Telescope.Cli.Tests;

/// <summary>
/// Grokking and double-descent runs checkpoint within a run (<c>SmootherTrajectory</c>): interrupted
/// after a checkpoint and resumed with <c>--resume</c>, they continue from the checkpoint (not from step
/// 0) and the final table equals an uninterrupted run's byte for byte; a damaged newest checkpoint falls
/// back to the previous one; a checkpoint of another configuration is refused.
/// </summary>
public sealed class SmootherStudyResumeTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-smoother-resume");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>The command line of a tiny run of <paramref name="study"/> (one run, 60 steps).</summary>
    private static string[] Args(string study, string outDir) =>
        study switch
        {
            "grokking" =>
            [
                "study",
                "grokking",
                "--steps",
                "60",
                "--dim",
                "10",
                "--units",
                "20",
                "--train",
                "40",
                "--test",
                "30",
                "--probe-test",
                "20",
                "--lr",
                "50",
                "--record-every",
                "1",
                "--threads",
                "1",
                "--out",
                outDir,
            ],
            _ => TinyStudies.DoubleDescent(outDir, "2", steps: 60),
        };

    /// <summary>The same study as <see cref="Args"/>, built in code.</summary>
    private static IStudy Study(string study, int steps = 60) =>
        study switch
        {
            "grokking" => new GrokkingStudy(
                new GrokkingConfig
                {
                    Steps = steps,
                    Dim = 10,
                    Units = 20,
                    TrainSize = 40,
                    TestSize = 30,
                    ProbeTest = 20,
                    LearningRate = 50,
                    RecordEvery = 1,
                    Seeds = [0],
                }
            ),
            _ => new DoubleDescentStudy(
                DoubleDescentConfig.For(DoubleDescentPreset.Quick) with
                {
                    Widths = [2],
                    MaxSteps = steps,
                    TrainSize = 20,
                    TestSize = 20,
                    Seeds = [0],
                }
            ),
        };

    private static int Threads()
    {
        TorchRuntime.EnsureLoaded();
        return TorchRuntime.SetThreads(1);
    }

    private static void AssertSameBytes(string expected, string actual) =>
        Assert.True(
            File.ReadAllBytes(expected).AsSpan().SequenceEqual(File.ReadAllBytes(actual)),
            $"{actual} differs from {expected}"
        );

    /// <summary>Run with checkpoints every 10 steps, cancelled (Ctrl-C) after step <paramref name="at"/>.</summary>
    private static void Interrupt(IStudy study, string dir, long at)
    {
        using var cts = new CancellationTokenSource();
        var hooked = new Hooked(
            study,
            (_, ctx) =>
                ctx with
                {
                    Progress = t =>
                    {
                        ctx.Progress(t);
                        if (t == at)
                            cts.Cancel();
                    },
                }
        );
        Assert.ThrowsAny<OperationCanceledException>(() =>
            StudyRunner.Run(
                hooked,
                dir,
                Threads(),
                [0],
                cancel: cts.Token,
                options: new RunOptions(10)
            )
        );
    }

    /// <summary>Resume with checkpoints every 10 steps; returns the table and the first step the run took.</summary>
    private static (string table, long firstStep) Resume(IStudy study, string dir)
    {
        long first = 0;
        var hooked = new Hooked(
            study,
            (_, ctx) =>
                ctx with
                {
                    Progress = t =>
                    {
                        ctx.Progress(t);
                        if (first == 0)
                            first = t;
                    },
                }
        );
        var outcome = StudyRunner.Run(
            hooked,
            dir,
            Threads(),
            [0],
            options: new RunOptions(10, Resume: true)
        );
        Assert.False(outcome.Failed);
        return (outcome.Table, first);
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(f, dest);
        }
    }

    [Theory]
    [InlineData("double-descent")]
    [InlineData("grokking")]
    public void AnInterruptedRunContinuesFromItsCheckpointWithTheSameTable(string study)
    {
        var a = Path.Combine(_dir, "a");
        var (codeA, _, errA) = Repo.Cli(Args(study, a));
        Assert.True(codeA == 0, errA);
        var reference = Path.Combine(a, study + ".csv");

        var b = Path.Combine(_dir, "b");
        Interrupt(Study(study), b, at: 35);
        var runs = Path.Combine(b, "runs");
        Assert.Single(Directory.GetFiles(runs, "*.csv.partial"));
        Assert.Single(Directory.GetFiles(runs, "*.ckpt"));
        Assert.False(File.Exists(Path.Combine(b, study + ".csv")));
        var c = Path.Combine(_dir, "c");
        CopyDir(b, c);

        // through the command line
        var (code, _, err) = Repo.Cli([.. Args(study, b), "--checkpoint-every", "10", "--resume"]);
        Assert.True(code == 0, err);
        AssertSameBytes(reference, Path.Combine(b, study + ".csv"));
        Assert.Empty(Directory.GetFiles(b, "*.partial", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(b, "*.ckpt*", SearchOption.AllDirectories));

        // and it did continue from the step-30 checkpoint
        var (table, first) = Resume(Study(study), c);
        Assert.Equal(31, first);
        AssertSameBytes(reference, table);
    }

    [Fact]
    public void ADamagedCheckpointFallsBackToThePreviousOne()
    {
        var reference = StudyRunner.Run(
            Study("double-descent"),
            Path.Combine(_dir, "ref"),
            Threads(),
            [0]
        );
        var dir = Path.Combine(_dir, "damaged");
        Interrupt(Study("double-descent"), dir, at: 35);
        var ckpt = Assert.Single(Directory.GetFiles(Path.Combine(dir, "runs"), "*.ckpt"));
        var bytes = File.ReadAllBytes(ckpt);
        File.WriteAllBytes(ckpt, bytes[..(bytes.Length / 2)]); // a torn write of the step-30 one
        var (table, first) = Resume(Study("double-descent"), dir);
        Assert.Equal(21, first);
        AssertSameBytes(reference.Table, table);
    }

    [Fact]
    public void ACheckpointOfAnotherConfigurationIsRefused()
    {
        var dir = Path.Combine(_dir, "other");
        Interrupt(Study("double-descent"), dir, at: 35);
        // same run name (h2_s0), more steps: run.json's configuration already refuses the resume …
        var u = Assert.Throws<ResumeException>(() =>
            Resume(Study("double-descent", steps: 80), dir)
        );
        Assert.Contains("different configuration", u.Message);
        // … and without run.json the checkpoint's seal refuses it before anything is written, naming the file and
        // the command that restarts the run (the engine's own fingerprint behind it: CheckpointMismatchTests)
        File.Delete(Path.Combine(dir, "run.json"));
        var e = Assert.Throws<ResumeException>(() =>
            Resume(Study("double-descent", steps: 80), dir)
        );
        Assert.Contains("h2_s0.ckpt belongs to another run or configuration", e.Message);
        Assert.Contains("rm '", e.Message);
    }
}
