namespace Telescope;

/// <summary>
/// One tidy observation: the value of a named <paramref name="Quantity"/> at one coordinate.
/// The run-level coordinates (study, run, seed, swept hyper-parameters) live in the <see cref="RunKey"/>
/// of the sink that receives it, so they are not repeated on every row in memory.
/// </summary>
/// <param name="Quantity">What is measured, snake_case (for example <c>telescoping_error</c>).</param>
/// <param name="Value">The measured (or simulated) value.</param>
/// <param name="Step">Optimisation step t (experiments), or continuous time t (theory); null when not applicable.</param>
/// <param name="Split"><c>train</c>, <c>test</c>, or null.</param>
/// <param name="Example">Index of the example within its split, for per-example quantities; otherwise null.</param>
/// <param name="Output">Index of the network output, for per-output quantities; otherwise null.</param>
/// <param name="ClosedForm">Theory tables only: the closed-form prediction that <paramref name="Value"/> is compared with.</param>
/// <param name="Coordinates">
/// Row-level coordinates beyond the fixed ones — a coordinate that varies across the rows of one run, such as
/// the interpolation coefficient <c>alpha</c> of a path or the <c>layer</c> of a per-layer quantity — as
/// (column, cell text) pairs; null when there are none. Each names a column of the table (the study lists it
/// beside its swept hyper-parameters), so a coordinate is never spelled into <paramref name="Split"/> or
/// <paramref name="Quantity"/>. Add them with <see cref="At(string, double)"/>.
/// </param>
public readonly record struct Observation(
    string Quantity,
    double Value,
    double? Step = null,
    string? Split = null,
    int? Example = null,
    int? Output = null,
    double? ClosedForm = null,
    IReadOnlyList<KeyValuePair<string, string>>? Coordinates = null
)
{
    /// <summary>This observation with the row-level coordinate <paramref name="column"/> = <paramref name="value"/> added.</summary>
    public Observation At(string column, string value) =>
        this with
        {
            Coordinates = [.. Coordinates ?? [], new KeyValuePair<string, string>(column, value)],
        };

    /// <summary>
    /// This observation with a numeric row-level coordinate, written as the table writes numbers (round-trip,
    /// invariant culture), so that readers parse the column rather than a string.
    /// </summary>
    public Observation At(string column, double value) =>
        At(column, value.ToString("R", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Equal when every field is, coordinates compared by value (as the other fields are).</summary>
    public bool Equals(Observation other) =>
        Quantity == other.Quantity
        && Value.Equals(other.Value)
        && Step.Equals(other.Step)
        && Split == other.Split
        && Example == other.Example
        && Output == other.Output
        && ClosedForm.Equals(other.ClosedForm)
        && (Coordinates ?? []).SequenceEqual(other.Coordinates ?? []);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(Quantity, Value, Step, Split, Example, Output, ClosedForm);

    /// <summary>
    /// The fields that are set, coordinates as <c>column=cell</c> pairs: <c>Observation { Quantity = loss, Value = 0.5,
    /// Step = 3, Split = test, Coordinates = [alpha=0.25, layer=1] }</c>.
    /// </summary>
    private bool PrintMembers(System.Text.StringBuilder b)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        b.Append("Quantity = ")
            .Append(Quantity)
            .Append(", Value = ")
            .Append(Value.ToString("R", inv));
        if (Step is { } t)
            b.Append(", Step = ").Append(t.ToString("R", inv));
        if (Split is { } s)
            b.Append(", Split = ").Append(s);
        if (Example is { } e)
            b.Append(", Example = ").Append(e);
        if (Output is { } o)
            b.Append(", Output = ").Append(o);
        if (ClosedForm is { } c)
            b.Append(", ClosedForm = ").Append(c.ToString("R", inv));
        if (Coordinates is { Count: > 0 } cs)
            b.Append(", Coordinates = [")
                .AppendJoin(", ", cs.Select(kv => $"{kv.Key}={kv.Value}"))
                .Append(']');
        return true;
    }

    /// <summary>The cell of the row-level coordinate <paramref name="column"/>, or null when this row does not set it.</summary>
    public string? Coordinate(string column)
    {
        if (Coordinates is { } cs)
            foreach (var kv in cs)
                if (kv.Key == column)
                    return kv.Value;
        return null;
    }
}

/// <summary>
/// The identifying columns shared by every row of one run: <c>study, run, seed</c> and every swept
/// hyper-parameter by name (in a fixed order, so that all runs of a study share one header). Coordinates that
/// vary within a run are the observations' own (<see cref="Observation.Coordinates"/>).
/// </summary>
public sealed record RunKey(
    string Study,
    string Run,
    long Seed,
    IReadOnlyList<KeyValuePair<string, string>> Parameters
)
{
    /// <summary>The swept hyper-parameter names, in column order.</summary>
    public IEnumerable<string> ParameterNames => Parameters.Select(p => p.Key);

    /// <summary>Value of a named parameter, or null when the run does not set it.</summary>
    public string? this[string name] =>
        Parameters.FirstOrDefault(p => p.Key == name) is { Key: not null } kv ? kv.Value : null;
}

/// <summary>A consumer of observations (a streaming table writer, a list in a test, ...).</summary>
public interface IObservationSink
{
    /// <summary>Receive one observation.</summary>
    void Write(in Observation observation);
}

/// <summary>An in-memory sink: collects observations into a list (tests, small studies, scripts).</summary>
public sealed class ObservationList : IObservationSink
{
    /// <summary>The observations received so far, in order.</summary>
    public List<Observation> Items { get; } = new();

    /// <inheritdoc />
    public void Write(in Observation observation) => Items.Add(observation);
}

/// <summary>
/// A sink whose rows can be made durable at a checkpoint and rolled back to one on resume, so that a
/// resumed run's table is byte for byte the table of an uninterrupted run.
/// </summary>
public interface ICommittableSink : IObservationSink
{
    /// <summary>Make every row written so far durable; returns a position (data bytes after the header).</summary>
    long Commit();

    /// <summary>Drop every row after <paramref name="position"/> (as returned by <see cref="Commit"/>; 0 = no rows).</summary>
    void Rewind(long position);
}
