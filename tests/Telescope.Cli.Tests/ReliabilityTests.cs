using System.Text.Json.Nodes;
using Telescope.Cli;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// Nothing lost, nothing silently wrong: bad input is one line and exit 2 before anything is written (and
/// <c>--dry-run</c> gives the same verdict), an output folder has one writer, <c>--resume</c> refuses another
/// configuration and re-runs a finished table that no longer matches its digest.
/// </summary>
public sealed class ReliabilityTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-reliability-" + Guid.NewGuid().ToString("N")
    );

    public ReliabilityTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    private string P(string name) => Path.Combine(_dir, name);

    /// <summary>A tiny approximation study into <paramref name="outDir"/>; options in <paramref name="more"/> replace the defaults.</summary>
    private static string[] Tiny(string outDir, params string[] more)
    {
        var defaults = new List<(string, string)>
        {
            ("--dataset", "synthetic"),
            ("--train", "40"),
            ("--test", "20"),
            ("--width", "8"),
            ("--optimizer", "sgd"),
            ("--lr", "0.1"),
            ("--steps", "4"),
            ("--seed", "0"),
            ("--threads", "1"),
            ("--out", outDir),
        };
        var args = new List<string> { "study", "approximation" };
        foreach (var (o, v) in defaults)
            if (!more.Contains(o))
                args.AddRange([o, v]);
        args.AddRange(more);
        return [.. args];
    }

    private static void OneLine(string stderr, string expected, string what)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(
            lines.Count(l => l.StartsWith("telescope: ", StringComparison.Ordinal)) >= 1,
            $"{what}: {stderr}"
        );
        Assert.Contains(expected, lines[^1]);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Theory]
    [InlineData("threads over the cap", "--threads", "100000", "--threads must be at most")]
    [InlineData("negative threads", "--threads", "-1", "--threads must be ≥ 0")]
    [InlineData("a huge seed range", "--seed", "0..2000000000", "at most 10000")]
    [InlineData("a reversed seed range", "--seed", "3..1", "not a seed range")]
    [InlineData("an empty learning rate", "--lr", "", "--lr: empty value")]
    [InlineData("an empty item in a list", "--lr", "0.1,", "--lr: empty value")]
    [InlineData("an empty optimizer", "--optimizer", "", "--optimizer: empty value")]
    [InlineData("an empty seed", "--seed", "", "--seed: empty value")]
    public void BadOptionsAreOneLineExit2NothingWrittenAndDryRunAgrees(
        string what,
        string option,
        string value,
        string expected
    )
    {
        foreach (var dry in new[] { false, true })
        {
            var dir = P("bad");
            string[] args =
            [
                .. Tiny(dir, option, value),
                .. dry ? ["--dry-run"] : Array.Empty<string>(),
            ];
            var (code, _, err) = Fixtures.RunCli(args);
            Assert.True(
                code == TelescopeCli.BadInput,
                $"{what} (dry-run {dry}): exit {code}: {err}"
            );
            OneLine(err, expected, what);
            Assert.False(Directory.Exists(dir), $"{what}: the output folder was created");
        }
    }

    [Fact]
    public void AnOutFolderThatIsAFileOrUnderAFileIsBadInput()
    {
        var file = P("a-file");
        File.WriteAllText(file, "keep me\n");
        foreach (
            var (outDir, expected) in new[]
            {
                (file, "is a file, not a folder"),
                (Path.Combine(file, "sub"), "is a file, so no folder"),
            }
        )
        foreach (var dry in new[] { false, true })
        {
            var (code, _, err) = Fixtures.RunCli([
                .. Tiny(outDir),
                .. dry ? ["--dry-run"] : Array.Empty<string>(),
            ]);
            Assert.True(code == TelescopeCli.BadInput, $"--out {outDir}: exit {code}: {err}");
            OneLine(err, expected, outDir);
        }
        Assert.Equal("keep me\n", File.ReadAllText(file));
    }

    [Fact]
    public void AFolderHeldByAnotherWriterIsRefusedNamingTheHolderAndLeftUntouched()
    {
        var dir = P("held");
        Assert.Equal(0, Fixtures.RunCli(Tiny(dir)).code);
        var before = Snapshot(dir);
        using (OutputFolder.Acquire(dir))
        {
            var (code, _, err) = Fixtures.RunCli(Tiny(dir));
            Assert.True(code == TelescopeCli.BadInput, $"exit {code}: {err}");
            OneLine(err, $"pid {Environment.ProcessId}", "held folder");
            Assert.Contains("in use by another process", err);
        }
        Assert.Equal(before, Snapshot(dir));
        // released: the same folder can be written again
        Assert.Equal(0, Fixtures.RunCli(Tiny(dir, "--resume")).code);
    }

    [Fact]
    public void AStaleLockFromADeadProcessIsTakenOver()
    {
        var dir = P("stale");
        Directory.CreateDirectory(dir);
        // what a killed holder leaves: the files, but no live lock on them
        File.WriteAllText(Path.Combine(dir, OutputFolder.LockName), "");
        File.WriteAllText(
            Path.Combine(dir, OutputFolder.LockName + ".json"),
            """{"pid":999999,"started":"2020-01-01T00:00:00Z","command_line":"telescope (killed)"}"""
        );
        var (code, _, err) = Fixtures.RunCli(Tiny(dir));
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.False(
            File.Exists(Path.Combine(dir, OutputFolder.LockName)),
            "the lock was not released"
        );
    }

    [Theory]
    [InlineData("--steps", "5", "config.steps: 4 → 5")]
    [InlineData("--width", "9", "config.")]
    [InlineData("--seed", "1", "seeds: [0] → [1]")]
    [InlineData("--threads", "2", "threads: 1 → 2")]
    [InlineData("--lr", "0.2", "config.")]
    public void ResumeWithAnotherConfigurationIsRefusedAndChangesNothing(
        string option,
        string value,
        string expected
    )
    {
        var dir = P("resume");
        Assert.Equal(0, Fixtures.RunCli(Tiny(dir)).code);
        var before = Snapshot(dir);
        var args = Tiny(dir, "--resume").ToList();
        var at = args.IndexOf(option);
        if (at >= 0)
            args[at + 1] = value;
        else
            args.AddRange([option, value]);
        var (code, _, err) = Fixtures.RunCli([.. args]);
        Assert.True(code == TelescopeCli.BadInput, $"exit {code}: {err}");
        OneLine(err, expected, option);
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void ResumeKeepsACheckpointIntervalChange()
    {
        var dir = P("every");
        Assert.Equal(0, Fixtures.RunCli(Tiny(dir)).code);
        var (code, _, err) = Fixtures.RunCli(Tiny(dir, "--resume", "--checkpoint-every", "2"));
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("already finished; reused", err);
    }

    [Fact]
    public void AFinishedTableThatNoLongerMatchesItsDigestIsRunAgainNotReused()
    {
        var dir = P("digest");
        Assert.Equal(0, Fixtures.RunCli(Tiny(dir)).code);
        var run = Directory.GetFiles(Path.Combine(dir, "runs"), "*.csv").Single();
        var good = File.ReadAllBytes(run);
        var runJson = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        var recorded = runJson["runs"]![0]!;
        Assert.Equal(TableDigest.Of(run).Sha256, recorded["sha256"]!.GetValue<string>());
        Assert.Equal(File.ReadAllLines(run).Length - 1, recorded["rows"]!.GetValue<long>());
        // a torn table: its last rows lost
        File.WriteAllBytes(run, good[..(good.Length / 2)]);
        var (code, _, err) = Fixtures.RunCli(Tiny(dir, "--resume"));
        Assert.True(code == 0, $"exit {code}: {err}");
        Assert.Contains("running it again", err);
        Assert.Equal(good, File.ReadAllBytes(run));
    }

    [Fact]
    public void AMalformedInputFileIsBadInputNotACrash()
    {
        var dir = P("ragged");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "x.csv"), "study,run,value\na,b\n");
        var (code, _, err) = Fixtures.RunCli(
            "report",
            "--in",
            dir,
            "--out",
            Path.Combine(dir, "r.html")
        );
        Assert.True(code == TelescopeCli.BadInput, $"exit {code}: {err}");
        OneLine(err, "x.csv:2", "ragged csv");
        Assert.False(File.Exists(Path.Combine(dir, "r.html")));
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
    }

    [Fact]
    public void AFullDiskIsExit1WithFinishedRunsKeptAndNothingPartial()
    {
        // a small tmpfs (this needs root, as CI and the developers' machines have): room for about two of the
        // four runs' tables
        var mnt = P("tmpfs");
        Directory.CreateDirectory(mnt);
        var (m, _, me) = Exec("mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", mnt);
        Assert.True(m == 0, $"mount tmpfs failed ({me}); this test needs root");
        try
        {
            var dir = Path.Combine(mnt, "out");
            var (code, _, err) = Fixtures.RunCli(
                Tiny(
                    dir,
                    "--seed",
                    "0..3",
                    "--steps",
                    "30",
                    "--record-every",
                    "1",
                    "--checkpoint-every",
                    "0"
                )
            );
            Assert.True(code == TelescopeCli.RunFailed, $"exit {code}: {err}");
            OneLine(err, "No space left on device", "full disk");
            Assert.Empty(Directory.GetFiles(mnt, "*.partial", SearchOption.AllDirectories));
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
            Assert.Equal("failed", manifest["status"]!.GetValue<string>());
            var runs = manifest["runs"]!.AsArray();
            var completed = runs.Where(r => r!["status"]!.GetValue<string>() == "completed")
                .ToList();
            Assert.NotEmpty(completed); // the disk had room for at least one run
            Assert.Contains(runs, r => r!["status"]!.GetValue<string>() == "failed");
            foreach (var r in completed)
            {
                var table = Path.Combine(dir, "runs", r!["run"]!.GetValue<string>() + ".csv");
                Assert.Equal(r["sha256"]!.GetValue<string>(), TableDigest.Of(table).Sha256);
            }
        }
        finally
        {
            Exec("umount", mnt);
        }
    }

    [Fact]
    public void ADiskFilledToTheLastBlockStillEndsWithRunJsonFailedAndOneLine()
    {
        // issue 24: the runs' tables fill a 200k tmpfs completely (every step recorded), so the failed run.json had
        // no room: it stayed "running" while stderr said "run.json says failed" (two lines: "could not update")
        var mnt = P("tmpfs-full");
        Directory.CreateDirectory(mnt);
        var (m, _, me) = Exec("mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", mnt);
        Assert.True(m == 0, $"mount tmpfs failed ({me}); this test needs root");
        try
        {
            var dir = Path.Combine(mnt, "out");
            var (code, _, err) = Fixtures.RunCli(
                Tiny(dir, "--seed", "0,1", "--steps", "300", "--record-every", "1")
            );
            Assert.True(code == TelescopeCli.RunFailed, $"exit {code}: {err}");
            var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l =>
                    l.StartsWith("telescope: ", StringComparison.Ordinal) && l.Contains("No space")
                )
                .ToList();
            Assert.True(lines.Count == 1, $"one line about the full disk expected: {err}");
            Assert.Contains("run.json says failed", lines[0]);
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
            Assert.Equal("failed", manifest["status"]!.GetValue<string>());
            Assert.False(
                File.Exists(Path.Combine(dir, ".telescope.reserve")),
                "the reserve was left"
            );
        }
        finally
        {
            Exec("umount", mnt);
        }
    }

    [Fact]
    public void AMergedTableThatCannotBeWrittenEndsWithRunJsonFailed()
    {
        // issue 24: every run finished, then writing the merged table failed (here a folder stands where its
        // temporary file goes; on a full disk the table needs the runs' size again): exit 1 and run.json stayed
        // "running", with no word on what run.json says
        var dir = P("merge-fails");
        Directory.CreateDirectory(Path.Combine(dir, "approximation.csv.partial"));
        var (code, _, err) = Fixtures.RunCli(Tiny(dir, "--seed", "0,1"));
        Assert.True(code == TelescopeCli.RunFailed, $"exit {code}: {err}");
        OneLine(err, "run.json says failed", "merge fails");
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!;
        Assert.Equal("failed", manifest["status"]!.GetValue<string>());
        Assert.All(manifest["runs"]!.AsArray(), r =>
            Assert.Equal("completed", r!["status"]!.GetValue<string>())
        );
    }

    private static (int code, string stdout, string stderr) Exec(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        var e = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, o, e);
    }

    /// <summary>Every file under <paramref name="dir"/> with its bytes.</summary>
    private static string Snapshot(string dir) =>
        string.Join(
            "\n",
            Directory
                .GetFiles(dir, "*", SearchOption.AllDirectories)
                .Order(StringComparer.Ordinal)
                .Select(f =>
                    $"{Path.GetRelativePath(dir, f)} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}"
                )
        );
}
