using Telescope.Experiments.Studies.Approximation;
using Telescope.Experiments.Studies.AttributionLadder;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Experiments.Studies.GbtVsNn;
using Telescope.Experiments.Studies.Grokking;
using Telescope.Experiments.Studies.Lmc;

namespace Telescope.Experiments.Studies;

/// <summary>
/// Every study that is a catalog entry, in listing order. A face enumerates this list: adding a study is its
/// folder plus one line here.
/// </summary>
public static class StudyCatalog
{
    /// <summary>The entries.</summary>
    public static IReadOnlyList<IStudyDefinition> All { get; } =
    [
        new ApproximationDefinition(),
        new GrokkingDefinition(),
        new DoubleDescentDefinition(),
        new GbtVsNnDefinition(),
        new LmcDefinition(),
        new AttributionLadderDefinition(),
    ];

    /// <summary>The entry named <paramref name="name"/>, or a <see cref="ParameterException"/> listing the names.</summary>
    public static IStudyDefinition Find(string name) =>
        All.FirstOrDefault(d => d.Name == name)
        ?? throw new ParameterException(
            $"unknown study '{name}' (catalog: {string.Join(", ", All.Select(d => d.Name))})"
        );
}
