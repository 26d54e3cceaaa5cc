namespace Telescope.Experiments.Studies;

/// <summary>A study configured from parameter values: the study (its data not yet loaded) and its seeds.</summary>
/// <param name="Study">The study, validated.</param>
/// <param name="Seeds">Its seeds, for run.json.</param>
/// <param name="Device">Its device (<c>cpu</c>, <c>cuda:1</c>), checked by the host before it runs.</param>
public sealed record StudyPlan(IStudy Study, IReadOnlyList<long> Seeds, string Device)
{
    /// <summary>Number of runs.</summary>
    public int RunCount => Study.Runs().Count;

    /// <summary>The plan in words: <c>12 runs × 600 steps</c> (<c>≤</c> when runs may stop early or differ).</summary>
    public string Size
    {
        get
        {
            var runs = Study.Runs();
            long steps = runs.Count == 0 ? 0 : runs.Max(x => x.Steps);
            return $"{runs.Count} runs × {(runs.All(x => x.Steps == steps) ? "" : "≤ ")}{steps} steps";
        }
    }
}

/// <summary>
/// A study as a catalog entry: its name, one-paragraph summary, typed parameters (the only place their defaults,
/// ranges and help live), how parameter values become a validated study, its figures and its printed summary.
/// Faces (the CLI, F#, C#) enumerate entries; they hold no defaults of their own.
/// </summary>
public interface IStudyDefinition
{
    /// <summary>The study's name (<c>telescope study NAME</c>, the table's <c>study</c> column).</summary>
    string Name { get; }

    /// <summary>What it reproduces, with its presets and their measured costs.</summary>
    string Summary { get; }

    /// <summary>The parameters, in the order faces list them.</summary>
    IReadOnlyList<IParameter> Parameters { get; }

    /// <summary>
    /// The study configured by <paramref name="values"/> (parameter name → text, as a face received it; later
    /// values of one name win): unknown names, unparseable text and invalid combinations are a
    /// <see cref="ParameterException"/> naming every problem. Loads no data.
    /// </summary>
    StudyPlan Plan(IEnumerable<KeyValuePair<string, string>> values, Action<string>? log = null);

    /// <summary>Write the figure(s) beside <paramref name="table"/>; returns the files written (names in <paramref name="outDir"/>).</summary>
    IEnumerable<string> Figures(string table, string outDir, string dataSource);

    /// <summary>Print the summary of a finished table.</summary>
    void Summarise(string table, TextWriter w);
}

/// <summary>A catalog entry over configuration <typeparamref name="TConfig"/> (an immutable record).</summary>
public abstract class StudyDefinition<TConfig> : IStudyDefinition
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Summary { get; }

    /// <summary>The typed parameters.</summary>
    protected abstract IReadOnlyList<Parameter<TConfig>> Typed { get; }

    /// <inheritdoc />
    public IReadOnlyList<IParameter> Parameters => Typed;

    /// <summary>
    /// The configuration the given values start from (the defaults; a study with presets returns its preset's),
    /// before each given parameter is set on it in declaration order.
    /// </summary>
    protected abstract TConfig Start(IReadOnlyDictionary<string, string> values);

    /// <summary>Every problem of a configuration (empty when valid), in parameter names.</summary>
    protected abstract IEnumerable<string> Problems(TConfig config);

    /// <summary>The study of a valid configuration.</summary>
    protected abstract StudyPlan Build(TConfig config, Action<string>? log);

    /// <summary>The configuration the values describe (validated).</summary>
    public TConfig Configure(IEnumerable<KeyValuePair<string, string>> values) =>
        ParameterSet.Configure($"study {Name}", Typed, values, Start, Problems);

    /// <inheritdoc />
    public StudyPlan Plan(
        IEnumerable<KeyValuePair<string, string>> values,
        Action<string>? log = null
    ) => Build(Configure(values), log);

    /// <inheritdoc />
    public abstract IEnumerable<string> Figures(string table, string outDir, string dataSource);

    /// <inheritdoc />
    public abstract void Summarise(string table, TextWriter w);
}
