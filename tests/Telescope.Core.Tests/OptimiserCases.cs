namespace Telescope.Tests;

/// <summary>
/// The eight optimiser settings the exactness tests run every one of (T2 for the telescoping recorder, T3 for the
/// smoother), declared once: plain, with weight decay, heavy-ball, Nesterov, EMA momentum, Adam and AdamW.
/// </summary>
public static class OptimiserCases
{
    /// <summary>Every setting's name, as <c>[MemberData(nameof(OptimiserCases.All), MemberType = typeof(OptimiserCases))]</c> rows.</summary>
    public static TheoryData<string> All =>
        new() { "sgd", "sgd+wd", "momentum", "momentum+wd", "nesterov", "ema", "adam", "adamw" };

    /// <summary>The setting named <paramref name="name"/>; AdamW's learning-rate warm-up is <paramref name="adamwWarmup"/> steps.</summary>
    public static OptimizerSpec Spec(string name, int adamwWarmup = 0) =>
        name switch
        {
            "sgd" => new(OptimizerKind.Sgd, 0.05),
            "sgd+wd" => new(OptimizerKind.Sgd, 0.05, WeightDecay: 0.1),
            "momentum" => new(OptimizerKind.Momentum, 0.02),
            "momentum+wd" => new(OptimizerKind.Momentum, 0.02, WeightDecay: 0.1),
            "nesterov" => new(OptimizerKind.Nesterov, 0.02),
            "ema" => new(OptimizerKind.EmaMomentum, 0.05),
            "adam" => new(OptimizerKind.Adam, 0.01, WeightDecay: 0.01),
            _ => new(OptimizerKind.AdamW, 0.01, WeightDecay: 0.1, Beta2: 0.99, Warmup: adamwWarmup),
        };
}
