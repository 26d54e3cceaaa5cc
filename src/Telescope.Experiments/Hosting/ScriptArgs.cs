using System.Globalization;
using Telescope.Experiments.Parameters;

namespace Telescope.Experiments.Hosting;

/// <summary>
/// An analysis script's arguments and the two things every script reads from them: an option's value (a default
/// when absent) and its output folder. One piece for every script host: <c>telescope script</c> gives a
/// <c>.csx</c> these as globals, and a .NET 10 file-based app writes <c>var opts = new ScriptArgs(args);</c>.
/// A name is a parameter name (<c>steps</c>); a spelled option (<c>--steps</c>) is read as the same name.
/// </summary>
/// <param name="args">The arguments after the script's file name.</param>
public sealed class ScriptArgs(string[] args)
{
    /// <summary>The arguments after the script's file name.</summary>
    public string[] Args { get; } = args;

    /// <summary>The value after option <paramref name="name"/>, or <paramref name="fallback"/> when it is absent.</summary>
    public string Option(string name, string fallback)
    {
        int i = Array.IndexOf(Args, ParameterNames.Option(ParameterNames.FromOption(name)));
        return i >= 0 && i + 1 < Args.Length ? Args[i + 1] : fallback;
    }

    /// <summary>An integer option; a value that does not parse is a <see cref="ParameterException"/> naming the option.</summary>
    public int Option(string name, int fallback) => Parsed(name, fallback, "an integer");

    /// <summary>A number option; a value that does not parse is a <see cref="ParameterException"/> naming the option.</summary>
    public double Option(string name, double fallback) => Parsed(name, fallback, "a number");

    private T Parsed<T>(string name, T fallback, string what)
        where T : IParsable<T> =>
        Option(name, (string?)null!) is { } s
            ? T.TryParse(s, CultureInfo.InvariantCulture, out var x)
                ? x
                : throw new ParameterException(
                    $"{ParameterNames.Option(ParameterNames.FromOption(name))}: '{s}' is not {what}"
                )
            : fallback;

    /// <summary>
    /// The output folder: option <c>out</c>, else <see cref="StudyHost.DefaultDir"/> of <c>analysis/NAME</c>
    /// (<c>out/analysis/NAME</c>); created.
    /// </summary>
    public string OutDir(string name)
    {
        var dir = Option("out", StudyHost.DefaultDir(Path.Combine("analysis", name)));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
