using System.CommandLine;
using Telescope.Experiments;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope theory list</c> names every result; <c>telescope theory &lt;name&gt; [--param key=value ...] [--out DIR]</c>
/// prints closed form against simulation with PASS/FAIL against the spec tolerance and writes
/// <c>&lt;name&gt;.csv</c> (tidy, theory columns), <c>&lt;name&gt;.html</c> (offline figure) and <c>run.json</c>
/// (default DIR: <c>out/theory/&lt;name&gt;</c>). Exit codes: 0 pass, 1 a check failed, 2 bad input (nothing written).
/// </summary>
public static class TheoryCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var cmd = new Command(
            "theory",
            "Closed-form dynamics of layerwise linear models against simulation (spec theory.md)."
        );
        var name = new Argument<string>("name")
        {
            Description = "A result name (see 'telescope theory list'), or 'list'.",
        };
        var param = new Option<string[]>("--param")
        {
            Description =
                "Override a parameter: key=value (repeatable; several may follow one --param).",
            AllowMultipleArgumentsPerToken = true,
        };
        var outDir = new Option<string?>("--out")
        {
            Description = "Output folder (default out/theory/<name>).",
        };
        cmd.Arguments.Add(name);
        cmd.Options.Add(param);
        cmd.Options.Add(outDir);
        cmd.SetAction(parse =>
        {
            try
            {
                string n = parse.GetValue(name)!;
                var ps = parse.GetValue(param) ?? [];
                if (n == "list")
                {
                    if (ps.Length > 0)
                        throw new UsageException("theory list: takes no --param");
                    TheoryRun.List(Console.Out);
                    return 0;
                }
                return TheoryRun.RunOne(n, ps, parse.GetValue(outDir), Console.Out);
            }
            catch (Exception e) when (e is UsageException or ArgumentException)
            {
                // bad input, one line (the library's ParameterException is an ArgumentException); handled here as
                // well as in TelescopeCli.Run: the default invocation pipeline catches exceptions itself
                Console.Error.WriteLine($"telescope: {e.Message}");
                return 2;
            }
        });
        return cmd;
    }
}
