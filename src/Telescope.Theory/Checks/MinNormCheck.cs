using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary>
/// <c>min-norm</c>: R4, gradient flow from zero init reaches F⁺y; from w(0) ≠ 0 it keeps the null-space part. The claim
/// is the public builder <see cref="Flow"/> over a <see cref="MinNormProblem"/>; <see cref="Run"/> composes it.
/// </summary>
internal sealed class MinNormCheck : ITheoryCheck
{
    public string Name => "min-norm";

    public string Summary =>
        "R4 (+R27 end point): gradient flow on over-parameterised least squares reaches F+y from zero init, F+y + (I - F+F) w(0) otherwise";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("n", 5, 1, 10, "samples (rows of F)", Integer: true),
        new("p", 9, 5, 40, "features (p >= n + 4)", Integer: true),
        new("init_sd", 0.5, 0.01, 2, "standard deviation of the non-zero init"),
        new("seed", 3, 0, 1_000_000, "seed", Integer: true),
    ];

    /// <summary>Points of the trajectory grid on [0, horizon].</summary>
    public const int Points = 40;

    /// <summary>The premise the check adds to R4's p &gt; n: p ≥ n + this (well conditioned, so RK4 stays cheap).</summary>
    public const int ExtraFeatures = 4;

    /// <summary>The two problems of the values: zero init and Gaussian init (init_sd), same seeded F and y.</summary>
    public static (MinNormProblem Zero, MinNormProblem Random) ProblemsOf(
        IReadOnlyDictionary<string, double> p
    )
    {
        int n = (int)p["n"],
            width = (int)p["p"],
            seed = (int)p["seed"];
        if (width < n + ExtraFeatures)
            throw new ArgumentException(
                $"p = {width} must be at least n + 4 = {n + 4}: over-parameterised (R4 needs p > n) and well conditioned, since RK4 to the horizon 30/lambda_min costs about 1500*kappa(FF') steps"
            );
        return (
            MinNormProblem.Random(n, width, 0.0, seed),
            MinNormProblem.Random(n, width, p["init_sd"], seed)
        );
    }

    /// <summary>
    /// R4 rows of one problem, from one RK4 run: the closed-form trajectory w(t) on <see cref="Points"/> intervals of
    /// the horizon 30/λ_min, the end point F⁺y + (I − F⁺F)w(0) at the horizon, and the must-fail control F⁺y for the
    /// same end point (rejected when w(0) has a null-space part).
    /// </summary>
    internal sealed record FlowRows(
        IReadOnlyList<Comparison> Trajectory,
        IReadOnlyList<Comparison> EndPoint,
        IReadOnlyList<Comparison> PinvControl
    );

    /// <inheritdoc cref="FlowRows"/>
    public static FlowRows Flow(MinNormProblem pr, string tag)
    {
        int width = pr.W0.Count;
        var cf = MinNorm.Trajectory(pr);
        var sim = MinNorm.Simulate(pr);
        double h = MinNorm.Horizon(pr);
        var trajectory = new List<Comparison>();
        foreach (var t in Rows.Grid(h, Points))
        {
            var wc = cf(t);
            var ws = sim(t);
            for (int i = 0; i < width; i++)
                trajectory.Add(new Comparison("w_" + tag, t, wc[i], ws[i], 1e-8, Output: i + 1));
        }
        var end = MinNorm.EndPoint(pr);
        var wsEnd = sim(h);
        var pinv = MinNorm.PseudoInverseSolution(pr);
        return new FlowRows(
            trajectory,
            Enumerable
                .Range(0, width)
                .Select(i => new Comparison("w_inf_" + tag, i + 1, end[i], wsEnd[i], 1e-8))
                .ToList(),
            Enumerable
                .Range(0, width)
                .Select(i => new Comparison(
                    "control_pinv_with_nonzero_init",
                    i + 1,
                    pinv[i],
                    wsEnd[i],
                    1e-8,
                    true
                ))
                .ToList()
        );
    }

    /// <inheritdoc/>
    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        var (zero, rand) = ProblemsOf(p);
        var rows = new List<Comparison>();
        foreach (var (pr, tag) in new[] { (zero, "zero_init"), (rand, "random_init") })
        {
            var flow = Flow(pr, tag);
            rows.AddRange(flow.Trajectory);
            rows.AddRange(flow.EndPoint);
            if (pr == rand)
                rows.AddRange(flow.PinvControl);
        }
        return new TheoryReport(
            rows,
            "t (units of eta*steps); w_inf rows: coordinate index",
            [(int)p["seed"]],
            "synthetic: seeded Gaussian F (n x p), y",
            [$"horizon 30/(smallest non-zero eigenvalue of F'F/n) = {MinNorm.Horizon(zero):G6}"]
        );
    }
}
