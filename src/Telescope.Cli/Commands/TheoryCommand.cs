using System.CommandLine;

namespace Telescope.Cli.Commands;

/// <summary><c>telescope theory</c>: closed forms against simulation (placeholder until the theory module lands).</summary>
public static class TheoryCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var cmd = new Command("theory", "Closed-form dynamics of layerwise linear models against simulation.");
        var list = new Command("list", "Name every result.");
        list.SetAction(_ => { Console.WriteLine("(no results yet)"); return 0; });
        cmd.Subcommands.Add(list);
        return cmd;
    }
}
