using Telescope.Cli.Commands;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The scripts that redraw a study's figure from its saved table (analysis/redraw/) and the thesis
/// chapter scripts (analysis/theory/) run green on a fresh build: each study is run at a tiny size
/// through the CLI, then its redraw script loads the table and writes the figure.
/// </summary>
public sealed class RedrawAndTheoryScriptTests : IDisposable
{
    private readonly string _root = Repo.TempDir("telescope-redraw");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, true);
        }
        catch (IOException) { }
    }

    public static TheoryData<string, string, string, string> Redraws =>
        new()
        {
            {
                "grokking",
                "grokking",
                "grokking-redrawn.html",
                "--dim 20 --units 40 --train 60 --test 40 --probe-test 20 --steps 30"
            },
            {
                "double-descent",
                "double-descent",
                "double-descent-redrawn.html",
                "--width 2,4 --steps 200 --train 60 --test 60"
            },
            {
                "fig5_gbt_vs_nn",
                "gbt-vs-nn",
                "fig5_redrawn.html",
                "--rows 1500 --train 800 --validation 200 --test-size 100 --epochs 2 --lr 0.01 --depth 2 --eta 0.1 --trees 10 --seed 0"
            },
            {
                "fig6_lmc",
                "lmc",
                "fig6_redrawn.html",
                "--steps 8 --spawns 0,4 --children 2 --alphas 3 --eval-images 64 --gradient-images 16 --gradient-lag 2 --gradient-steps 0,2 --channels 4,8"
            },
        };

    [Xunit.Theory]
    [MemberData(nameof(Redraws))]
    public void RedrawScriptRedrawsTheStudysSavedTable(
        string script,
        string study,
        string html,
        string tinyArgs
    )
    {
        var dir = Path.Combine(_root, study);
        int code = TelescopeCli.Run([
            "study",
            study,
            .. tinyArgs.Split(' '),
            "--threads",
            "1",
            "--out",
            dir,
        ]);
        Assert.True(code == 0, $"telescope study {study} exited {code}");
        var table = Path.Combine(dir, study + ".csv");
        Assert.True(File.Exists(table));
        var (rc, o, e) = Repo.Fsi(Repo.Path_("analysis", "redraw", script + ".fsx"), [table]);
        Assert.True(rc == 0, $"{script}.fsx exited {rc}: {e}\n{o}");
        Assert.True(
            new FileInfo(Path.Combine(dir, html)).Length > 0,
            $"{script}.fsx did not write {html}"
        );
    }

    public static TheoryData<string> TheoryScripts =>
        new(
            Directory
                .GetFiles(Repo.Path_("analysis", "theory"), "ch*.fsx")
                .Select(Path.GetFileName)
                .Order(StringComparer.Ordinal)!
        );

    [Xunit.Theory]
    [MemberData(nameof(TheoryScripts))]
    public void ThesisChapterScriptRunsGreen(string script)
    {
        var (rc, o, e) = Repo.Fsi(Repo.Path_("analysis", "theory", script), []);
        Assert.True(rc == 0, $"{script} exited {rc}: {e}\n{o}");
    }
}
