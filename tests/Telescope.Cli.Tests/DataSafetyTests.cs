using System.Text.Json.Nodes;
using Telescope.Frames;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// Finished work is never overwritten or mixed: <c>report</c> writes only report pages, under the folder's lock; a
/// study refuses a folder holding another study's results unless told <c>--replace</c>; a grid value given twice is
/// refused by every list parameter; a seed range is bounded without being enumerated. Every refusal is one line, exit
/// 2, with nothing written.
/// </summary>
public sealed class DataSafetyTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-safety");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>A finished study's folder as a study leaves it: run.json, the merged table, a figure, runs/.</summary>
    private string FinishedStudy(string name, string study = "approximation")
    {
        var d = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.Combine(d, "runs"));
        var table =
            "study,run,seed,output,quantity,step,split,example,value\n"
            + $"{study},r0,0,,loss,0,train,,1.5\n{study},r0,0,,loss,1,train,,1.25\n";
        File.WriteAllText(Path.Combine(d, study + ".csv"), table);
        File.WriteAllText(Path.Combine(d, "runs", "r0.csv"), table);
        File.WriteAllText(
            Path.Combine(d, study + ".html"),
            "<!DOCTYPE html><html><body>a study's figure</body></html>\n"
        );
        File.WriteAllText(
            Path.Combine(d, "run.json"),
            new JsonObject
            {
                ["study"] = study,
                ["status"] = "completed",
                ["outputs"] = new JsonArray(study + ".csv", "runs/", study + ".html"),
            }.ToJsonString()
        );
        return d;
    }

    private static Dictionary<string, byte[]> Snapshot(string dir) => FolderBytes.Of(dir, ignoreLock: true);

    private static void Unchanged(Dictionary<string, byte[]> before, string dir) =>
        FolderBytes.AssertUnchanged(before, dir, ignoreLock: true);

    private static void OneLineExitTwo(int code, string stderr, string mention)
    {
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(mention, stderr);
    }

    [Theory]
    [InlineData("run.json")]
    [InlineData("approximation.csv")]
    [InlineData("approximation.html")]
    [InlineData("runs/r0.csv")]
    public void ReportNeverWritesOverAStudysFiles(string target)
    {
        var d = FinishedStudy("report-" + target.Replace('/', '-'));
        var before = Snapshot(d);
        var (code, _, stderr) = Repo.Cli("report", "--in", d, "--out", Path.Combine(d, target));
        OneLineExitTwo(code, stderr, "--out");
        Unchanged(before, d);
    }

    [Fact]
    public void ReportReplacesItsOwnPageAndOnlyThat()
    {
        var d = FinishedStudy("report-own");
        var page = Path.Combine(d, "report.html");
        var (code, _, stderr) = Repo.Cli("report", "--in", d, "--out", page);
        Assert.True(code == 0, stderr);
        var (again, _, stderr2) = Repo.Cli("report", "--in", d, "--out", page, "--title", "two");
        Assert.True(again == 0, stderr2);
        Assert.Contains("<title>two</title>", File.ReadAllText(page));
    }

    [Fact]
    public void ReportTakesTheFolderLock()
    {
        var d = FinishedStudy("report-locked");
        var before = Snapshot(d);
        using (OutputFolder.Acquire(d)) // a study writing into the folder
        {
            var inUse = Snapshot(d);
            var (code, _, stderr) = Repo.Cli(
                "report",
                "--in",
                d,
                "--out",
                Path.Combine(d, "report.html")
            );
            OneLineExitTwo(code, stderr, "in use");
            Unchanged(inUse, d);
        }
        Unchanged(before, d);
    }

    [Fact]
    public void ReportOfAnEmptyFolderWritesNothing()
    {
        var d = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(d);
        var (code, _, stderr) = Repo.Cli("report", "--in", d);
        OneLineExitTwo(code, stderr, "no run.json or CSV table");
        Assert.Empty(Directory.GetFileSystemEntries(d));
    }

    /// <summary>The stress harness's tiny gbt-vs-nn, one share, one thread.</summary>
    private static readonly string[] TinyGbt = TinyStudies.Cli(
        "gbt-vs-nn",
        ("shares", "0"),
        ("threads", "1")
    );

    [Fact]
    public void AStudyRefusesAFolderHoldingAnotherStudysResults()
    {
        var d = FinishedStudy("other-study");
        var before = Snapshot(d);
        var (code, _, stderr) = Repo.Cli([.. TinyGbt, "--out", d]);
        OneLineExitTwo(code, stderr, "study approximation");
        Assert.Contains("--replace", stderr);
        Unchanged(before, d);
    }

    [Fact]
    public void ADryRunGivesTheSameVerdictOnAnotherStudysFolder()
    {
        var d = FinishedStudy("other-study-dry");
        var before = Snapshot(d);
        var (code, _, stderr) = Repo.Cli([.. TinyGbt, "--out", d, "--dry-run"]);
        OneLineExitTwo(code, stderr, "study approximation");
        Unchanged(before, d);
    }

    [Fact]
    public void ReplaceAndResumeExcludeEachOther()
    {
        var d = FinishedStudy("both");
        var before = Snapshot(d);
        var (code, _, stderr) = Repo.Cli([.. TinyGbt, "--out", d, "--resume", "--replace"]);
        OneLineExitTwo(code, stderr, "--replace");
        Unchanged(before, d);
    }

    [Fact]
    public void ReplaceDeletesTheOtherStudysResultsAndLeavesNoneOrphaned()
    {
        var d = FinishedStudy("replaced");
        File.WriteAllText(Path.Combine(d, "notes.txt"), "mine"); // not the study's: kept
        var (code, _, stderr) = Repo.Cli([.. TinyGbt, "--out", d, "--replace"]);
        Assert.True(code == 0, stderr);
        Assert.False(File.Exists(Path.Combine(d, "approximation.csv")));
        Assert.False(File.Exists(Path.Combine(d, "approximation.html")));
        Assert.False(File.Exists(Path.Combine(d, "runs", "r0.csv")));
        Assert.Equal("mine", File.ReadAllText(Path.Combine(d, "notes.txt")));
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(d, "run.json")))!;
        Assert.Equal("gbt-vs-nn", (string?)json["study"]);
    }

    [Theory]
    [InlineData("gbt-vs-nn", "--shares", "0,0.2,0.2")]
    [InlineData("gbt-vs-nn", "--shares", "0.2,0,0.20")]
    [InlineData("gbt-vs-nn", "--depth", "2,3,2")]
    [InlineData("approximation", "--lr", "0.01,0.010")]
    [InlineData("approximation", "--optimizer", "adam,ADAM")]
    [InlineData("approximation", "--seed", "0,1,0")]
    [InlineData("approximation", "--seed", "0..3,2")]
    [InlineData("double-descent", "--width", "4,8,4")]
    [InlineData("grokking", "--alpha", "1,1")]
    [InlineData("lmc", "--spawns", "0,0")]
    public void AGridValueGivenTwiceIsRefused(string study, string option, string value)
    {
        var d = Path.Combine(_dir, "dup");
        var (code, _, stderr) = Repo.Cli("study", study, option, value, "--out", d, "--dry-run");
        OneLineExitTwo(code, stderr, "twice");
        Assert.Contains(option, stderr);
        Assert.False(Directory.Exists(d));
    }

    [Theory]
    [InlineData("approximation", "--sigmoid", "--optimizer")]
    [InlineData("approximation", "--weight-decay=0.1", "--optimizer")]
    [InlineData("grokking", "--weight-decay=1", "--task mnist")]
    public void AnOptionThatWouldBeIgnoredIsRefused(string study, string option, string needs)
    {
        var d = Path.Combine(_dir, "ignored");
        var (code, _, stderr) = Repo.Cli("study", study, option, "--out", d, "--dry-run");
        OneLineExitTwo(code, stderr, option.Split('=')[0]);
        Assert.Contains(needs, stderr);
        Assert.False(Directory.Exists(d));
    }

    [Theory]
    [InlineData("approximation", "--width", "8,8")]
    [InlineData("lmc", "--channels", "4,4")]
    public void AShapeMayRepeatAValue(string study, string option, string value)
    {
        var empty = Path.Combine(_dir, "no-data");
        Directory.CreateDirectory(empty);
        string[] data = study == "lmc" ? ["--data", empty] : [];
        var (code, _, stderr) = Repo.Cli([
            "study",
            study,
            option,
            value,
            .. data,
            "--out",
            Path.Combine(_dir, "s"),
            "--dry-run",
        ]);
        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData("-9223372036854775808..9223372036854775807")]
    [InlineData("-9223372036854775807..9223372036854775807")]
    [InlineData("0..9223372036854775807")]
    [InlineData("-9223372036854775808..0")]
    public void ASeedRangeIsBoundedWithoutBeingEnumerated(string range)
    {
        var d = Path.Combine(_dir, "seeds");
        var task = Task.Run(() =>
            Repo.Cli("study", "approximation", "--seed", range, "--out", d, "--dry-run")
        );
        Assert.True(task.Wait(TimeSpan.FromSeconds(60)), "the seed range was enumerated");
        var (code, _, stderr) = task.Result;
        OneLineExitTwo(code, stderr, "at most");
        Assert.False(Directory.Exists(d));
    }
}
