using Telescope.Experiments.Sweeps;
using Telescope.Frames;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// Sweeps as a library API (<c>Telescope.Experiments.Sweeps</c>): a catalog study, a grid over its parameter names,
/// validated through the catalog; the executors; and one merge.
/// </summary>
public sealed class SweepLibraryTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-sweeplib");

    public void Dispose() => Directory.Delete(_dir, true);

    private static SweepSpec Tiny(string name = "tiny", int steps = 5) =>
        new(
            name,
            "approximation",
            [
                new("dataset", "synthetic"),
                new("train", "40"),
                new("test", "20"),
                new("width", "8"),
                new("steps", steps.ToString()),
            ],
            [new("optimizer", ["sgd", "adamw"])],
            [0]
        );

    [Fact]
    public void AGridIsOverTheCatalogsParameterNames()
    {
        var bad = Tiny() with { Grid = [new("learning-rate", ["0.1"]), new("seed", ["1"])] };
        var problems = bad.Problems();
        Assert.Contains(
            problems,
            p => p.Contains("\"--learning-rate\" is not a parameter of study approximation")
        );
        Assert.Contains(problems, p => p.Contains("\"--seed\" is set by the sweep itself"));
        Assert.Contains("unknown study 'nope'", (Tiny() with { Study = "nope" }).Problems()[0]);
        var values = Tiny() with { Grid = [new("lr", ["0.1", "-1"])] };
        Assert.Equal(["job0001: --lr: learning rate must be positive, got -1"], values.Problems());
        Assert.Empty(Tiny().Problems());
        var jobs = Tiny().Jobs();
        Assert.Equal(["job0000", "job0001"], jobs.Select(j => j.Id));
        Assert.Equal(new KeyValuePair<string, string>("seed", "0"), jobs[1].Parameters[^1]);
        Assert.Equal([new KeyValuePair<string, string>("optimizer", "adamw")], jobs[1].Values);
    }

    [Fact]
    public void TheSlurmExecutorWritesAnArrayScriptOverThePendingJobs()
    {
        var spec = Tiny() with { ThreadsPerJob = 2 };
        var slurm = new SlurmExecutor(
            ["/opt/tool/telescope", "sweep", "/s/it's.json", "--out", "/o", "--task"],
            partition: "short",
            workDir: "/work/here"
        );
        var script = slurm.Script(spec, [spec.Jobs()[1]], "/o");
        Assert.Equal(
            """
            #!/bin/bash
            #SBATCH --job-name=telescope-tiny
            #SBATCH --array=1
            #SBATCH --cpus-per-task=2
            #SBATCH --output=/o/slurm/%A_%a.log
            #SBATCH --partition=short
            export CI=true
            cd '/work/here'
            exec '/opt/tool/telescope' 'sweep' '/s/it'\''s.json' '--out' '/o' '--task' "$SLURM_ARRAY_TASK_ID"

            """.ReplaceLineEndings("\n"),
            script.ReplaceLineEndings("\n")
        );
    }

    [Fact]
    public void InProcessAndChildProcessesMergeTheSameTableAndARerunReusesEveryJob()
    {
        var inProcess = Path.Combine(_dir, "in");
        var outcome = SweepRunner.Run(Tiny(), inProcess, new InProcessExecutor());
        Assert.Empty(outcome.Incomplete);
        var file = Path.Combine(_dir, "tiny.json");
        File.WriteAllText(
            file,
            """
            { "name": "tiny", "command": ["study", "approximation"],
              "base": { "--dataset": "synthetic", "--train": 40, "--test": 20, "--width": "8", "--steps": 5 },
              "grid": { "--optimizer": ["sgd", "adamw"] } }
            """
        );
        static string Jobs(SweepSpec s) =>
            string.Join("; ", s.Jobs().Select(j => string.Join(" ", j.Parameters)));
        Assert.Equal(Jobs(Tiny()), Jobs(SweepFile.Load(file)));
        var local = Path.Combine(_dir, "local");
        var (code, stdout, stderr) = Repo.Exec(
            "dotnet",
            [
                Repo.Path_("src", "Telescope.Cli", "bin", "Release", "net10.0", "telescope.dll"),
                "sweep",
                file,
                "--out",
                local,
            ]
        );
        Assert.True(code == 0, stdout + stderr);
        var table = File.ReadAllBytes(outcome.Table);
        Assert.Equal(table, File.ReadAllBytes(Path.Combine(local, "tiny.csv")));
        Assert.Equal(
            ["adamw", "sgd"],
            TidyTable.ReadRows(outcome.Table).Select(r => r["optimizer"]).Distinct().Order()
        );
        // every job is done: nothing runs again and the merged table is the same
        var stamp = File.GetLastWriteTimeUtc(
            Path.Combine(inProcess, "jobs", "job0000", "run.json")
        );
        var again = SweepRunner.Run(Tiny(), inProcess, new InProcessExecutor());
        Assert.Empty(again.Incomplete);
        Assert.Equal(
            stamp,
            File.GetLastWriteTimeUtc(Path.Combine(inProcess, "jobs", "job0000", "run.json"))
        );
        Assert.Equal(table, File.ReadAllBytes(again.Table));
    }

    [Fact]
    public void AJobMadeByAnotherConfigurationIsRefusedNotMixed()
    {
        var dir = Path.Combine(_dir, "mixed");
        SweepRunner.Run(Tiny(), dir, new InProcessExecutor());
        // finished jobs of another configuration: refused before anything runs, naming what differs
        var e = Assert.Throws<SweepException>(() =>
            SweepRunner.Run(Tiny(steps: 6), dir, new InProcessExecutor())
        );
        Assert.Contains("job0000 steps: 5 → 6", e.Message);
        Assert.Equal(
            Tiny().Jobs().Count,
            SweepRunner
                .Run(Tiny() with { CheckpointEvery = 7 }, dir, new InProcessExecutor())
                .Jobs.Count
        );
        File.Delete(Path.Combine(dir, "jobs", "job0000", "run.json"));
        var manifest = Path.Combine(dir, "jobs", "job0001", "run.json");
        File.WriteAllText(
            manifest,
            File.ReadAllText(manifest).Replace("\"completed\"", "\"interrupted\"")
        );
        // the job resumes under another configuration: its study's resume refuses it, and the job stays incomplete
        var outcome = SweepRunner.Run(Tiny(steps: 6), dir, new InProcessExecutor());
        Assert.Equal(["job0001"], outcome.Incomplete.Select(j => j.Id));
        Assert.Contains("\"interrupted\"", File.ReadAllText(manifest));
    }
}
