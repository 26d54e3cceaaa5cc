using System.Reflection;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The listed public surface: docs/public-surface.txt declares, per library assembly, every public type a script or
/// package user may touch (one <c>Assembly: Namespace.Type</c> line each). A public type that is not listed fails with
/// its name (list it there, or make it internal), and so does a listed type that is gone.
/// </summary>
public sealed class PublicSurfaceTests
{
    /// <summary>The library's assemblies (the faces' own, the CLI's, are not library surface).</summary>
    public static readonly string[] Libraries =
    [
        "Telescope.Schema",
        "Telescope.Core",
        "Telescope.Frames",
        "Telescope.Frames.Parquet",
        "Telescope.Theory",
        "Telescope.Plots",
        "Telescope.Experiments",
        "Telescope.FSharp",
    ];

    private static readonly string ListFile = Repo.Path_("docs", "public-surface.txt");

    /// <summary>Every public (exported) type of the libraries, as list lines, sorted.</summary>
    public static IReadOnlyList<string> Actual() =>
        Libraries
            .SelectMany(a =>
                Assembly
                    .Load(new AssemblyName(a))
                    .GetExportedTypes()
                    .Select(t => $"{a}: {t.FullName!.Replace('+', '.')}")
            )
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>The declared list's lines (blank lines and <c>#</c> comments skipped).</summary>
    public static IReadOnlyList<string> Listed() =>
        File.ReadLines(ListFile)
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

    [Fact]
    public void EveryPublicTypeIsListed()
    {
        var listed = Listed().ToHashSet(StringComparer.Ordinal);
        var unlisted = Actual().Where(t => !listed.Contains(t)).ToList();
        Assert.True(
            unlisted.Count == 0,
            $"{unlisted.Count} public type(s) not in docs/public-surface.txt (list them there, or make them internal):\n"
                + string.Join("\n", unlisted)
        );
    }

    [Fact]
    public void EveryListedTypeIsPublic()
    {
        var actual = Actual().ToHashSet(StringComparer.Ordinal);
        var gone = Listed().Where(t => !actual.Contains(t)).ToList();
        Assert.True(
            gone.Count == 0,
            $"{gone.Count} type(s) in docs/public-surface.txt are not public (any more): remove them from the list:\n"
                + string.Join("\n", gone)
        );
    }

    [Fact]
    public void TheCheckFindsAnUnlistedType()
    {
        // must-fail control: a list without one real public type reports that type
        var actual = Actual();
        var dropped = actual.First(t => t.StartsWith("Telescope.Core: ", StringComparison.Ordinal));
        var listed = Listed().Where(l => l != dropped).ToHashSet(StringComparer.Ordinal);
        Assert.Contains(dropped, actual.Where(t => !listed.Contains(t)));
    }
}
