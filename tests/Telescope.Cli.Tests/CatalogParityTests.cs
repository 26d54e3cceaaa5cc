using System.CommandLine;
using Microsoft.FSharp.Collections;
using Telescope.Cli.Commands;
using Telescope.Experiments.Studies;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// For every catalog study, the command line and the F# face are two spellings of one entry: the same parameter
/// names (the CLI adds only its host options), and the same dry-run answer for the same values.
/// </summary>
public sealed class CatalogParityTests
{
    private static readonly string[] HostOptions =
    [
        "--out",
        "--threads",
        "--parallel",
        "--checkpoint-every",
        "--resume",
        "--replace",
        "--dry-run",
        "--help",
        "--verbose",
    ];

    public static TheoryData<string> Studies => new(StudyCatalog.All.Select(d => d.Name));

    private static Command CliCommand(string study) =>
        TelescopeCli
            .Build()
            .Subcommands.Single(c => c.Name == "study")
            .Subcommands.Single(c => c.Name == study);

    [Xunit.Theory]
    [MemberData(nameof(Studies))]
    public void TheCliAndTheFSharpFaceTakeTheSameParameters(string study)
    {
        var cli = CliCommand(study)
            .Options.Select(o => o.Name)
            .Where(n => !HostOptions.Contains(n) && !n.StartsWith("-?"))
            .Order(StringComparer.Ordinal)
            .ToList();
        var fsharp = Telescope
            .FSharp.Study.parametersOf(study)
            .Select(p => "--" + p.Item1)
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(fsharp, cli);
        Assert.NotEmpty(cli);
    }

    public static TheoryData<string, string> Values =>
        new()
        {
            { "approximation", "" },
            { "approximation", "seed=0..2 optimizer=sgd,adam lr=0.1" },
            { "approximation", "lr=0.5 steps=7" },
            { "grokking", "" },
            { "grokking", "task=mnist alpha=5,6,7 seed=0,1" },
            { "double-descent", "" },
            { "double-descent", "preset=valid" },
            { "double-descent", "preset=full width=2,4 seed=3..5" },
        };

    [Xunit.Theory]
    [MemberData(nameof(Values))]
    public void TheCliAndTheFSharpFaceAnswerTheSameDryRun(string study, string values)
    {
        var pairs = values
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(kv => (kv[..kv.IndexOf('=')], kv[(kv.IndexOf('=') + 1)..]))
            .ToList();
        var (code, stdout, stderr) = Repo.Cli([
            "study",
            study,
            .. pairs.SelectMany(p => new[] { "--" + p.Item1, p.Item2 }),
            "--dry-run",
        ]);
        Assert.True(code == 0, stdout + stderr);
        var size = Telescope.FSharp.Study.dryRun(
            study,
            ListModule.OfSeq(pairs.Select(p => Tuple.Create(p.Item1, p.Item2)))
        );
        Assert.Equal($"valid: study {study}, {size}", stdout.Trim());
    }
}
