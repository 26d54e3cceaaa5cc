namespace Telescope;

/// <summary>
/// How a parameter name is written where a user types it. The library speaks parameter names (<c>steps</c>,
/// <c>record-every</c>); the one command-line spelling, <c>--name</c>, is made here and nowhere else in the library,
/// so a message, a help text and the command line of a child process cannot drift apart. A rule test keeps every
/// other <c>"--name"</c> literal out of Core and Experiments.
/// </summary>
public static class ParameterNames
{
    /// <summary>The command line's prefix of an option.</summary>
    public const string OptionPrefix = "--";

    /// <summary>The command-line option of parameter <paramref name="name"/>: <c>steps</c> → <c>--steps</c>.</summary>
    public static string Option(string name) => OptionPrefix + name;

    /// <summary>The parameter an option names: <c>--steps</c> → <c>steps</c> (other text unchanged).</summary>
    public static string FromOption(string option) =>
        option.StartsWith(OptionPrefix, StringComparison.Ordinal)
            ? option[OptionPrefix.Length..]
            : option;
}
