namespace Telescope.Theory.Checks;

/// <summary>What one run of a check at one parameter set came to.</summary>
public enum TheoryOutcome
{
    /// <summary>Every claim accepted, every must-fail control rejected.</summary>
    Pass,

    /// <summary>A claim row rejected: the closed form and the simulation disagree beyond the tolerance.</summary>
    Fail,

    /// <summary>
    /// Every claim accepted, but a must-fail control accepted on all its rows and not declared uninformative by the
    /// check: the check cannot tell the wrong form from the right one here and does not say so.
    /// </summary>
    ControlNotRejected,

    /// <summary>
    /// Every claim accepted; a must-fail control that cannot be told apart from the claim at these parameters was
    /// declared so by the check (<see cref="TheoryReport.Uninformative"/>), every other control rejected.
    /// </summary>
    ControlNotInformative,

    /// <summary>The parameter set lies outside a premise of the check (a <see cref="ParameterException"/>).</summary>
    Refused,
}

/// <summary>
/// Draws parameter sets uniformly from a check's declared ranges and classifies the outcome of the check there: the
/// instrument behind the claim "every check passes on every parameter set inside its declared range".
/// </summary>
public static class TheorySampler
{
    /// <summary>
    /// One parameter set: an integer parameter uniform over the integers of [Min, Max], a real one uniform on
    /// [Min, Max]. Draws are taken in the order of <see cref="ITheoryCheck.Parameters"/>, so a seed gives one sequence.
    /// </summary>
    public static Dictionary<string, double> Draw(ITheoryCheck check, Random rng)
    {
        var values = new Dictionary<string, double>();
        foreach (var p in check.Parameters)
            values[p.Name] = p.Integer
                ? Math.Floor(p.Min)
                    + rng.NextInt64((long)(Math.Floor(p.Max) - Math.Floor(p.Min)) + 1)
                : p.Min + (p.Max - p.Min) * rng.NextDouble();
        return values;
    }

    /// <summary><paramref name="n"/> parameter sets from the seed (<see cref="Draw"/> in sequence).</summary>
    public static IReadOnlyList<Dictionary<string, double>> Draws(
        ITheoryCheck check,
        int n,
        int seed
    )
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Draw(check, rng)).ToList();
    }

    /// <summary>The outcome of a report (see <see cref="TheoryOutcome"/>).</summary>
    public static TheoryOutcome Outcome(TheoryReport report)
    {
        if (!report.Rows.Where(x => !x.Control).All(x => x.Accepted))
            return TheoryOutcome.Fail;
        bool silent = report
            .Rows.Where(x => x.Control)
            .GroupBy(x => x.Claim)
            .Any(g => g.All(x => x.Accepted));
        if (silent)
            return TheoryOutcome.ControlNotRejected;
        return report.Uninformative is { Count: > 0 }
            ? TheoryOutcome.ControlNotInformative
            : TheoryOutcome.Pass;
    }

    /// <summary>Validate, run and classify one parameter set (a premise refusal is <see cref="TheoryOutcome.Refused"/>).</summary>
    public static (TheoryOutcome Outcome, TheoryReport? Report, string? Refusal) Run(
        ITheoryCheck check,
        IReadOnlyDictionary<string, double> values
    )
    {
        try
        {
            var v = TheoryCatalog.Validate(check, values);
            var report = TheoryCatalog.Compute(check, v);
            return (Outcome(report), report, null);
        }
        catch (ParameterException e)
        {
            return (TheoryOutcome.Refused, null, e.Message);
        }
    }
}
