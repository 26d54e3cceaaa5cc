using System.Text.Json;
using System.Text.Json.Nodes;

namespace Telescope.Frames;

/// <summary>Status of one run inside a study.</summary>
public sealed record RunStatus(
    string Run,
    string Status,
    long Seed,
    string? Failure = null,
    double? FailedAtStep = null,
    double Seconds = 0,
    TableDigest? Table = null
);

/// <summary>
/// What a finished per-run table must still be for <c>--resume</c> to reuse it: its data rows (lines after
/// the header) and the SHA-256 of its bytes.
/// </summary>
public sealed record TableDigest(long Rows, string Sha256)
{
    /// <summary>The digest of the file at <paramref name="path"/>.</summary>
    public static TableDigest Of(string path)
    {
        using var fs = File.OpenRead(path);
        var sha = System.Security.Cryptography.SHA256.HashData(fs);
        fs.Position = 0;
        long lines = 0;
        var buf = new byte[1 << 16];
        for (int n; (n = fs.Read(buf, 0, buf.Length)) > 0; )
            lines += buf.AsSpan(0, n).Count((byte)'\n');
        return new TableDigest(Math.Max(0, lines - 1), Convert.ToHexString(sha).ToLowerInvariant());
    }

    /// <summary>Whether the file at <paramref name="path"/> still has this digest.</summary>
    public bool Matches(string path) => File.Exists(path) && Of(path) == this;
}

/// <summary>
/// <c>run.json</c>: what made an output — study, command line, full config, seed(s), data source,
/// package versions, thread count, machine — and how each run ended. Written atomically.
/// </summary>
public sealed class RunManifest
{
    /// <summary>Study or theory result name.</summary>
    public required string Study { get; init; }

    /// <summary>The command line that produced the output.</summary>
    public string CommandLine { get; init; } = Environment.CommandLine;

    /// <summary>The full configuration, as a JSON object.</summary>
    public JsonNode Config { get; init; } = new JsonObject();

    /// <summary>Where the data came from (real data set and version, or "synthetic: …").</summary>
    public string DataSource { get; init; } = "";

    /// <summary>Seeds used.</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [];

    /// <summary>Package and runtime versions (name → version).</summary>
    public IReadOnlyDictionary<string, string> Versions { get; init; } =
        new Dictionary<string, string>();

    /// <summary>Intra-op thread count used for tensor work.</summary>
    public int Threads { get; init; }

    /// <summary>Runs executed at once (each with <see cref="Threads"/> intra-op threads); the tables do not depend on it.</summary>
    public int ParallelRuns { get; init; } = 1;

    /// <summary>Overall status: <c>running</c>, <c>completed</c> or <c>failed</c>.</summary>
    public string Status { get; set; } = "running";

    /// <summary>Per-run status.</summary>
    public List<RunStatus> Runs { get; } = new();

    /// <summary>Files produced, relative to the output folder.</summary>
    public List<string> Outputs { get; } = new();

    /// <summary>Start time (UTC, ISO 8601).</summary>
    public string Started { get; init; } = DateTime.UtcNow.ToString("o");

    /// <summary>Finish time (UTC, ISO 8601) once done.</summary>
    public string? Finished { get; set; }

    /// <summary>The manifest as JSON.</summary>
    public JsonObject ToJson()
    {
        var runs = new JsonArray();
        foreach (var r in Runs)
        {
            var o = new JsonObject
            {
                ["run"] = r.Run,
                ["seed"] = r.Seed,
                ["status"] = r.Status,
                ["seconds"] = Math.Round(r.Seconds, 3),
            };
            if (r.Failure is not null)
                o["failure"] = r.Failure;
            if (r.FailedAtStep is not null)
                o["failed_at_step"] = r.FailedAtStep;
            if (r.Table is not null)
            {
                o["rows"] = r.Table.Rows;
                o["sha256"] = r.Table.Sha256;
            }
            runs.Add(o);
        }
        var versions = new JsonObject();
        foreach (var (k, v) in Versions)
            versions[k] = v;
        return new JsonObject
        {
            ["study"] = Study,
            ["status"] = Status,
            ["command_line"] = CommandLine,
            ["config"] = Config.DeepClone(),
            ["data_source"] = DataSource,
            ["seeds"] = new JsonArray(Seeds.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            ["threads"] = Threads,
            ["parallel_runs"] = ParallelRuns,
            ["versions"] = versions,
            ["machine"] = new JsonObject
            {
                ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["framework"] = System
                    .Runtime
                    .InteropServices
                    .RuntimeInformation
                    .FrameworkDescription,
                ["processors"] = Environment.ProcessorCount,
            },
            ["started"] = Started,
            ["finished"] = Finished,
            ["runs"] = runs,
            ["outputs"] = new JsonArray(
                Outputs.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()
            ),
        };
    }

    /// <summary>Write <c>run.json</c> into <paramref name="dir"/> atomically.</summary>
    public void Save(string dir) =>
        AtomicFile.WriteAllText(
            System.IO.Path.Combine(dir, "run.json"),
            ToJson()
                .ToJsonString(
                    new JsonSerializerOptions
                    {
                        WriteIndented = true,
                        Encoder = System
                            .Text
                            .Encodings
                            .Web
                            .JavaScriptEncoder
                            .UnsafeRelaxedJsonEscaping,
                    }
                ) + "\n"
        );

    /// <summary>Versions of the assemblies that define the given types, plus the runtime.</summary>
    public static Dictionary<string, string> VersionsOf(params Type[] types)
    {
        var d = new Dictionary<string, string>
        {
            [".NET"] = Environment.Version.ToString(),
            ["Deedle"] = typeof(Deedle.Frame).Assembly.GetName().Version?.ToString() ?? "?",
            ["Telescope.Analytics"] =
                typeof(RunManifest).Assembly.GetName().Version?.ToString() ?? "?",
        };
        foreach (var t in types)
        {
            var a = t.Assembly;
            var info = a.GetCustomAttributes(
                    typeof(System.Reflection.AssemblyInformationalVersionAttribute),
                    false
                )
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
                .FirstOrDefault()
                ?.InformationalVersion;
            d[a.GetName().Name ?? t.Name] =
                info?.Split('+')[0] ?? a.GetName().Version?.ToString() ?? "?";
        }
        return d;
    }
}
