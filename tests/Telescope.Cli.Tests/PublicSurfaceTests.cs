using System.Reflection;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The listed public surface: docs/public-surface.txt declares, per library assembly, every public type a script or
/// package user may touch (one <c>Assembly: Namespace.Type</c> line each). A public type that is not listed fails with
/// its name (list it there, or make it internal), and so does a listed type that is gone or internal. Each check has a
/// must-fail control.
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
        var unlisted = Unlisted(Actual(), Listed());
        Assert.True(
            unlisted.Count == 0,
            $"{unlisted.Count} public type(s) not in docs/public-surface.txt (list them there, or make them internal):\n"
                + string.Join("\n", unlisted)
        );
    }

    [Fact]
    public void EveryListedTypeIsPublic()
    {
        var gone = Gone(Listed(), Actual());
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
        var listed = Listed().Where(l => l != dropped).ToList();
        Assert.Equal([dropped], Unlisted(actual, listed));
    }

    [Fact]
    public void TheCheckFindsAListedTypeThatIsInternal()
    {
        // must-fail control: a list naming a real internal type (one made internal by the split) reports that type
        var core = Assembly.Load(new AssemblyName("Telescope.Core"));
        var hidden = core.GetType(
            "Telescope.Telescoping.TrajectoryCheckpoint",
            throwOnError: true
        )!;
        Assert.False(hidden.IsPublic);
        var line = $"Telescope.Core: {hidden.FullName}";
        Assert.Equal([line], Gone([.. Listed(), line], Actual()));
    }

    [Fact]
    public void OnlyTestsSeeALibrarysInternals()
    {
        var grants = Libraries
            .SelectMany(a =>
                Assembly
                    .Load(new AssemblyName(a))
                    .GetCustomAttributes<System.Runtime.CompilerServices.InternalsVisibleToAttribute>()
                    .Select(g => $"{a} -> {g.AssemblyName}")
            )
            .ToList();
        Assert.Contains("Telescope.Core -> Telescope.Core.Tests", grants);
        var strays = NotToTests(grants);
        Assert.True(
            strays.Count == 0,
            "internals granted to a non-test assembly:\n" + string.Join("\n", strays)
        );
        // must-fail control: a grant to a face is reported
        Assert.Equal(
            ["Telescope.Core -> telescope"],
            NotToTests([.. grants, "Telescope.Core -> telescope"])
        );
    }

    /// <summary>The grants (<c>library -> friend</c>) whose friend is not a test project.</summary>
    public static IReadOnlyList<string> NotToTests(IEnumerable<string> grants) =>
        grants.Where(g => !g.EndsWith(".Tests", StringComparison.Ordinal)).ToList();

    /// <summary>The public types the list does not name.</summary>
    public static IReadOnlyList<string> Unlisted(
        IReadOnlyList<string> actual,
        IReadOnlyList<string> listed
    )
    {
        var set = listed.ToHashSet(StringComparer.Ordinal);
        return actual.Where(t => !set.Contains(t)).ToList();
    }

    /// <summary>The listed types that are not public.</summary>
    public static IReadOnlyList<string> Gone(
        IReadOnlyList<string> listed,
        IReadOnlyList<string> actual
    )
    {
        var set = actual.ToHashSet(StringComparer.Ordinal);
        return listed.Where(t => !set.Contains(t)).ToList();
    }
}
