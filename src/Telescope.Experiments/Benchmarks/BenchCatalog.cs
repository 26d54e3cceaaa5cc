namespace Telescope.Experiments.Benchmarks;

/// <summary>Every bench, in listing order: adding one is its definition plus one line here.</summary>
public static class BenchCatalog
{
    /// <summary>The entries.</summary>
    public static IReadOnlyList<IBenchDefinition> All { get; } =
    [
        new TelescopingBenchDefinition(),
        new SoakBenchDefinition(),
        new NtkBenchDefinition(),
        new NtkLargeBenchDefinition(),
        new PeerBenchDefinition(),
        new BatchedRunsBenchDefinition(),
        new ReplayEnginesBenchDefinition(),
    ];
}
