namespace Telescope.Optim;

/// <summary>
/// A learning-rate schedule: the rate at step t (1-based) as a multiple of the optimiser's rate at t
/// (γ, or γ·min(1, t/warm-up)): <c>γ_t = rate · m_k</c>, where k is the number of boundaries b with
/// <c>t &gt; b</c> and <c>m_0 = 1</c>. Constant has no boundaries; step decay puts a boundary at
/// <c>⌊f·T⌋</c> for each fraction f of the T steps. Stateless (a resumed run needs only t).
/// </summary>
public sealed class LearningRateSchedule
{
    private readonly long[] _boundaries;
    private readonly double[] _multipliers;

    private LearningRateSchedule(string name, long[] boundaries, double[] multipliers)
    {
        Name = name;
        _boundaries = boundaries;
        _multipliers = multipliers;
    }

    /// <summary>A short description for run.json and messages (for example <c>constant</c>, <c>step(4:0.1,6:0.01)</c>).</summary>
    public string Name { get; }

    /// <summary>The boundaries: after step <c>Boundaries[k]</c> the multiplier is <c>Multipliers[k + 1]</c>.</summary>
    public IReadOnlyList<long> Boundaries => _boundaries;

    /// <summary>The multipliers, <c>Multipliers[0] = 1</c>.</summary>
    public IReadOnlyList<double> Multipliers => _multipliers;

    /// <summary>The constant schedule: γ_t is the optimiser's rate.</summary>
    public static LearningRateSchedule Constant { get; } = new("constant", [], [1.0]);

    /// <summary>
    /// Step decay over <paramref name="steps"/> steps: after step <c>⌊fractions[k]·T⌋</c> the rate is
    /// <c>multipliers[k]</c> times the optimiser's rate (the multipliers are given, not computed, so
    /// <c>0.01</c> is 0.01 and not 0.1·0.1).
    /// </summary>
    public static LearningRateSchedule StepDecay(
        long steps,
        IReadOnlyList<double> fractions,
        IReadOnlyList<double> multipliers
    )
    {
        if (steps < 0)
            throw new ArgumentException($"steps must be ≥ 0, got {steps}");
        if (fractions.Count != multipliers.Count)
            throw new ArgumentException(
                $"step decay needs one multiplier per fraction, got {fractions.Count} fractions and {multipliers.Count} multipliers"
            );
        for (int k = 0; k < fractions.Count; k++)
        {
            if (!(fractions[k] >= 0 && fractions[k] <= 1))
                throw new ArgumentException($"fraction {fractions[k]} outside [0, 1]");
            if (k > 0 && fractions[k] < fractions[k - 1])
                throw new ArgumentException("step-decay fractions must be non-decreasing");
            if (!(multipliers[k] > 0) || double.IsInfinity(multipliers[k]))
                throw new ArgumentException(
                    $"multiplier {multipliers[k]} must be positive and finite"
                );
        }
        var boundaries = fractions.Select(f => (long)Math.Floor(f * steps)).ToArray();
        var name =
            "step("
            + string.Join(
                ",",
                boundaries.Zip(
                    multipliers,
                    (b, m) =>
                        $"{b}:{m.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}"
                )
            )
            + ")";
        return new(name, boundaries, [1.0, .. multipliers]);
    }

    /// <summary>Step decay by <paramref name="factor"/> at each fraction: multipliers factor, factor², … (by repeated multiplication).</summary>
    public static LearningRateSchedule StepDecay(
        long steps,
        IReadOnlyList<double> fractions,
        double factor
    )
    {
        var m = new double[fractions.Count];
        double x = 1;
        for (int k = 0; k < m.Length; k++)
            m[k] = x *= factor;
        return StepDecay(steps, fractions, m);
    }

    /// <summary>The multiplier at step <paramref name="t"/>.</summary>
    public double Multiplier(long t)
    {
        int k = 0;
        foreach (var b in _boundaries)
            if (t > b)
                k++;
        return _multipliers[k];
    }

    /// <summary>γ_t: <paramref name="rate"/> (the optimiser's rate at t) times the multiplier at t.</summary>
    public double RateAt(double rate, long t) => rate * Multiplier(t);

    /// <inheritdoc />
    public override string ToString() => Name;
}
