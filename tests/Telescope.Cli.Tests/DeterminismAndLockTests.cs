using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// Same seed and thread count give the same bytes for every study, in separate processes, while another
/// process keeps both cores busy; and two processes never write one output folder.
/// </summary>
public sealed class DeterminismAndLockTests : IDisposable
{
    private readonly string _root = Repo.TempDir("telescope-determinism");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException) { }
    }

    private static string TelescopeDll =>
        Repo.Path_("src", "Telescope.Cli", "bin", "Release", "net10.0", "telescope.dll");

    /// <summary>Busy loops on every core until disposed (the "loaded machine").</summary>
    private sealed class Load : IDisposable
    {
        private readonly List<Process> _spinners = [];

        public Load()
        {
            for (int i = 0; i < Environment.ProcessorCount; i++)
                _spinners.Add(
                    Process.Start(new ProcessStartInfo("sh", ["-c", "while :; do :; done"]))!
                );
        }

        public void Dispose()
        {
            foreach (var p in _spinners)
            {
                p.Kill();
                p.WaitForExit();
                p.Dispose();
            }
        }
    }

    public static TheoryData<string, string> Studies =>
        new()
        {
            {
                "approximation",
                "--dataset synthetic --optimizer sgd,adam --lr 0.1 --steps 60 --train 100 --test 60 --width 16,16 --seed 7"
            },
            { "grokking", "--dim 20 --units 40 --train 60 --test 40 --probe-test 20 --steps 30" },
            { "double-descent", "--width 2,4 --steps 200 --train 60 --test 60" },
            {
                "gbt-vs-nn",
                "--rows 1500 --train 800 --validation 200 --test-size 100 --epochs 2 --lr 0.01 --depth 2 --eta 0.1 --trees 10 --seed 0"
            },
            {
                "lmc",
                "--steps 8 --spawns 0,4 --children 2 --alphas 3 --eval-images 64 --gradient-images 16 --gradient-lag 2 --gradient-steps 0,2 --channels 4,8"
            },
        };

    /// <summary>Hashes of every table a study wrote (its merged table and each run's), by relative path.</summary>
    private static SortedDictionary<string, string> Tables(string dir) =>
        new(
            Directory
                .GetFiles(dir, "*.csv", SearchOption.AllDirectories)
                .ToDictionary(
                    f => Path.GetRelativePath(dir, f),
                    f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))
                ),
            StringComparer.Ordinal
        );

    [Xunit.Theory]
    [MemberData(nameof(Studies))]
    public void TwoProcessesOnALoadedMachineWriteTheSameBytes(string study, string args)
    {
        using var load = new Load();
        var hashes = new List<SortedDictionary<string, string>>();
        foreach (var name in new[] { "a", "b" })
        {
            var dir = Path.Combine(_root, study, name);
            var (code, o, e) = Repo.Exec(
                "dotnet",
                [TelescopeDll, "study", study, .. args.Split(' '), "--threads", "2", "--out", dir],
                env: new Dictionary<string, string> { ["CI"] = "true" }
            );
            Assert.True(code == 0, $"{study} ({name}) exited {code}:\n{e}");
            hashes.Add(Tables(dir));
        }
        Assert.NotEmpty(hashes[0]);
        Assert.Equal(hashes[0], hashes[1]);
    }

    [Fact]
    public void ASecondProcessOnTheSameFolderIsRefusedAndTheFirstFinishesWhole()
    {
        var dir = Path.Combine(_root, "shared-out");
        string[] first =
        [
            "study",
            "approximation",
            "--dataset",
            "synthetic",
            "--optimizer",
            "sgd",
            "--lr",
            "0.1",
            "--steps",
            "3000",
            "--train",
            "100",
            "--test",
            "60",
            "--width",
            "32,32",
            "--threads",
            "1",
            "--out",
            dir,
        ];
        var (proc, po, pe) = Repo.StartTelescope(first);
        using var p = proc;
        var lockFile = Path.Combine(dir, ".telescope.lock.json");
        Repo.WaitFor(lockFile, p, 60);
        Assert.True(File.Exists(lockFile), "the first process never held its folder");
        var (code, _, err) = Repo.Exec(
            "dotnet",
            [
                TelescopeDll,
                "study",
                "approximation",
                "--dataset",
                "synthetic",
                "--steps",
                "3",
                "--out",
                dir,
            ]
        );
        Assert.True(code == 2, $"the second process exited {code}: {err}");
        Assert.Contains($"pid {p.Id}", err);
        Assert.True(p.WaitForExit(300_000), "the first process did not finish");
        Assert.True(p.ExitCode == 0, $"the first process exited {p.ExitCode}: {pe.Result}");
        var manifest = File.ReadAllText(Path.Combine(dir, "run.json"));
        Assert.Contains("\"status\": \"completed\"", manifest);
        Assert.Contains("--steps 3000", manifest.Replace("\\u0022", ""));
        Assert.False(File.Exists(lockFile), "the lock was not released");
        _ = po.Result;
    }

    [Fact]
    public void SigtermToASweepStopsItsJobsAndStartsNoOther()
    {
        var dir = Path.Combine(_root, "sweep");
        var spec = Path.Combine(_root, "long.json");
        File.WriteAllText(
            spec,
            """
            {"name":"long","command":["study","approximation"],
             "base":{"--dataset":"synthetic","--train":100,"--test":60,"--width":"32,32","--steps":4000,"--checkpoint-every":200},
             "grid":{"--lr":[0.01,0.02]},"seeds":[0],"threads_per_job":1}
            """
        );
        var (proc, po, pe) = Repo.StartTelescope(["sweep", spec, "--workers", "1", "--out", dir]);
        using var p = proc;
        var jobLock = Path.Combine(dir, "jobs", "job0000", ".telescope.lock.json");
        Repo.WaitFor(jobLock, p, 90);
        Assert.True(File.Exists(jobLock), "the first job never started");
        // a second sweep into the same folder is refused while the first holds it
        var (second, _, secondErr) = Repo.Exec(
            "dotnet",
            [TelescopeDll, "sweep", spec, "--out", dir]
        );
        Assert.True(second == 2, $"a second sweep exited {second}: {secondErr}");
        Assert.Contains($"pid {p.Id}", secondErr);
        Thread.Sleep(1500);
        Repo.Exec("kill", ["-TERM", p.Id.ToString()]);
        Assert.True(p.WaitForExit(120_000), "the sweep did not stop after SIGTERM");
        Assert.True(p.ExitCode == 130, $"the sweep exited {p.ExitCode}, expected 130: {pe.Result}");
        Assert.False(File.Exists(jobLock), "the job still holds its folder: it was not stopped");
        var job0 = File.ReadAllText(Path.Combine(dir, "jobs", "job0000", "run.json"));
        Assert.Contains("\"status\": \"interrupted\"", job0);
        Assert.False(
            File.Exists(Path.Combine(dir, "jobs", "job0001", "run.json")),
            "a new job started after SIGTERM"
        );
        _ = po.Result;
    }
}
