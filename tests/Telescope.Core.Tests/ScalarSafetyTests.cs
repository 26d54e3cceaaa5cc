using System.Text.RegularExpressions;

namespace Telescope.Core.Tests;

/// <summary>
/// TorchSharp 0.107 passes a temporary Scalar's raw handle to libtorch without keeping it alive, so an implicit
/// scalar (<c>t.square()</c> is <c>pow(t, 2)</c> with one; <c>t.sub(u)</c> and <c>t.add_(u)</c> carry α = 1) can be
/// finalised during the call: a double-descent run died at "INTERNAL ASSERT FAILED at c10/core/Scalar.h:279" inside
/// pow_Tensor_Scalar. The engine goes through <see cref="ScalarSafe"/> instead; these tests pin that the safe forms
/// give the same bits, and that the engine's sources use no implicit-scalar form on its hot paths.
/// </summary>
public sealed class ScalarSafetyTests
{
    [Fact]
    public void SafeFormsGiveTheSameBitsAsTheImplicitOnes()
    {
        using var scope = NewDisposeScope();
        var g = new Generator().manual_seed(3);
        var a = randn([257, 33], ScalarType.Float64, generator: g);
        var b = randn([257, 33], ScalarType.Float64, generator: g);
        Assert.True(a.Squared().eq(a.square()).all().item<bool>());
        Assert.True(a.Squared().eq(a.mul(a)).all().item<bool>());
        Assert.True(a.Minus(b).eq(a.sub(b)).all().item<bool>());
        Assert.True(a.Plus(b).eq(a.add(b)).all().item<bool>());
        Assert.True(a.Times(0.5).eq(a.mul(0.5)).all().item<bool>());
        Assert.True(a.PlusConst(1).eq(a.add(1)).all().item<bool>());
        Assert.True(a.GreaterThan(0.5).eq(a.gt(0.5)).all().item<bool>());
        Assert.False(a.Squared().eq(a.mul(b)).all().item<bool>()); // the control: a different product is told apart
    }

    [Fact]
    public void TheEngineUsesNoImplicitScalarFormsOnItsHotPaths()
    {
        var root = Telescope.Tests.Prerequisites.RepoPath("src", "Telescope.Core");
        var bad = new Regex(
            @"\.(square|sub|sub_)\(|\.(add|add_)\([a-zA-Z_][a-zA-Z0-9_]*(\[[^\]]*\])?\)|\.(gt|lt|mul|mul_|div_)\(-?[0-9]"
        );
        var hits = Directory
            .GetFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.EndsWith("ScalarSafe.cs"))
            .SelectMany(f =>
                File.ReadAllLines(f)
                    .Select((l, i) => (f, i, l))
                    .Where(x => bad.IsMatch(x.l) && !x.l.TrimStart().StartsWith("//"))
            )
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.l.Trim()}")
            .ToList();
        Assert.True(hits.Count == 0, string.Join("\n", hits));
        Assert.Matches(bad, "x.square()"); // the control: the pattern does catch the form that crashed
    }
}
