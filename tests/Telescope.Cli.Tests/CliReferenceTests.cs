using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Telescope.Experiments.Studies;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// The CLI is a face: it reaches the engine (Core), the closed forms (Theory) and the figures (Plots) only through
/// the catalog layer (Telescope.Experiments). Read from the compiled assembly's type references, so a type used
/// under any spelling (a <c>using</c>, a full name, <c>var</c>) counts.
/// </summary>
public sealed class CliReferenceTests
{
    private static readonly string[] Behind =
    [
        "Telescope.Core",
        "Telescope.Theory",
        "Telescope.Plots",
    ];

    /// <summary>Every type <paramref name="assembly"/> references in an assembly of <paramref name="behind"/>, as <c>Assembly: Namespace.Type</c>.</summary>
    public static IReadOnlyList<string> TypesFrom(
        string assembly,
        IReadOnlyCollection<string> behind
    )
    {
        using var pe = new PEReader(File.OpenRead(assembly));
        var md = pe.GetMetadataReader();
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var h in md.TypeReferences)
        {
            var t = md.GetTypeReference(h);
            var name = md.GetString(t.Name);
            var scope = t.ResolutionScope;
            while (scope.Kind == HandleKind.TypeReference) // a nested type: its outermost declaring type's scope
            {
                var outer = md.GetTypeReference((TypeReferenceHandle)scope);
                name = md.GetString(outer.Name) + "+" + name;
                t = outer;
                scope = outer.ResolutionScope;
            }
            if (scope.Kind != HandleKind.AssemblyReference)
                continue;
            var asm = md.GetString(md.GetAssemblyReference((AssemblyReferenceHandle)scope).Name);
            if (behind.Contains(asm))
                found.Add($"{asm}: {md.GetString(t.Namespace)}.{name}");
        }
        return [.. found];
    }

    [Fact]
    public void TheCliUsesNoCoreTheoryOrPlotsTypeButThroughTheCatalogLayer()
    {
        var cli = typeof(TelescopeCli).Assembly.Location;
        var found = TypesFrom(cli, Behind);
        Assert.True(
            found.Count == 0,
            $"{Path.GetFileName(cli)} uses, besides Telescope.Experiments: {string.Join(", ", found)}"
        );
    }

    [Fact]
    public void TheCheckerFindsTheTypesTheCatalogLayerItselfUses()
    {
        // must-fail control: Telescope.Experiments is built on Core, Theory and Plots, so the same check reports them
        var found = TypesFrom(typeof(StudyCatalog).Assembly.Location, Behind);
        Assert.Contains("Telescope.Core: Telescope.Hosting.IStudy", found);
        Assert.Contains(found, f => f.StartsWith("Telescope.Theory: "));
        Assert.Contains(found, f => f.StartsWith("Telescope.Plots: "));
    }
}
