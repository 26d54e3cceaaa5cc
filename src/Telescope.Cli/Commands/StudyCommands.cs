using System.CommandLine;
using Telescope.Cli.Hosting;
using Telescope.Experiments.Parameters;
using Telescope.Experiments.Studies;

namespace Telescope.Cli.Commands;

/// <summary>
/// One command per catalog entry, generated: an option <c>--name</c> per parameter (help and default from the
/// library), the host options, and an action that hands the given values, as text, to the definition.
/// </summary>
public static class StudyCommands
{
    /// <summary>The command of <paramref name="d"/>.</summary>
    public static Command For(IStudyDefinition d)
    {
        var c = new Command(d.Name, d.Summary);
        var host = new StudyCommand.Common(d.Name);
        host.AddHostTo(c);
        var options = Add(c, d.Parameters);
        c.SetAction(r =>
        {
            var plan = d.Plan(Values(r, options), m => Console.Error.WriteLine($"telescope: {m}"));
            return StudyFace.RunAndReport(d, plan, host, r);
        });
        return c;
    }

    /// <summary>A command <paramref name="name"/> whose sub-commands are <paramref name="commands"/>.</summary>
    public static Command Group(string name, string description, IEnumerable<Command> commands)
    {
        var group = new Command(name, description);
        foreach (var c in commands)
            group.Subcommands.Add(c);
        return group;
    }

    /// <summary>Add an option per parameter to <paramref name="c"/>; returns them, paired with their parameters.</summary>
    public static IReadOnlyList<(IParameter p, Option o)> Add(
        Command c,
        IEnumerable<IParameter> parameters
    )
    {
        var options = parameters.Select(p => (p, o: OptionFor(p))).ToList();
        foreach (var (_, o) in options)
            c.Options.Add(o);
        return options;
    }

    /// <summary>The parameters given on the command line (name → text); the others keep the library's defaults.</summary>
    public static List<KeyValuePair<string, string>> Values(
        ParseResult r,
        IEnumerable<(IParameter p, Option o)> options
    ) =>
        options
            .Where(x => r.GetResult(x.o) is { Implicit: false })
            .Select(x => new KeyValuePair<string, string>(x.p.Name, Text(r, x.o)))
            .ToList();

    private static Option OptionFor(IParameter p) =>
        p.Kind switch
        {
            ParameterKind.Flag => new Option<bool>(ParameterNames.Option(p.Name))
            {
                Description = p.Help,
            },
            _ when p.IsList => WithoutOptionTokens(
                new Option<string[]>(ParameterNames.Option(p.Name))
                {
                    Description = p.Help,
                    AllowMultipleArgumentsPerToken = true,
                }
            ),
            _ => new Option<string>(ParameterNames.Option(p.Name)) { Description = p.Help },
        };

    /// <summary>
    /// A list option takes the tokens after it; one that looks like an option (<c>--lr 0.1 --no-such 1</c>) is the
    /// user's unknown option, reported as such (with the nearest name), not as a bad value of the list.
    /// </summary>
    private static Option<string[]> WithoutOptionTokens(Option<string[]> o)
    {
        o.Validators.Add(result =>
        {
            foreach (var t in result.Tokens)
                if (t.Value.StartsWith("--", StringComparison.Ordinal))
                    result.AddError($"Unrecognized command or argument '{t.Value}'");
        });
        return o;
    }

    private static string Text(ParseResult r, Option o) =>
        o switch
        {
            Option<bool> b => r.GetValue(b) ? "true" : "false",
            Option<string[]> m => string.Join(",", r.GetValue(m) ?? []),
            Option<string> s => r.GetValue(s) ?? "",
            _ => throw new InvalidOperationException(o.Name),
        };
}
