using System.Diagnostics;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// Interruption and resume, end to end: a real <c>telescope</c> process is killed (SIGKILL, SIGINT) at a
/// random moment after a checkpoint, resumed with <c>--resume</c>, and its final table is compared byte
/// for byte with an uninterrupted run's.
/// </summary>
public class ResumeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("telescope-resume-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly string Telescope = Path.Combine(
        AppContext.BaseDirectory,
        "telescope.dll"
    );

    private static string[] Args(string outDir) =>
        [
            "study",
            "approximation",
            "--dataset",
            "synthetic",
            "--train",
            "200",
            "--test",
            "100",
            "--width",
            "32,32",
            "--optimizer",
            "sgd,adamw",
            "--lr",
            "0.01",
            "--steps",
            "400",
            "--record-every",
            "1",
            "--checkpoint-every",
            "25",
            "--threads",
            "1",
            "--out",
            outDir,
        ];

    /// <summary>
    /// Start telescope. A process started from a background shell inherits SIGINT ignored (and keeps it, as a Unix
    /// program should), so a Ctrl-C test would interrupt nothing there: <paramref name="ownSigint"/> starts it through
    /// perl (perl-base, essential on Debian) with SIGINT back at its default disposition first.
    /// </summary>
    private static Process Start(IEnumerable<string> args, bool ownSigint = false)
    {
        var psi = new ProcessStartInfo(ownSigint ? "perl" : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (ownSigint)
            foreach (
                var a in new[] { "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die $!", "dotnet" }
            )
                psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(Telescope);
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        var p = Process.Start(psi)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static int RunToEnd(IEnumerable<string> args)
    {
        using var p = Start(args);
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "telescope did not finish");
        return p.ExitCode;
    }

    private static readonly Lazy<string> ReferenceTable = new(() =>
    {
        var dir = Directory.CreateTempSubdirectory("telescope-resume-reference-").FullName;
        Assert.Equal(0, RunToEnd(Args(dir)));
        return Path.Combine(dir, "approximation.csv");
    });

    /// <summary>The uninterrupted run's table (computed once for all tests here).</summary>
    private static string Reference() => ReferenceTable.Value;

    /// <summary>
    /// Start, wait until the first run's partial table holds a share of its rows drawn from <paramref name="seed"/>
    /// (between its first checkpoint and its end), interrupt, and check that the interruption happened (the process
    /// was still running, and run.json does not say completed); returns the output folder. The moment depends on the
    /// seed and the rows written, not on the clock.
    /// </summary>
    private string Interrupt(
        string name,
        Action<Process> interrupt,
        int seed,
        bool ownSigint = false
    )
    {
        // the first run's table in the reference: its bytes bound where the interruption may fall
        var reference = Reference();
        long firstRun = File.ReadLines(reference)
            .Skip(1)
            .TakeWhile(l => l.Contains(",sgd", StringComparison.Ordinal))
            .Sum(l => l.Length + 1L);
        Assert.True(firstRun > 0, "the reference table has no sgd run");
        long target = (long)(firstRun * (0.1 + 0.35 * new Random(seed).NextDouble())); // the last steps also write per-example rows: stay in the first half
        var dir = Path.Combine(_dir, name);
        using var p = Start(Args(dir), ownSigint);
        var partial = Path.Combine(dir, "runs");
        var sw = Stopwatch.StartNew();
        long Size() =>
            Directory.Exists(partial)
                ? Directory
                    .GetFiles(partial, "*.csv.partial")
                    .Select(f => new FileInfo(f).Length)
                    .DefaultIfEmpty(0)
                    .Max()
                : 0;
        bool Checkpointed() =>
            Directory.Exists(partial) && Directory.GetFiles(partial, "*.ckpt").Length > 0;
        while (
            !(Checkpointed() && Size() >= target)
            && !p.HasExited
            && sw.Elapsed < TimeSpan.FromMinutes(5)
        )
            Thread.Sleep(2);
        Assert.False(
            p.HasExited,
            $"the run ended before it could be interrupted (seed {seed}, target {target} bytes)"
        );
        interrupt(p);
        p.WaitForExit();
        var status = (string?)
            System
                .Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))
                ?["status"];
        Assert.NotEqual("completed", status);
        Assert.False(
            File.Exists(Path.Combine(dir, "approximation.csv")),
            "the study finished: nothing was interrupted"
        );
        return dir;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void KilledWithSigkillAtASeededPointThenResumedGivesTheSameTable(int seed)
    {
        var reference = Reference();
        var dir = Interrupt("killed", p => p.Kill(), seed);
        Assert.False(
            File.Exists(Path.Combine(dir, "approximation.csv")),
            "an interrupted study must not leave a merged table"
        );
        ResumesToTheReferenceTable(reference, dir, $"tables differ (delay seed {seed})");
        Assert.Empty(Directory.GetFiles(dir, "*.partial", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(dir, "*.ckpt*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData(3)]
    public void InterruptedWithCtrlCThenResumedGivesTheSameTable(int seed)
    {
        var reference = Reference();
        var dir = Interrupt(
            "sigint",
            p => Process.Start("kill", ["-INT", p.Id.ToString()])!.WaitForExit(),
            seed,
            ownSigint: true
        );
        ResumesToTheReferenceTable(reference, dir, $"tables differ (delay seed {seed})");
    }

    [Fact]
    public void ADamagedCheckpointIsSkippedAndTheResultIsStillTheSame()
    {
        var reference = Reference();
        var dir = Interrupt("damaged", p => p.Kill(), 1);
        foreach (var ckpt in Directory.GetFiles(Path.Combine(dir, "runs"), "*.ckpt"))
        {
            var bytes = File.ReadAllBytes(ckpt);
            File.WriteAllBytes(ckpt, bytes[..(bytes.Length / 2)]); // a torn write
        }
        ResumesToTheReferenceTable(reference, dir);
    }

    /// <summary>
    /// <c>--resume</c> on the interrupted folder <paramref name="dir"/> exits 0 with a table byte-identical to the
    /// uninterrupted run's (<paramref name="reference"/>).
    /// </summary>
    private static void ResumesToTheReferenceTable(string reference, string dir, string? because = null)
    {
        Assert.Equal(0, RunToEnd([.. Args(dir), "--resume"]));
        Assert.True(
            File.ReadAllBytes(reference)
                .AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "approximation.csv"))),
            because
        );
    }

    [Fact]
    public void TheCheckpointStoreRejectsTornAndCorruptedFiles()
    {
        var store = new FileCheckpointStore(Path.Combine(_dir, "x.ckpt"));
        Assert.Null(store.TryLoadLatest());
        store.Save([1, 2, 3]);
        store.Save([4, 5, 6, 7]);
        Assert.Equal(new byte[] { 4, 5, 6, 7 }, store.TryLoadLatest());
        var bytes = File.ReadAllBytes(store.Path);
        bytes[6] ^= 0xFF; // flip a payload bit: the checksum no longer matches
        File.WriteAllBytes(store.Path, bytes);
        Assert.Equal(new byte[] { 1, 2, 3 }, store.TryLoadLatest()); // falls back to the previous one
        Assert.Contains(store.Path, store.Skipped);
        store.Delete();
        Assert.Null(new FileCheckpointStore(store.Path).TryLoadLatest());
    }
}
