using System.Globalization;

namespace Telescope.Theory.Checks;

/// <summary>
/// One parameter of a theory result, in the vocabulary studies use (<see cref="IParameter"/>: name, description,
/// kind, default text, help): name, default, the theorem's range (inclusive), and meaning. <paramref name="Also"/>
/// is one value outside [Min, Max] that is accepted as well, with a meaning of its own (scaling's <c>alpha = 0</c>
/// selects the spec's set of α). This record is the one declaration of a parameter's domain: the validation
/// (<see cref="TheoryCatalog.Validate(ITheoryCheck, IEnumerable{string})"/>), the listing (<see cref="Listed"/>) and
/// the sampler (<see cref="TheorySampler"/>) all read it.
/// </summary>
public sealed record ParamSpec(
    string Name,
    double Default,
    double Min,
    double Max,
    string Description,
    bool Integer = false,
    double? Also = null
) : IParameter
{
    /// <summary><see cref="ParameterKind.Int"/> for an integer parameter, else <see cref="ParameterKind.Double"/>.</summary>
    public ParameterKind Kind => Integer ? ParameterKind.Int : ParameterKind.Double;

    /// <summary>The default as the listing prints it (<see cref="Fmt"/>).</summary>
    public string DefaultText => Fmt(Default);

    /// <inheritdoc />
    public IReadOnlyList<string> Choices => [];

    /// <inheritdoc />
    public bool IsList => false;

    /// <summary>The help line: description with the theorem's range, and the default.</summary>
    public string Help => ParameterHelp.Line($"{Description} ({Range}).", DefaultText);

    /// <summary>Range as text, e.g. <c>0.2 ≤ S ≤ 5</c>.</summary>
    public string Range =>
        $"{Fmt(Min)} ≤ {Name} ≤ {Fmt(Max)}"
        + (Integer ? ", integer" : "")
        + (Also is { } a ? $", or {Name} = {Fmt(a)}" : "");

    /// <summary>The domain as <c>telescope theory list</c> prints it: <c>[0.1, 1.5]</c>, or <c>[0.1, 1.5] or 0</c>.</summary>
    public string Listed => $"[{Fmt(Min)}, {Fmt(Max)}]" + (Also is { } a ? $" or {Fmt(a)}" : "");

    /// <summary>Whether <paramref name="v"/> is inside the declared domain (integrality aside).</summary>
    public bool Contains(double v) => (v >= Min && v <= Max) || (Also is { } a && v == a);

    /// <summary>A number as the listing and messages print it (G6, invariant).</summary>
    public static string Fmt(double x) => x.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>How a row's simulated value is judged against its closed form.</summary>
public enum Relation
{
    /// <summary>|simulated − closed| ≤ tolerance.</summary>
    Within,

    /// <summary>simulated ≤ closed + tolerance (a bound: the closed form is the theory's upper bound).</summary>
    AtMost,
}

/// <summary>
/// One row of a theory table: a quantity at coordinate x (time t, or the swept resource), its closed form and simulated
/// value, and the spec tolerance. Control rows carry a must-fail control (misprinted form or parameters outside the
/// theorem's range): they are expected to be rejected by the same check. A coordinate other than x that varies across
/// the rows of one quantity (the α of a data-increment row, say) is one of its <paramref name="Coordinates"/>, a column
/// of the table, never part of the quantity's name; add it with <see cref="At(string, double)"/>.
/// </summary>
public sealed record Comparison(
    string Quantity,
    double X,
    double ClosedForm,
    double Simulated,
    double Tolerance,
    bool Control = false,
    int? Output = null,
    Relation Relation = Relation.Within,
    IReadOnlyList<KeyValuePair<string, string>>? Coordinates = null
)
{
    /// <summary>This row with the coordinate <paramref name="column"/> = <paramref name="value"/> (a table column).</summary>
    public Comparison At(string column, string value) =>
        this with
        {
            Coordinates = [.. Coordinates ?? [], new KeyValuePair<string, string>(column, value)],
        };

    /// <summary>This row with a numeric coordinate, written as the tables write numbers (round-trip, invariant).</summary>
    public Comparison At(string column, double value) =>
        At(column, value.ToString("R", CultureInfo.InvariantCulture));

    /// <summary>
    /// What a verdict is given for: the quantity and, when the row has coordinates, their values
    /// (<c>data_increment alpha=0.5</c>). Printed summaries and <see cref="TheoryCatalog.Passes"/> group rows by it.
    /// </summary>
    public string Claim =>
        Coordinates is { Count: > 0 } cs
            ? Quantity + " " + string.Join(" ", cs.Select(c => $"{c.Key}={c.Value}"))
            : Quantity;

    /// <summary>Equal when every field is, coordinates compared by value (as the other fields are).</summary>
    public bool Equals(Comparison? other) =>
        other is not null
        && Quantity == other.Quantity
        && X.Equals(other.X)
        && ClosedForm.Equals(other.ClosedForm)
        && Simulated.Equals(other.Simulated)
        && Tolerance.Equals(other.Tolerance)
        && Control == other.Control
        && Output == other.Output
        && Relation == other.Relation
        && (Coordinates ?? []).SequenceEqual(other.Coordinates ?? []);

    /// <inheritdoc />
    public override int GetHashCode() =>
        HashCode.Combine(Quantity, X, ClosedForm, Simulated, Tolerance, Control, Output, Relation);

    /// <summary>Whether the check accepts the row.</summary>
    public bool Accepted =>
        Relation == Relation.Within
            ? Math.Abs(Simulated - ClosedForm) <= Tolerance
            : Simulated <= ClosedForm + Tolerance;
}

/// <summary>
/// What a result computed: the rows plus how to draw and describe them. <paramref name="Uninformative"/> names the
/// must-fail controls the check left out at these parameters because they cannot be told apart from the claim there
/// (each with its reason, also among the <paramref name="Notes"/>): "control not informative here", not a failure.
/// </summary>
public sealed record TheoryReport(
    IReadOnlyList<Comparison> Rows,
    string XTitle,
    IReadOnlyList<long> Seeds,
    string DataSource,
    IReadOnlyList<string> Notes,
    bool LogX = false,
    bool LogY = false,
    IReadOnlyList<string>? Uninformative = null
);

/// <summary>A named theory result: closed form against simulation with the spec tolerance.</summary>
public interface ITheoryCheck
{
    /// <summary>Command-line name (e.g. <c>sigmoid</c>).</summary>
    string Name { get; }

    /// <summary>One-line description with the spec result ids.</summary>
    string Summary { get; }

    /// <summary>The parameters, defaults and the theorem's ranges.</summary>
    IReadOnlyList<ParamSpec> Parameters { get; }

    /// <summary>Compute every row (no output is written here).</summary>
    TheoryReport Run(IReadOnlyDictionary<string, double> p);
}

/// <summary>Shared helpers for results.</summary>
internal static class Rows
{
    /// <summary>n + 1 equally spaced points on [0, t1].</summary>
    public static double[] Grid(double t1, int n) =>
        Enumerable.Range(0, n + 1).Select(i => t1 * i / n).ToArray();

    /// <summary>
    /// Rows for a scalar function of t compared on a grid. With <paramref name="relative"/> the tolerance of
    /// each row is <c>tol · max(1, |closed form|)</c>: for quantities that grow (γ reaches hundreds near the
    /// a + b = 0 saddle), an absolute round-off bound would reject a correct closed form.
    /// </summary>
    public static IEnumerable<Comparison> Curve(
        string quantity,
        IEnumerable<double> ts,
        Func<double, double> closedForm,
        Func<double, double> simulated,
        double tol,
        bool control = false,
        int? output = null,
        bool relative = false
    ) =>
        ts.Select(t =>
        {
            var c = closedForm(t);
            return new Comparison(
                quantity,
                t,
                c,
                simulated(t),
                relative ? Relative(tol, c) : tol,
                control,
                output
            );
        });

    /// <summary><c>tol · max(1, |value|)</c>.</summary>
    public static double Relative(double tol, double value) => tol * Math.Max(1, Math.Abs(value));
}
