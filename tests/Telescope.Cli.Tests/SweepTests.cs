using System.Diagnostics;
using Telescope.Cli;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary><c>telescope sweep</c>: validation, the local backend, and a real single-node Slurm (started by scripts/slurm-local.sh).</summary>
public class SweepTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("telescope-sweep-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Spec(string json)
    {
        var p = Path.Combine(_dir, Guid.NewGuid().ToString("N") + ".json");
        File.WriteAllText(p, json);
        return p;
    }

    private const string Good = """
        { "name": "t", "command": ["study", "approximation"],
          "base": { "--dataset": "synthetic", "--train": 60, "--test": 40, "--width": "16", "--steps": 15 },
          "grid": { "--optimizer": ["sgd", "adamw"], "--lr": [0.001, 0.01] }, "seeds": [0, 1], "threads_per_job": 1 }
        """;

    private static (int code, string stdout, string stderr) Telescope(params string[] args) =>
        Fixtures.RunCli(args);

    [Theory]
    [InlineData("missing file", null, "sweep file not found")]
    [InlineData("not JSON", "{ \"name\": ", "not valid JSON")]
    [InlineData("not an object", "[1, 2]", "must be a JSON object")]
    [InlineData(
        "unknown key",
        """{ "command": ["study","approximation"], "grid": {"--lr": [0.1]}, "colour": 1 }""",
        "unknown key \"colour\""
    )]
    [InlineData(
        "bad name",
        """{ "name": "a/b", "command": ["study","approximation"], "grid": {"--lr": [0.1]} }""",
        "\"name\""
    )]
    [InlineData("no command", """{ "grid": {"--lr": [0.1]} }""", "\"command\"")]
    [InlineData("no grid", """{ "command": ["study","approximation"] }""", "\"grid\"")]
    [InlineData(
        "empty grid values",
        """{ "command": ["study","approximation"], "grid": {"--lr": []} }""",
        "non-empty array"
    )]
    [InlineData(
        "grid key not an option",
        """{ "command": ["study","approximation"], "grid": {"lr": [0.1]} }""",
        "must be an option"
    )]
    [InlineData(
        "grid sets the seed",
        """{ "command": ["study","approximation"], "grid": {"--seed": [1]} }""",
        "set by the sweep itself"
    )]
    [InlineData(
        "bad seeds",
        """{ "command": ["study","approximation"], "grid": {"--lr": [0.1]}, "seeds": [0.5] }""",
        "\"seeds\""
    )]
    [InlineData(
        "bad threads",
        """{ "command": ["study","approximation"], "grid": {"--lr": [0.1]}, "threads_per_job": 0 }""",
        "threads_per_job"
    )]
    [InlineData(
        "a job with a bad value",
        """{ "command": ["study","approximation"], "base": {"--dataset": "synthetic"}, "grid": {"--lr": [0.1, -1]} }""",
        "learning rate must be positive"
    )]
    [InlineData(
        "a job with an unknown option",
        """{ "command": ["study","approximation"], "grid": {"--learning-rate": [0.1]} }""",
        "--learning-rate"
    )]
    [InlineData(
        "a grid value given twice, spelled two ways",
        """{ "command": ["study","approximation"], "base": {"--dataset": "synthetic"}, "grid": {"--lr": [0.01, 0.010]} }""",
        "given twice"
    )]
    [InlineData(
        "an option twice in the grid object",
        """{ "command": ["study","approximation"], "grid": {"--lr": [0.01], "--lr": [0.1]} }""",
        "not valid JSON"
    )]
    public void BadSweepFilesAreRejectedBeforeAnyWork(string what, string? json, string expected)
    {
        var spec = json is null ? Path.Combine(_dir, "nope.json") : Spec(json);
        var outDir = Path.Combine(_dir, "out");
        var (code, _, err) = Telescope("sweep", spec, "--out", outDir);
        Assert.True(code == TelescopeCli.BadInput, $"{what}: exit {code}: {err}");
        Assert.Contains(expected, err);
        Assert.False(Directory.Exists(outDir), $"{what}: output was created");
    }

    [Theory]
    [InlineData("--backend", "kubernetes", "unknown 'kubernetes'")]
    [InlineData("--workers", "-1", "--workers")]
    [InlineData("--task", "99", "--task 99")]
    public void BadSweepOptionsAreRejected(string option, string value, string expected)
    {
        var (code, _, err) = Telescope(
            "sweep",
            Spec(Good),
            "--out",
            Path.Combine(_dir, "o"),
            option,
            value
        );
        Assert.Equal(TelescopeCli.BadInput, code);
        Assert.Contains(expected, err);
    }

    [Fact]
    public void JobsExpandTheGridTimesSeedsInAFixedOrder()
    {
        var s = global::Telescope.Experiments.Sweeps.SweepFile.Load(Spec(Good));
        var jobs = s.Jobs();
        Assert.Equal(8, jobs.Count);
        Assert.Equal(["job0000", "job0001"], jobs.Take(2).Select(j => j.Id));
        Assert.Equal(
            new[] { ("sgd", "0.001", 0L), ("sgd", "0.001", 1L), ("sgd", "0.01", 0L) },
            jobs.Take(3).Select(j => (j.Values[0].Value, j.Values[1].Value, j.Seed))
        );
    }

    private static int RunProcess(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    private static string RepoFile(string relative)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Telescope.Analytics.sln")))
            d = d.Parent;
        return Path.Combine(
            d?.FullName ?? throw new InvalidOperationException("repository root not found"),
            relative
        );
    }

    [Fact]
    public void LocalAndSlurmBackendsProduceIdenticalMergedTables()
    {
        Assert.True(
            RunProcess("bash", RepoFile("scripts/slurm-local.sh")) == 0,
            "could not start the local Slurm cluster (scripts/slurm-local.sh)"
        );
        var spec = Spec(Good);
        var local = Path.Combine(_dir, "local");
        var slurm = Path.Combine(_dir, "slurm");
        var (lc, _, le) = Telescope("sweep", spec, "--out", local, "--workers", "2");
        Assert.True(lc == 0, le);
        var (sc, _, se) = Telescope(
            "sweep",
            spec,
            "--out",
            slurm,
            "--backend",
            "slurm",
            "--timeout",
            "600"
        );
        Assert.True(sc == 0, se);
        Assert.Contains("submitted Slurm array job", se);
        Assert.True(File.Exists(Path.Combine(slurm, "sweep.sbatch")));
        var a = File.ReadAllBytes(Path.Combine(local, "t.csv"));
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(slurm, "t.csv")));
        var rows = TidyTable.ReadRows(Path.Combine(local, "t.csv")).ToList();
        Assert.Equal(8, rows.Select(r => r["job"]).Distinct().Count());
        Assert.Equal(["adamw", "sgd"], rows.Select(r => r["optimizer"]).Distinct().Order());
        Assert.Equal(["0", "1"], rows.Select(r => r["seed"]).Distinct().Order());
        // a rerun finds every job done and reruns nothing, giving the same table
        var (rc, rout, _) = Telescope("sweep", spec, "--out", local);
        Assert.Equal(0, rc);
        Assert.Contains("8/8 jobs completed", rout);
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(local, "t.csv")));
        // not a merged CSV only: each job's figure and run.json, and the command that shows them all
        var jobs = Path.Combine(local, "jobs");
        Assert.Contains($"telescope report --in {jobs}", rout);
        Assert.All(
            Directory.GetDirectories(jobs),
            d =>
            {
                Assert.NotEmpty(Directory.GetFiles(d, "*.html", SearchOption.AllDirectories));
                Assert.NotEmpty(Directory.GetFiles(d, "run.json", SearchOption.AllDirectories));
            }
        );
    }

    [Fact]
    public void AFailingSlurmTaskIsResubmittedAndReported()
    {
        Assert.True(
            RunProcess("bash", RepoFile("scripts/slurm-local.sh")) == 0,
            "could not start the local Slurm cluster"
        );
        var spec = Spec(
            """
            { "name": "f", "command": ["study", "approximation"],
              "base": { "--dataset": "synthetic", "--train": 60, "--test": 40, "--width": "16", "--steps": 40, "--optimizer": "sgd" },
              "grid": { "--lr": [0.01, 1e6] }, "seeds": [0] }
            """
        );
        var outDir = Path.Combine(_dir, "fail");
        var (code, _, err) = Telescope(
            "sweep",
            spec,
            "--out",
            outDir,
            "--backend",
            "slurm",
            "--retries",
            "1",
            "--timeout",
            "600"
        );
        Assert.Equal(1, code);
        Assert.Contains("resubmitting", err);
        Assert.Contains("job0001 did not complete", err);
        var rows = TidyTable.ReadRows(Path.Combine(outDir, "f.csv")).ToList();
        Assert.Equal(["job0000"], rows.Select(r => r["job"]).Distinct());
    }
}
