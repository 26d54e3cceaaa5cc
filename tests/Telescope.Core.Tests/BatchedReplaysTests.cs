using Telescope.Counterfactual;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Training;
using Xunit;

namespace Telescope.Tests;

/// <summary>The batched replay engine (issue 27's many-runs seam) against replays one after another.</summary>
public class BatchedReplaysTests
{
    public static TheoryData<string> Rules => new() { "sgd", "momentum", "adam" };

    private static OptimizerSpec Rule(string r) =>
        r switch
        {
            "sgd" => new(OptimizerKind.Sgd, 0.1),
            "momentum" => new(OptimizerKind.Momentum, 0.05, Momentum: 0.9),
            _ => new(OptimizerKind.Adam, 0.01),
        };

    /// <summary>
    /// Every replay — nothing removed, one row, a pair, every other row (batches of 8 lose half their rows), in groups
    /// of 5 so that the list spans several tensor programs — gives the same f_T as
    /// <see cref="SequentialReplays"/> to 1e-12 relative. Control: the engine's outputs for neighbouring removals differ.
    /// </summary>
    [Theory]
    [MemberData(nameof(Rules))]
    public void BatchedReplaysEqualReplaysOneAfterAnother(string rule)
    {
        var (train, test) = CounterfactualTests.Task(40, 6, 5, 3, 11);
        var s = new ReplaySetup(new ModelSpec(Hidden: [7, 5]), train, test, Rule(rule), LossKind.CrossEntropy, 8, 2, 3, CheckpointEvery: 3);
        using var run = ReplayableRun.Record(s);
        var removals = new List<IReadOnlySet<int>> { new HashSet<int>() };
        removals.AddRange(Enumerable.Range(0, 12).Select(i => (IReadOnlySet<int>)new HashSet<int> { i * 3 }));
        removals.Add(new HashSet<int> { 1, 2 });
        removals.Add(Enumerable.Range(0, 40).Where(i => i % 2 == 0).ToHashSet());
        var seq = new SequentialReplays().Run(run, removals);
        var bat = new BatchedReplays(GroupSize: 5).Run(run, removals);
        double scale = seq.SelectMany(v => v).Max(Math.Abs);
        for (int j = 0; j < removals.Count; j++)
        for (int x = 0; x < test.Count; x++)
            Assert.True(Math.Abs(seq[j][x] - bat[j][x]) <= 1e-12 * scale, $"replay {j}, test {x}: {bat[j][x]:R} vs {seq[j][x]:R}");
        Assert.True(Enumerable.Range(0, test.Count).Max(x => Math.Abs(bat[1][x] - bat[2][x])) > 1e-9, "two different removals gave the same f_T");
    }

    [Fact]
    public void BatchedReplaysRefuseANonMlpInOneLine()
    {
        var (train, test) = CounterfactualTests.Task(12, 2, 4, 3, 1);
        var s = new ReplaySetup(new ModelSpec(ModelKind.Linear, Hidden: [6]), train, test, new OptimizerSpec(OptimizerKind.Sgd, 0.1), LossKind.CrossEntropy, 4, 1, 1);
        using var run = ReplayableRun.Record(s);
        var e = Assert.Throws<ArgumentException>(() => new BatchedReplays().Run(run, [new HashSet<int> { 0 }]));
        Assert.Contains("MLP", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
