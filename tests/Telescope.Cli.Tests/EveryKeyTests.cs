using System.Globalization;
using System.Text.Json.Nodes;
using Telescope.Experiments.Parameters;
using Telescope.Experiments.Studies;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// Every parameter that changes a study's numbers reaches what a resume compares (the configuration run.json records,
/// the seeds or the data source), so a resume with another value of any of them is refused; and every configuration
/// key run.json records is compared, so an edit of any one of them is refused.
/// </summary>
public sealed class EveryKeyTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-every-key");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>
    /// Parameters that do not change the numbers and so are not compared, each with the reason. Any other parameter
    /// without a recorded effect fails the test.
    /// </summary>
    private static readonly Dictionary<string, string> NotCompared = new()
    {
        ["device"] =
            "one device exists in this build (cpu); a resume on another device is refused by the device check",
        ["lmc/data"] =
            "a folder of Fashion-MNIST files: it reaches the fingerprint through data_source (the files' hashes), which needs the data set",
    };

    /// <summary>The other values a parameter needs to act at all (a data file for --target, --optimizer for --sigmoid).</summary>
    private (string, string)[] Context(string study, string parameter)
    {
        var csv = Path.Combine(_dir, "data.csv");
        if (!File.Exists(csv))
        {
            var rows = Enumerable
                .Range(0, 40)
                .Select(i => $"{i % 7 * 0.5},{i % 5 - 2},{i % 3},{(i % 2 == 0 ? "a" : "b")}");
            File.WriteAllText(csv, "x1,x2,x3,label\n" + string.Join("\n", rows) + "\n");
            File.WriteAllText(
                Path.Combine(_dir, "other.csv"),
                "x1,x2,x3,label\n" + string.Join("\n", rows.Reverse()) + "\n"
            );
        }
        return (study, parameter) switch
        {
            ("approximation", "weight-decay" or "sigmoid") => [("optimizer", "sgd"), ("lr", "0.1")],
            ("approximation", "target") =>
            [
                ("data", csv),
                ("target", "label"),
                ("features", "x1,x2"),
            ],
            ("approximation", "data" or "task" or "test-fraction" or "features" or "test") =>
            [
                ("data", csv),
                ("target", "label"),
            ],
            ("grokking", "weight-decay") => [("task", "mnist")],
            _ => [],
        };
    }

    /// <summary>Values worth trying first for some parameters (files, columns).</summary>
    private IEnumerable<string> Specific(string parameter) =>
        parameter switch
        {
            "data" => [Path.Combine(_dir, "other.csv")],
            "target" => ["x3"],
            "features" => ["x1,x2"],
            "test" => [Path.Combine(_dir, "other.csv"), "10"],
            _ => [],
        };

    /// <summary>Candidate values for a parameter, tried in order until one plans and differs from the default.</summary>
    private static IEnumerable<string> Candidates(IParameter p)
    {
        foreach (var c in p.Choices)
            yield return c;
        if (p.Kind == ParameterKind.Flag)
        {
            yield return "true";
            yield break;
        }
        var first = p.DefaultText.Split(',')[0];
        if (double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            foreach (var x in new[] { d + 1, d * 2, d / 2, d * 1.5, d - 1 })
                yield return x.ToString("R", CultureInfo.InvariantCulture);
        foreach (
            var x in new[]
            {
                "3",
                "2",
                "1",
                "5",
                "10",
                "7",
                "0.5",
                "0.25",
                "0.1",
                "0.9",
                "0.05",
                "1,2",
                "0,1",
                "sgd",
                "adam",
                "momentum",
                "linear",
                "mlp",
                "cnn",
                "relu",
                "tanh",
                "float32",
            }
        )
            yield return x;
    }

    private static (string Config, string Seeds) Fingerprint(
        IStudyDefinition d,
        (string, string)[] values
    )
    {
        var plan = d.Plan(values.Select(v => new KeyValuePair<string, string>(v.Item1, v.Item2)));
        return (plan.Study.Config.ToJsonString(), string.Join(",", plan.Seeds));
    }

    public static TheoryData<string, string> Parameters()
    {
        var data = new TheoryData<string, string>();
        foreach (var d in StudyCatalog.All)
        foreach (var p in d.Parameters)
            data.Add(d.Name, p.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Parameters))]
    public void EveryParameterReachesTheResumeFingerprint(string study, string parameter)
    {
        if (NotCompared.ContainsKey(parameter) || NotCompared.ContainsKey($"{study}/{parameter}"))
            return;
        var d = StudyCatalog.All.Single(x => x.Name == study);
        var p = d.Parameters.Single(x => x.Name == parameter);
        var context = Context(study, parameter);
        var baseline = Fingerprint(d, context);
        var tried = new List<string>();
        var refused = new HashSet<string>();
        foreach (var v in Specific(parameter).Concat(Candidates(p)))
        {
            (string Config, string Seeds) other;
            try
            {
                other = Fingerprint(
                    d,
                    [.. context.Where(c => c.Item1 != parameter), (parameter, v)]
                );
            }
            catch (Exception e)
                when (e is ArgumentException or InvalidDataException or FileNotFoundException)
            {
                tried.Add($"{v}: {e.Message}");
                refused.Add(v);
                continue;
            }
            if (other == baseline)
            {
                tried.Add($"{v}: same fingerprint");
                continue;
            }
            return; // a value that plans and changes what a resume compares
        }
        // a choice with one accepted value (a study that runs in one dtype) has nothing to compare: every other
        // choice must then be refused, not ignored
        if (
            p.Kind == ParameterKind.Choice
            && p.Choices.Where(c => c != p.DefaultText).All(refused.Contains)
        )
            return;
        Assert.Fail(
            $"--{parameter} of study {study}: no value changed the fingerprint:\n{string.Join("\n", tried)}"
        );
    }

    /// <summary>The stress harness's tiny gbt-vs-nn, one share, one thread.</summary>
    private static readonly string[] TinyGbt = TinyStudies.Cli(
        "gbt-vs-nn",
        ("shares", "0"),
        ("threads", "1")
    );

    [Fact]
    public void AnEditOfAnyRecordedKeyIsRefusedByAResume()
    {
        var d = Path.Combine(_dir, "gbt");
        var (code, _, stderr) = Repo.Cli([.. TinyGbt, "--out", d]);
        Assert.True(code == 0, stderr);
        var path = Path.Combine(d, "run.json");
        var original = File.ReadAllText(path);
        var json = JsonNode.Parse(original)!;
        var keys = json["config"]!
            .AsObject()
            .Select(kv => kv.Key)
            .Where(k => k != "checkpoint_every")
            .Select(k => ("config", k, $"config.{k}"))
            .Concat([
                ("", "study", "study"),
                ("", "data_source", "data_source"),
                ("", "seeds", "seeds"),
                ("", "threads", "threads"),
                ("versions", "mkl_path", "mkl_path"),
            ])
            .ToList();
        Assert.True(keys.Count >= 15, $"only {keys.Count} keys recorded");
        var missed = new List<string>();
        foreach (var (parent, key, name) in keys)
        {
            var edited = JsonNode.Parse(original)!;
            var holder = parent == "" ? edited.AsObject() : edited[parent]!.AsObject();
            holder[key] = JsonValue.Create("edited: " + holder[key]?.ToJsonString());
            File.WriteAllText(path, edited.ToJsonString());
            var (c, _, err) = Repo.Cli([.. TinyGbt, "--out", d, "--resume"]);
            if (c != 2 || !err.Contains(name + ":", StringComparison.Ordinal))
                missed.Add($"{name} (exit {c}: {err.Trim()})");
        }
        File.WriteAllText(path, original);
        Assert.True(missed.Count == 0, "a resume ignored an edit of: " + string.Join("; ", missed));
    }

    private static string[] TinyApproximation(string batch) =>
        TinyStudies.Cli(
            "approximation-linear",
            ("optimizer", "sgd"),
            ("lr", "0.05"),
            ("steps", "4"),
            ("threads", "1"),
            ("batch", batch)
        );

    /// <summary>
    /// Issue 24: a resume with another <c>--batch</c> is refused with exit 2, naming <c>config.batch</c>. The study is
    /// the tiny approximation, whose batch is a top-level config key (gbt-vs-nn nests it in <c>config.nn</c>, so the
    /// edit test above cannot see a fingerprint that skips <c>config.batch</c>); 64 and 32 are the two runs' batches.
    /// </summary>
    [Fact]
    public void AResumeWithAnotherBatchIsRefusedNamingTheKey()
    {
        var d = Path.Combine(_dir, "batch");
        var (code, _, stderr) = Repo.Cli([.. TinyApproximation("64"), "--out", d]);
        Assert.True(code == 0, stderr);
        var (c, _, err) = Repo.Cli([.. TinyApproximation("32"), "--out", d, "--resume"]);
        Assert.True(c == 2, $"a resume with --batch 32 of a --batch 64 run exited {c}: {err.Trim()}");
        Assert.Contains("config.batch: 64 → 32", err);
    }
}
