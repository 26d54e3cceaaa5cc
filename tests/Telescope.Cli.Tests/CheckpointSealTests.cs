using System.Text.Json.Nodes;
using Telescope.Experiments.Hosting;
using Telescope.Frames;
using Telescope.Hosting;
using Telescope.Telescoping;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The study runner's resume safety, with a small checkpointing study whose interruption is seeded and certain (it
/// stops itself at a drawn step, so every test interrupts): a resume continues only its own run's checkpoint, over
/// the partial table that checkpoint sealed, under the options (MKL path included) that made it; anything else is
/// refused before a byte is written, with one line naming the file and the command that restarts the run.
/// </summary>
public sealed class CheckpointSealTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-seal");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>
    /// A study of <paramref name="runs"/> runs of <paramref name="steps"/> steps: step t writes the value
    /// <c>gain·(t+1)·(run+1)</c> and a running sum; it checkpoints (table position, sum) every
    /// <c>CheckpointEvery</c> steps and, when <see cref="StopAt"/> is set, stops run 0 there as Ctrl-C would.
    /// </summary>
    private sealed class Counting(double gain, int runs = 2, int steps = 40) : IStudy
    {
        public int? StopAt { get; set; }

        public int StopRun { get; set; }

        public string Name => "counting";

        public string DataSource => "synthetic: counting";

        public IReadOnlyList<string> ParameterNames => ["gain"];

        public JsonObject Config => new() { ["gain"] = gain, ["steps"] = steps };

        public IReadOnlyList<StudyRun> Runs() =>
            Enumerable
                .Range(0, runs)
                .Select(r => new StudyRun(
                    new RunKey(Name, $"r{r}", r, [new("gain", gain.ToString("R"))]),
                    steps,
                    ctx => Run(r, ctx)
                ))
                .ToList();

        private TrajectoryResult Run(int r, RunContext ctx)
        {
            var sink = (ICommittableSink)ctx.Sink;
            long start = 1;
            double sum = 0;
            if (ctx.Checkpoints?.TryLoadLatest() is { } saved)
            {
                using var rd = new BinaryReader(new MemoryStream(saved));
                long step = rd.ReadInt64();
                long pos = rd.ReadInt64();
                sum = rd.ReadDouble();
                sink.Rewind(pos);
                start = step + 1;
            }
            else
                sink.Rewind(0);
            for (long t = start; t <= steps; t++)
            {
                if (r == StopRun && StopAt == t)
                    throw new OperationCanceledException("seeded interruption");
                double v = gain * t * (r + 1);
                sum += v;
                sink.Write(new Observation("value", v, t));
                sink.Write(new Observation("sum", sum, t));
                if (ctx.CheckpointEvery > 0 && t % ctx.CheckpointEvery == 0 && t < steps)
                {
                    var ms = new MemoryStream();
                    using (var w = new BinaryWriter(ms))
                    {
                        w.Write(t);
                        w.Write(sink.Commit());
                        w.Write(sum);
                    }
                    ctx.Checkpoints!.Save(t, ms.ToArray());
                }
            }
            return new TrajectoryResult(steps, null, null, new Dictionary<string, double>());
        }
    }

    private static StudyOutcome Run(IStudy s, string dir, bool resume) =>
        StudyRunner.Run(
            s,
            dir,
            1,
            [0, 1],
            options: new RunOptions(CheckpointEvery: 5, Resume: resume),
            observer: new Quiet()
        );

    private sealed class Quiet : IRunObserver
    {
        public T Progress<T>(string title, Func<Action<string, long, long>, T> work) =>
            work((_, _, _) => { });

        public void Message(string line, bool routine = false) { }

        public IEnumerable<Type> HostTypes => [];
    }

    /// <summary>Run <paramref name="s"/> into a fresh folder, stopped at a step drawn from <paramref name="seed"/> (never on a checkpoint boundary's first step).</summary>
    private string Interrupted(string name, Counting s, int seed)
    {
        var dir = Path.Combine(_dir, name);
        s.StopAt = new Random(seed).Next(7, 39); // after the first checkpoint (step 5), before the end
        Assert.Throws<OperationCanceledException>(() => Run(s, dir, resume: false));
        s.StopAt = null;
        Assert.True(File.Exists(Path.Combine(dir, "runs", "r0.ckpt")), "no checkpoint was left");
        Assert.True(File.Exists(Path.Combine(dir, "runs", "r0.csv.partial")), "no partial table");
        return dir;
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) => FolderBytes.Of(dir);

    private static void Unchanged(Dictionary<string, byte[]> before, string dir) =>
        FolderBytes.AssertUnchanged(before, dir);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ASeededInterruptionResumesToTheUninterruptedBytes(int seed)
    {
        var reference = Path.Combine(_dir, "reference");
        Run(new Counting(1.5), reference, resume: false);
        var dir = Interrupted("cut", new Counting(1.5), seed);
        var outcome = Run(new Counting(1.5), dir, resume: true);
        Assert.False(outcome.Failed);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(reference, "counting.csv")),
            File.ReadAllBytes(Path.Combine(dir, "counting.csv"))
        );
    }

    [Fact]
    public void ACheckpointOfAnotherConfigurationWithTheSameShapesIsRefused()
    {
        var mine = Interrupted("mine", new Counting(1.5), 11);
        var theirs = Interrupted("theirs", new Counting(2.5), 11);
        // their run's checkpoint and partial table put in place of mine (a copied folder, a reused --out)
        foreach (var f in new[] { "r0.ckpt", "r0.csv.partial" })
            File.Copy(Path.Combine(theirs, "runs", f), Path.Combine(mine, "runs", f), true);
        var before = Snapshot(mine);
        var e = Assert.Throws<ResumeException>(() => Run(new Counting(1.5), mine, resume: true));
        Assert.Contains(Path.Combine(mine, "runs", "r0.ckpt"), e.Message);
        Assert.Contains("another run or configuration", e.Message);
        Assert.Contains($"rm '{Path.Combine(mine, "runs", "r0.ckpt")}'*", e.Message);
        Unchanged(before, mine);
    }

    [Fact]
    public void ACheckpointOfAnotherRunOfTheSameStudyIsRefused()
    {
        // folder A: r0 finished, r1 stopped at step 23; folder B (same configuration): r0 stopped at step 23
        var a = Path.Combine(_dir, "a");
        Assert.Throws<OperationCanceledException>(() =>
            Run(new Counting(1.5) { StopAt = 23, StopRun = 1 }, a, resume: false)
        );
        var b = Path.Combine(_dir, "b");
        Assert.Throws<OperationCanceledException>(() =>
            Run(new Counting(1.5) { StopAt = 23 }, b, resume: false)
        );
        // B's r0 checkpoint and table put in place of A's r1 (same shapes, same step, same configuration)
        File.Copy(Path.Combine(b, "runs", "r0.ckpt"), Path.Combine(a, "runs", "r1.ckpt"), true);
        File.Copy(
            Path.Combine(b, "runs", "r0.csv.partial"),
            Path.Combine(a, "runs", "r1.csv.partial"),
            true
        );
        AtomicFile.TryDelete(Path.Combine(a, "runs", "r1.ckpt.prev"));
        var before = Snapshot(a);
        var e = Assert.Throws<ResumeException>(() => Run(new Counting(1.5), a, resume: true));
        Assert.Contains(Path.Combine(a, "runs", "r1.ckpt"), e.Message);
        Assert.Contains("another run or configuration (run:", e.Message);
        Unchanged(before, a);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void AnEditInsideThePartialTableBeforeItsCheckpointIsRefused(int seed)
    {
        var dir = Interrupted("edit" + seed, new Counting(1.5), seed);
        var partial = Path.Combine(dir, "runs", "r0.csv.partial");
        var bytes = File.ReadAllBytes(partial);
        // one digit of a row before the first checkpoint, changed to another digit: same length, same shape
        int header = Array.IndexOf(bytes, (byte)'\n') + 1;
        int at = Array.FindIndex(bytes, header, b => b is >= (byte)'1' and <= (byte)'8');
        bytes[at]++;
        File.WriteAllBytes(partial, bytes);
        var before = Snapshot(dir);
        var e = Assert.Throws<ResumeException>(() => Run(new Counting(1.5), dir, resume: true));
        Assert.Contains(partial, e.Message);
        Assert.Contains("changed before its checkpoint", e.Message);
        Assert.Contains($"rm '{Path.Combine(dir, "runs", "r0.ckpt")}'*", e.Message);
        Unchanged(before, dir);
    }

    [Fact]
    public void ADamagedPartialTableNamesTheFileAndTheCommandThatRestartsTheRun()
    {
        var dir = Interrupted("short", new Counting(1.5), 5);
        var partial = Path.Combine(dir, "runs", "r0.csv.partial");
        var bytes = File.ReadAllBytes(partial);
        File.WriteAllBytes(partial, bytes[..(bytes.Length / 3)]); // torn: shorter than its checkpoint
        var e = Assert.Throws<ResumeException>(() => Run(new Counting(1.5), dir, resume: true));
        Assert.Contains(partial, e.Message);
        var rm = $"rm '{Path.Combine(dir, "runs", "r0.ckpt")}'*";
        Assert.Contains(rm, e.Message);
        // the command it names is the way out: after it, the resume restarts r0 and ends with the reference bytes
        foreach (var f in Directory.GetFiles(Path.Combine(dir, "runs"), "r0.ckpt*"))
            File.Delete(f);
        Run(new Counting(1.5), dir, resume: true);
        var reference = Path.Combine(_dir, "reference-short");
        Run(new Counting(1.5), reference, resume: false);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(reference, "counting.csv")),
            File.ReadAllBytes(Path.Combine(dir, "counting.csv"))
        );
    }

    [Fact]
    public void AResumeUnderAnotherMklCodePathIsRefused()
    {
        var dir = Interrupted("mkl", new Counting(1.5), 9);
        var path = Path.Combine(dir, "run.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.NotNull(json["versions"]?["mkl_path"]);
        json["versions"]!["mkl_path"] = "avx512 (forced on a CPU this is not)";
        File.WriteAllText(path, json.ToJsonString());
        var before = Snapshot(dir);
        var e = Assert.Throws<ResumeException>(() => Run(new Counting(1.5), dir, resume: true));
        Assert.Contains("mkl_path", e.Message);
        Unchanged(before, dir);
    }
}
