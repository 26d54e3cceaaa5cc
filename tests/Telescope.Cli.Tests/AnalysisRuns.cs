using System.Globalization;
using System.Text.Json.Nodes;
using Telescope.Cli.Commands;
using Telescope.Frames;

namespace Telescope.Cli.Tests;

/// <summary>
/// Runs every script in analysis/ (top level: .fsx through plain <c>dotnet fsi</c>, .csx through
/// <c>telescope script</c>) once on small settings
/// (<c>--steps 20</c>), each into its own folder under one output root, plus a small approximation
/// study through the CLI, so that the tests can check the outputs and build a report from them. Each
/// runs on first use (<see cref="Result"/>), at most once per fixture.
/// </summary>
public sealed class AnalysisRuns : IDisposable
{
    /// <summary>The analysis scripts, by file name (not <see cref="Prelude"/>, which they load).</summary>
    public static IEnumerable<object[]> Scripts() =>
        Directory
            .GetFiles(Repo.Path_("analysis"))
            .Where(f =>
                (
                    f.EndsWith(".fsx", StringComparison.Ordinal)
                    || f.EndsWith(".csx", StringComparison.Ordinal)
                )
                && Path.GetFileName(f) != Prelude
            )
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>
    /// The C# analyses that are also .NET 10 file-based apps taking <c>--steps</c> and <c>--out</c> (run by
    /// <c>dotnet run FILE.cs -- ARGS</c>); <c>own-loop.cs</c> takes no arguments and has its own test.
    /// </summary>
    public static IEnumerable<object[]> FileApps() =>
        Directory
            .GetFiles(Repo.Path_("analysis"), "*.cs")
            .Where(f => File.Exists(Path.ChangeExtension(f, ".csx")))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { Path.GetFileName(f) });

    /// <summary>The F# scripts' one shared header (<c>#load "prelude.fsx"</c>): references, no analysis.</summary>
    public const string Prelude = "prelude.fsx";

    /// <summary>The folder holding every output.</summary>
    public string Root { get; } = Repo.TempDir("telescope-analysis");

    private readonly Dictionary<
        string,
        (int code, string stdout, string stderr, string dir)
    > _results = new();
    private readonly Lazy<int> _study;

    /// <summary>Per script (every one, run on first use): exit code, stdout, stderr and output folder.</summary>
    public IReadOnlyDictionary<string, (int code, string stdout, string stderr, string dir)> Results
    {
        get
        {
            foreach (var s in Scripts().Select(o => (string)o[0]))
                Result(s);
            return _results;
        }
    }

    /// <summary>Exit code of the study run (run on first use).</summary>
    public int StudyCode => _study.Value;

    public AnalysisRuns() => _study = new Lazy<int>(RunStudy);

    /// <summary>
    /// One script's exit code, stdout, stderr and output folder; the script runs on first use, so a test of one
    /// script (<c>--filter</c>) runs only that script.
    /// </summary>
    public (int code, string stdout, string stderr, string dir) Result(string s)
    {
        lock (_results)
        {
            if (!_results.TryGetValue(s, out var r))
                _results[s] = r = Run(s);
            return r;
        }
    }

    private (int code, string stdout, string stderr, string dir) Run(string s)
    {
        var dir = Path.Combine(
            Root,
            Path.GetFileNameWithoutExtension(s) + "-" + Path.GetExtension(s).TrimStart('.')
        );
        var o = new StringWriter();
        var e = new StringWriter();
        int code;
        try
        {
            // .fsx through plain `dotnet fsi`, as the scripts' headers say; .csx through `telescope script`; .cs by `dotnet run`
            string[] args = ["--steps", "20", "--out", dir];
            if (s.EndsWith(".fsx", StringComparison.Ordinal))
            {
                var (c, so, se) = Repo.Fsi(Repo.Path_("analysis", s), args);
                code = c;
                o.Write(so);
                e.Write(se);
            }
            else if (s.EndsWith(".cs", StringComparison.Ordinal))
            {
                // a file-based app, as its header says: `dotnet run analysis/X.cs -- ARGS`
                var (c, so, se) = Repo.Exec(
                    "dotnet",
                    ["run", Repo.Path_("analysis", s), "--", .. args],
                    timeoutMs: 900_000,
                    cwd: Repo.Root
                );
                code = c;
                o.Write(so);
                e.Write(se);
            }
            else
                code = ScriptCommand.Run(Repo.Path_("analysis", s), args, o, e);
        }
        catch (Exception ex)
        {
            e.WriteLine(ex.ToString());
            code = -1;
        }
        return (code, o.ToString(), e.ToString(), dir);
    }

    private int RunStudy() =>
        TelescopeCli.Run([
            "study",
            "approximation",
            "--dataset",
            "synthetic",
            "--optimizer",
            "sgd",
            "--lr",
            "0.1",
            "--seed",
            "0,1",
            "--steps",
            "20",
            "--train",
            "100",
            "--test",
            "100",
            "--width",
            "16,16",
            "--threads",
            "1",
            "--out",
            Path.Combine(Root, "study-approximation"),
        ]);

    /// <summary>The mean of each (quantity, lr, step) of an aggregate table.</summary>
    public static Dictionary<(string, string, string), double> Means(string table)
    {
        var d = new Dictionary<(string, string, string), double>();
        foreach (var r in TidyTable.ReadRows(table))
            d[(r["quantity"], r["lr"], r["step"])] = double.Parse(
                r["mean"],
                CultureInfo.InvariantCulture
            );
        return d;
    }

    /// <summary>run.json of a folder.</summary>
    public static JsonObject Manifest(string dir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))!.AsObject();

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException) { }
    }
}
