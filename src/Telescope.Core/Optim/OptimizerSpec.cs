namespace Telescope.Optim;

/// <summary>The optimiser family. Each member states its update (PyTorch/TorchSharp semantics; spec §2.1).</summary>
public enum OptimizerKind
{
    /// <summary>SGD: <c>Δθ = −γ G′</c>, <c>G′ = G + λθ</c> (coupled L2 when λ &gt; 0).</summary>
    Sgd,

    /// <summary>Heavy-ball momentum (TorchSharp <c>SGD(momentum: μ)</c>, dampening 0): <c>v_t = μ v_{t−1} + G′</c>, <c>Δθ = −γ v_t</c>.</summary>
    Momentum,

    /// <summary>Nesterov momentum (TorchSharp <c>SGD(nesterov: true)</c>): <c>v_t = μ v_{t−1} + G′</c>, <c>Δθ = −γ (G′ + μ v_t)</c>.</summary>
    Nesterov,

    /// <summary>EMA momentum with bias correction (the paper's Eq. 11): <c>m_t = β₁m + (1−β₁)G′</c>, <c>Δθ = −γ m_t/(1−β₁ᵗ)</c>.</summary>
    EmaMomentum,

    /// <summary>Adam with coupled L2: <c>G′ = G + λθ</c>; <c>Δθ = −γ m_t /((1−β₁ᵗ) φ_t)</c>, <c>φ_t = √(v_t/(1−β₂ᵗ)) + ε</c>.</summary>
    Adam,

    /// <summary>AdamW, decoupled decay applied with θ_{t−1}: <c>Δθ = −γλθ − γ m_t /((1−β₁ᵗ) φ_t)</c>, m and v built from G.</summary>
    AdamW,
}

/// <summary>
/// An optimiser configuration (immutable). <see cref="LearningRate"/> is γ; the rate at step t is
/// <c>γ_t = γ·min(1, t/Warmup)</c> when <see cref="Warmup"/> &gt; 0 (spec A16).
/// </summary>
public sealed record OptimizerSpec(
    OptimizerKind Kind,
    double LearningRate,
    double WeightDecay = 0,
    double Momentum = 0.9,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    int Warmup = 0
)
{
    /// <summary>γ_t for step t = 1, 2, …</summary>
    public double RateAt(long t) =>
        Warmup > 0 ? LearningRate * Math.Min(1.0, (double)t / Warmup) : LearningRate;

    /// <summary>Check the ranges; returns the problems found (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            yield return $"learning rate must be a positive finite number, got {LearningRate}";
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay))
            yield return $"weight decay must be ≥ 0, got {WeightDecay}";
        if (
            Kind is OptimizerKind.Momentum or OptimizerKind.Nesterov
            && !(Momentum >= 0 && Momentum < 1)
        )
            yield return $"momentum must be in [0, 1), got {Momentum}";
        if (
            Kind is OptimizerKind.Adam or OptimizerKind.AdamW or OptimizerKind.EmaMomentum
            && !(Beta1 >= 0 && Beta1 < 1)
        )
            yield return $"beta1 must be in [0, 1), got {Beta1}";
        if (Kind is OptimizerKind.Adam or OptimizerKind.AdamW && !(Beta2 >= 0 && Beta2 < 1))
            yield return $"beta2 must be in [0, 1), got {Beta2}";
        if (Kind is OptimizerKind.Adam or OptimizerKind.AdamW && !(Epsilon > 0))
            yield return $"epsilon must be > 0, got {Epsilon}";
        if (Warmup < 0)
            yield return $"warm-up must be ≥ 0 steps, got {Warmup}";
    }

    /// <summary>A short name for tables: sgd, momentum, nesterov, ema, adam, adamw.</summary>
    public string Name =>
        Kind switch
        {
            OptimizerKind.Sgd => "sgd",
            OptimizerKind.Momentum => "momentum",
            OptimizerKind.Nesterov => "nesterov",
            OptimizerKind.EmaMomentum => "ema",
            OptimizerKind.Adam => "adam",
            _ => "adamw",
        };

    /// <summary>Every short name <see cref="ParseKind"/> accepts (besides the aliases heavy-ball and ema-momentum).</summary>
    public static readonly IReadOnlyList<string> ShortNames =
    [
        "sgd",
        "momentum",
        "nesterov",
        "ema",
        "adam",
        "adamw",
    ];

    /// <summary>Parse a short name (the inverse of <see cref="Name"/>).</summary>
    public static OptimizerKind ParseKind(string name) =>
        name.Trim().ToLowerInvariant() switch
        {
            "sgd" => OptimizerKind.Sgd,
            "momentum" or "heavy-ball" => OptimizerKind.Momentum,
            "nesterov" => OptimizerKind.Nesterov,
            "ema" or "ema-momentum" => OptimizerKind.EmaMomentum,
            "adam" => OptimizerKind.Adam,
            "adamw" => OptimizerKind.AdamW,
            _ => throw new ArgumentException(
                $"unknown optimizer '{name}': expected {string.Join(", ", ShortNames)}"
            ),
        };
}
