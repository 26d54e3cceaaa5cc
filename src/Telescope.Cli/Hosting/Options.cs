using System.CommandLine;
using System.Globalization;
using Telescope.Studies;

namespace Telescope.Cli.Hosting;

/// <summary>Option shapes the CLI shares (values are parsed by the library's parameter descriptors).</summary>
public static class OptionParsing
{
    /// <summary>An option that takes one or more values per token.</summary>
    public static Option<string[]> Many(string name, string description) =>
        new(name) { Description = description, AllowMultipleArgumentsPerToken = true };
}
