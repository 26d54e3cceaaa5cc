using System.Text.Json;
using Telescope.Experiments.Studies;

namespace Telescope.Experiments.Sweeps;

/// <summary>
/// A sweep file (JSON, comments and trailing commas allowed), parameters spelled as the CLI's options:
/// <code>
/// { "name": "lr-sweep", "command": ["study", "approximation"],
///   "base": { "--dataset": "synthetic", "--steps": 100, "--checkpoint-every": 50 },
///   "grid": { "--lr": [0.01, 0.1], "--optimizer": ["sgd", "adamw"] },
///   "seeds": [0, 1], "threads_per_job": 1 }
/// </code>
/// </summary>
public static class SweepFile
{
    private static readonly string[] Keys =
    [
        "name",
        "command",
        "base",
        "grid",
        "seeds",
        "threads_per_job",
    ];

    /// <summary>
    /// Read a sweep file and validate it through the catalog (<see cref="SweepSpec.Problems"/>); every problem is
    /// listed in one <see cref="SweepException"/> naming the file.
    /// </summary>
    public static SweepSpec Load(string path)
    {
        if (!File.Exists(path))
            throw new SweepException($"sweep file not found: {path}");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(
                File.ReadAllText(path),
                documentOptions: new JsonDocumentOptions
                {
                    CommentHandling = JsonCommentHandling.Skip,
                    AllowTrailingCommas = true,
                    AllowDuplicateProperties = false, // "name" twice is a mistake, not "the last one wins"
                }
            );
        }
        catch (JsonException e)
        {
            throw new SweepException(
                $"{path}: not valid JSON (line {e.LineNumber + 1}): {e.Message.Split('.')[0]}"
            );
        }
        if (root is not JsonObject o)
            throw new SweepException($"{path}: the sweep must be a JSON object");
        var problems = new List<string>();
        foreach (var k in o.Select(kv => kv.Key).Where(k => !Keys.Contains(k)))
            problems.Add($"unknown key \"{k}\" (expected {string.Join(", ", Keys)})");
        string name = SweepSpec.DefaultName;
        if (o["name"] is JsonNode n)
        {
            name = n.GetValueKind() == JsonValueKind.String ? n.GetValue<string>() : "";
            if (
                name.Length == 0
                || name[0] == '.'
                || name.Any(ch => !(char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.'))
            )
                problems.Add(
                    "\"name\" must be a non-empty string of letters, digits, '-', '_' or '.', not starting with '.' (it names a folder under out/sweeps)"
                );
        }
        string study = Study(o["command"], problems);
        int checkpointEvery = Hosting.RunOptions.DefaultCheckpointEvery;
        var baseValues = new List<KeyValuePair<string, string>>();
        if (o["base"] is JsonNode b)
        {
            if (b is JsonObject bo)
                foreach (var (k, v) in bo)
                    if (Scalar(v) is not { } s)
                        problems.Add($"\"base\".\"{k}\" must be a string, number or true");
                    else if (k == Option("checkpoint-every"))
                        checkpointEvery = int.TryParse(s, out var every) ? every : -1;
                    else
                        baseValues.Add(new(Name(k), s));
            else
                problems.Add("\"base\" must be an object of option → value");
        }
        var grid = new List<KeyValuePair<string, string[]>>();
        if (o["grid"] is JsonObject g && g.Count > 0)
            foreach (var (k, v) in g)
            {
                if (!k.StartsWith(OptionPrefix))
                    problems.Add($"grid key \"{k}\" must be an option such as \"{Option("lr")}\"");
                if (v is JsonArray va && va.Count > 0 && va.All(x => Scalar(x) is not null))
                {
                    var values = va.Select(x => Scalar(x)!).ToArray();
                    foreach (var dup in values.GroupBy(x => x).Where(x => x.Count() > 1))
                        problems.Add(
                            $"\"grid\".\"{k}\" lists {dup.Key} {dup.Count()} times (each value once)"
                        );
                    grid.Add(new(Name(k), values));
                }
                else
                    problems.Add(
                        $"\"grid\".\"{k}\" must be a non-empty array of strings or numbers"
                    );
            }
        else
            problems.Add("\"grid\" must be a non-empty object of option → [values]");
        IReadOnlyList<long> seeds = SweepSpec.DefaultSeeds;
        if (o["seeds"] is JsonNode sn)
        {
            if (sn is JsonArray sa && sa.Count > 0 && sa.All(x => Whole(x) is not null))
            {
                seeds = sa.Select(x => (long)Whole(x)!).ToArray();
                foreach (var dup in seeds.GroupBy(x => x).Where(g => g.Count() > 1))
                    problems.Add($"\"seeds\" lists {dup.Key} {dup.Count()} times (each seed once)");
            }
            else
                problems.Add("\"seeds\" must be a non-empty array of integers");
        }
        int threads = SweepSpec.DefaultThreadsPerJob;
        if (o["threads_per_job"] is JsonNode tn)
        {
            if (Whole(tn) is >= 1 and <= int.MaxValue and var td)
                threads = (int)td;
            else
                problems.Add("\"threads_per_job\" must be a positive integer");
        }
        var spec = new SweepSpec(name, study, baseValues, grid, seeds, threads, checkpointEvery);
        if (problems.Count == 0 && study.Length > 0)
            problems.AddRange(spec.Problems(jobs: false));
        if (problems.Count > 0)
            throw new SweepException($"{path}: " + string.Join("; ", problems.Take(12)));
        return spec;
    }

    /// <summary>The study of <c>"command": ["study", NAME]</c> ("" after a problem).</summary>
    private static string Study(JsonNode? command, List<string> problems)
    {
        if (
            command is not JsonArray ca
            || ca.Count == 0
            || !ca.All(x => x?.GetValueKind() == JsonValueKind.String)
        )
        {
            problems.Add(
                "\"command\" must be a non-empty array of strings, e.g. [\"study\", \"approximation\"]"
            );
            return "";
        }
        var words = ca.Select(x => x!.GetValue<string>()).ToArray();
        if (words is ["study", var name])
            return name;
        problems.Add(
            words[0] == "study"
                ? "\"command\" must be [\"study\", NAME]"
                : $"\"command\" cannot be `{words[0]}`: a sweep runs a study, [\"study\", NAME] with NAME one of {string.Join(", ", StudyCatalog.All.Select(d => d.Name))}"
        );
        return "";
    }

    /// <summary>The parameter an option names: <c>--lr</c> → <c>lr</c>.</summary>
    private static string Name(string option) => FromOption(option);

    private static double? Whole(JsonNode? x) =>
        x?.GetValueKind() == JsonValueKind.Number
        && x.GetValue<double>() is var d
        && d == Math.Floor(d)
            ? d
            : null;

    private static string? Scalar(JsonNode? v) =>
        v?.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            JsonValueKind.True => "true",
            _ => null,
        };
}
