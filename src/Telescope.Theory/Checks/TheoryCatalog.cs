using System.Globalization;

namespace Telescope.Theory.Checks;

/// <summary>
/// The catalog of theory checks: every check, in listing order, with the validation of its parameters and the
/// pass/fail rule. Faces (the <c>telescope theory</c> command, the F# <c>Theory</c> module) only enumerate it.
/// </summary>
public static class TheoryCatalog
{
    /// <summary>Every check, in listing order. Adding a check is its file plus one line here.</summary>
    public static IReadOnlyList<ITheoryCheck> All { get; } =
    [
        new SigmoidCheck(),
        new GammaPlusCheck(),
        new MultilinearCheck(),
        new ScalingCheck(),
        new EmergenceCheck(),
        new DcShotCheck(),
        new ConservationCheck(),
        new MinNormCheck(),
        new NeuralCollapseCheck(),
        new Parity3Check(),
        new LinearCheck(),
    ];

    /// <summary>Find a check by name or throw a <see cref="ParameterException"/> listing the names.</summary>
    public static ITheoryCheck Find(string name) =>
        All.FirstOrDefault(r => r.Name == name)
        ?? throw new ParameterException(
            $"theory: unknown result '{name}' (known: {string.Join(", ", All.Select(r => r.Name))})"
        );

    /// <summary>
    /// The check's defaults with <c>key=value</c> overrides applied: unknown key, non-number, non-integer where an
    /// integer is needed, or a value outside the theorem's range → <see cref="ParameterException"/> naming it.
    /// </summary>
    public static Dictionary<string, double> Validate(
        ITheoryCheck check,
        IEnumerable<string> overrides
    )
    {
        var values = Defaults(check);
        foreach (var kv in overrides)
        {
            int eq = kv.IndexOf('=');
            if (eq <= 0)
                throw new ParameterException(
                    $"theory {check.Name}: --param '{kv}' is not of the form key=value"
                );
            string key = kv[..eq].Trim(),
                text = kv[(eq + 1)..].Trim();
            var spec = Spec(check, key);
            if (
                !double.TryParse(
                    text,
                    NumberStyles.Float,
                    CultureInfo.InvariantCulture,
                    out double v
                )
            )
                v = double.NaN;
            values[key] = Checked(check, spec, "--param ", text, v);
        }
        return values;
    }

    /// <summary>The check's defaults with numeric overrides applied, validated as <see cref="Validate(ITheoryCheck, IEnumerable{string})"/>.</summary>
    public static Dictionary<string, double> Validate(
        ITheoryCheck check,
        IEnumerable<KeyValuePair<string, double>> overrides
    )
    {
        var values = Defaults(check);
        foreach (var (key, v) in overrides)
            values[key] = Checked(check, Spec(check, key), "", ParamSpec.Fmt(v), v);
        return values;
    }

    /// <summary>Every parameter at its default.</summary>
    public static Dictionary<string, double> Defaults(ITheoryCheck check) =>
        check.Parameters.ToDictionary(p => p.Name, p => p.Default);

    private static ParamSpec Spec(ITheoryCheck check, string key) =>
        check.Parameters.FirstOrDefault(p => p.Name == key)
        ?? throw new ParameterException(
            $"theory {check.Name}: unknown parameter '{key}' (known: {string.Join(", ", check.Parameters.Select(p => p.Name))})"
        );

    private static double Checked(
        ITheoryCheck check,
        ParamSpec spec,
        string prefix,
        string text,
        double v
    )
    {
        string what = $"theory {check.Name}: {prefix}{spec.Name}={text}";
        if (!double.IsFinite(v))
            throw new ParameterException($"{what} is not a number");
        if (spec.Integer && v != Math.Round(v))
            throw new ParameterException($"{what} must be an integer");
        if (!spec.Contains(v))
            throw new ParameterException(
                $"{what} is outside the theorem's range ({spec.Range}: {spec.Description})"
            );
        return v;
    }

    /// <summary>
    /// Run a check at validated values; a premise the check's closed forms do not cover (an
    /// <see cref="ArgumentException"/> of the library) becomes a one-line <see cref="ParameterException"/>.
    /// </summary>
    public static TheoryReport Compute(
        ITheoryCheck check,
        IReadOnlyDictionary<string, double> values
    )
    {
        try
        {
            return check.Run(values);
        }
        catch (ArgumentException e) when (e is not ParameterException)
        {
            throw new ParameterException($"theory {check.Name}: {FirstLine(e.Message)}", e);
        }
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Split(" (Parameter")[0].Trim();

    /// <summary>
    /// Whether a report passes: every closed-form row is accepted, and every must-fail control quantity has at least one
    /// rejected row (a control the check accepts everywhere means the check cannot tell right from wrong); a control
    /// with coordinates (<see cref="Comparison.Claim"/>) must be rejected at each of them.
    /// </summary>
    public static bool Passes(TheoryReport report) =>
        report.Rows.Where(x => !x.Control).All(x => x.Accepted)
        && report
            .Rows.Where(x => x.Control)
            .GroupBy(x => x.Claim)
            .All(g => g.Any(x => !x.Accepted));
}
