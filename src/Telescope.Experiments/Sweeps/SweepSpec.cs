using Telescope.Experiments.Studies;

namespace Telescope.Experiments.Sweeps;

/// <summary>A sweep that cannot run as given (a bad file, a job whose values the study refuses): one line, before any work.</summary>
public sealed class SweepException(string message) : ArgumentException(message);

/// <summary>
/// A sweep: one study of <see cref="StudyCatalog"/>, fixed parameter values, a grid over parameter names and
/// seeds. Each grid point × seed is an independent job with its own output folder; all jobs' tables merge
/// into one with the grid's parameters as columns. Values are text, as every face gives them.
/// </summary>
/// <param name="Name">Names the sweep's table (<c>&lt;name&gt;.csv</c>) and its default folder.</param>
/// <param name="Study">The catalog study every job runs.</param>
/// <param name="Base">Parameter name → value, the same in every job.</param>
/// <param name="Grid">Parameter name → values, in order (the last name varies fastest).</param>
/// <param name="Seeds">The seeds every grid point runs with (the innermost loop).</param>
/// <param name="ThreadsPerJob">Intra-op threads of each job.</param>
/// <param name="CheckpointEvery">Each job's checkpoint interval (steps; 0: none).</param>
public sealed record SweepSpec(
    string Name,
    string Study,
    IReadOnlyList<KeyValuePair<string, string>> Base,
    IReadOnlyList<KeyValuePair<string, string[]>> Grid,
    IReadOnlyList<long> Seeds,
    int ThreadsPerJob = SweepSpec.DefaultThreadsPerJob,
    int CheckpointEvery = RunOptions.DefaultCheckpointEvery
)
{
    /// <summary>The seeds of a sweep that names none.</summary>
    public static readonly IReadOnlyList<long> DefaultSeeds = [0];

    /// <summary>The threads of each job when a sweep names none.</summary>
    public const int DefaultThreadsPerJob = 1;

    /// <summary>The sweep's name when a file gives none.</summary>
    public const string DefaultName = "sweep";

    /// <summary>Names a sweep sets itself, so neither <see cref="Base"/> nor <see cref="Grid"/> may.</summary>
    public static readonly IReadOnlyList<string> Reserved = ["seed", "out", "threads"];

    /// <summary>
    /// The number of jobs (grid points × seeds), counted without enumerating them and without overflow (a grid
    /// of four options × 1,000 values is 10¹² jobs: enumerated, it filled the machine's memory before any line).
    /// </summary>
    public double JobCount =>
        Grid.Aggregate((double)Math.Max(1, Seeds.Count), (n, g) => n * g.Value.Length);

    /// <summary>The problem with <see cref="JobCount"/> above <see cref="StudyLimits.MaxCount"/>, or null.</summary>
    public string? JobCountProblem =>
        JobCount > StudyLimits.MaxCount
            ? $"the grid and seeds make {JobCount.ToString("G6", CultureInfo.InvariantCulture)} jobs; at most {StudyLimits.MaxCount} in one sweep"
            : null;

    /// <summary>The jobs, in a fixed order (grid in order, last name fastest; then seeds), not yet validated.</summary>
    public IReadOnlyList<SweepJob> Jobs()
    {
        if (JobCountProblem is { } tooMany)
            throw new SweepException(tooMany);
        IEnumerable<IReadOnlyList<KeyValuePair<string, string>>> combos =
        [
            [],
        ];
        foreach (var (key, values) in Grid)
            combos = combos
                .SelectMany(c =>
                    values.Select(v =>
                        (IReadOnlyList<KeyValuePair<string, string>>)[.. c, new(key, v)]
                    )
                )
                .ToList();
        var jobs = new List<SweepJob>();
        foreach (var combo in combos)
        foreach (var seed in Seeds)
            jobs.Add(
                new SweepJob(
                    jobs.Count,
                    $"job{jobs.Count:D4}",
                    seed,
                    combo,
                    [.. Base, .. combo, new("seed", seed.ToString(CultureInfo.InvariantCulture))]
                )
            );
        return jobs;
    }

    /// <summary>
    /// Every problem the catalog finds without running anything (empty when none): an unknown study, a name that
    /// is not one of its parameters or that the sweep sets itself, threads out of range; then, when
    /// <paramref name="jobs"/>, each job's values as its study validates them (<c>job0003: learning rate must be positive</c>).
    /// </summary>
    public IReadOnlyList<string> Problems(bool jobs = true)
    {
        var d = StudyCatalog.All.FirstOrDefault(x => x.Name == Study);
        if (d is null)
            return
            [
                $"unknown study '{Study}' (catalog: {string.Join(", ", StudyCatalog.All.Select(x => x.Name))})",
            ];
        var problems = new List<string>();
        foreach (var k in Base.Select(kv => kv.Key).Concat(Grid.Select(kv => kv.Key)))
            if (Reserved.Contains(k))
                problems.Add(
                    $"\"{Option(k)}\" is set by the sweep itself (use \"seeds\" / \"threads_per_job\")"
                );
            else if (!d.Parameters.Any(p => p.Name == k))
                problems.Add(
                    $"\"{Option(k)}\" is not a parameter of study {Study} (known: {string.Join(", ", d.Parameters.Select(p => Option(p.Name)))})"
                );
        if (ThreadsPerJob < 1)
            problems.Add("\"threads_per_job\" must be a positive integer");
        if (CheckpointEvery < 0)
            problems.Add($"{Option("checkpoint-every")} must be ≥ 0, got {CheckpointEvery}");
        if (JobCountProblem is { } tooMany)
            problems.Add(tooMany);
        if (problems.Count > 0 || !jobs)
            return problems;
        var seen = new Dictionary<string, string>();
        foreach (var j in Jobs())
            try
            {
                // two jobs that parse to the same configuration and seed would run and merge the same rows twice
                // ("0.01" and "0.010", or a seed listed twice)
                var plan = d.Plan(j.Parameters);
                var same = $"{plan.Study.Config.ToJsonString()} seed {j.Seed}";
                if (seen.TryGetValue(same, out var first))
                    problems.Add(
                        $"{j.Id} repeats {first} (the same configuration and seed): a grid value or seed is given twice"
                    );
                else
                    seen[same] = j.Id;
            }
            catch (ParameterException e)
            {
                problems.Add($"{j.Id}: {e.Message}");
            }
        return problems.Distinct().ToList();
    }
}

/// <summary>One job of a sweep.</summary>
/// <param name="Index">Its place in <see cref="SweepSpec.Jobs"/> (a Slurm array index).</param>
/// <param name="Id">Its name and folder, <c>job0007</c>.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Values">Its grid point: parameter name → value (columns of the merged table).</param>
/// <param name="Parameters">Every value it runs with: the base, its grid point and its seed.</param>
public sealed record SweepJob(
    int Index,
    string Id,
    long Seed,
    IReadOnlyList<KeyValuePair<string, string>> Values,
    IReadOnlyList<KeyValuePair<string, string>> Parameters
)
{
    /// <summary>Its output folder in a sweep written to <paramref name="sweepDir"/>.</summary>
    public string Dir(string sweepDir) => Path.Combine(sweepDir, "jobs", Id);
}
