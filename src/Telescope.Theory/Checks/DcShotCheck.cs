using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>dc-shot</c>: R27, the D_c-shot learner — E[R]/S = d/D_c (reading A), E[L], Beta law; reading B as control. The
/// claims are the public builders <see cref="Shots"/>, <see cref="DataEmergence"/> and <see cref="Layerwise"/>;
/// <see cref="Run"/> composes them over one seeded generator.
/// </summary>
public sealed class DcShotCheck : ITheoryCheck
{
    public string Name => "dc-shot";

    public string Summary =>
        "R27: D_c-shot learner, min-norm fit per skill: E[R_k]/S = d_k/D_c (reading A; thesis Eq 5.5 reading B is the control), E[L_k], Beta variance, layerwise GD end point";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("D_c", 20, 2, 40, "basis functions per skill", Integer: true),
        new("S", 5, 0.2, 10, "target scale"),
        new("trials", 400, 100, 5000, "Monte Carlo trials per d", Integer: true),
        new(
            "bits",
            0,
            0,
            1,
            "design: 0 = Gaussian, 1 = parity + independent +-1 bits",
            Integer: true
        ),
        new("seed", 1, 0, 1_000_000, "seed", Integer: true),
    ];

    /// <summary>The sizes D of the data-emergence rows.</summary>
    public static readonly IReadOnlyList<int> DataSizes = [50, 100, 200, 300, 400, 600, 800];

    /// <summary>Skill frequency of the data-emergence rows.</summary>
    public const double DataFrequency = 0.05;

    /// <summary>The design of the values: 0 = Gaussian, 1 = parity + independent ±1 bits.</summary>
    public static DcShotDesign DesignOf(IReadOnlyDictionary<string, double> p) =>
        p["bits"] == 1 ? DcShotDesign.Bits : DcShotDesign.Gaussian;

    /// <summary>
    /// R27 rows for d = 1 .. D_c + 2 from <paramref name="trials"/> min-norm fits each (nested: the fit at d uses
    /// the first d rows of a trial's D_c + 2, <see cref="DcShot.SimulateNested"/>; drawn from <paramref name="rng"/>,
    /// which the rows advance): E[R]/S (reading A), E[L], the Beta variance (Gaussian design,
    /// d &lt; D_c), and the must-fail control reading B (d &lt; D_c); tolerance 4 standard errors.
    /// </summary>
    public static IReadOnlyList<Comparison> Shots(
        int dc,
        double s,
        int trials,
        DcShotDesign design,
        Rng rng
    )
    {
        var rows = new List<Comparison>();
        var nested = DcShot.SimulateNested(dc + 2, dc, s, trials, design, rng);
        for (int d = 1; d <= dc + 2; d++)
        {
            var fits = nested[d - 1];
            var r = fits.Select(f => f.StrengthOverS).ToArray();
            var l = fits.Select(f => f.Loss).ToArray();
            double mr = r.Average(),
                ml = l.Average();
            double varClosed = DcShot.StrengthVariance(d, dc);
            double sampleVar = r.Sum(x => (x - mr) * (x - mr)) / (trials - 1);
            // 4 standard errors: from the closed-form (Beta) variance for the Gaussian design, from the sample otherwise
            double seR = Math.Sqrt(
                (design == DcShotDesign.Gaussian ? varClosed : sampleVar) / trials
            );
            double seL = Math.Sqrt(l.Sum(x => (x - ml) * (x - ml)) / (trials - 1) / trials);
            // ±1 rows can be dependent: the expectation is E[rank]/D_c (the trials' mean rank), not min(d, D_c)/D_c
            double strength =
                design == DcShotDesign.Gaussian
                    ? DcShot.ExpectedStrength(d, dc)
                    : DcShot.ExpectedStrengthGivenRank(fits.Average(f => f.Rank), dc);
            // ±1 design: E[R/S | rank] = rank/D_c holds over the trials, not per trial; when every trial gives the
            // same R (sample variance 0) the few rank-deficient trials are the only spread, so their count k adds its
            // Poisson resolution 4√k/(D_c·trials) (0 for the Gaussian design, whose rank is always min(d, D_c))
            int deficient = fits.Count(f => f.Rank < Math.Min(d, dc));
            double rankRes = 4 * Math.Sqrt(deficient) / ((double)dc * trials);
            rows.Add(new Comparison("mean_R_over_S", d, strength, mr, 4 * seR + rankRes + 1e-9));
            rows.Add(
                new Comparison(
                    "mean_L",
                    d,
                    0.5 * s * s * (1 - strength),
                    ml,
                    4 * seL + 0.5 * s * s * rankRes + 1e-9 * s * s
                )
            );
            if (design == DcShotDesign.Gaussian && d < dc)
            {
                double m4 = r.Sum(x => Math.Pow(x - mr, 4)) / trials;
                double seVar = Math.Sqrt(Math.Max(0, m4 - sampleVar * sampleVar) / trials);
                rows.Add(
                    new Comparison("var_R_over_S", d, varClosed, sampleVar, 4 * seVar + 1e-12)
                );
            }
            if (d < dc)
                rows.Add(
                    new Comparison(
                        "control_mean_R_over_S_reading_B",
                        d,
                        DcShot.StrengthReadingB(d, dc),
                        mr,
                        4 * seR + 1e-9,
                        true
                    )
                );
        }
        return rows;
    }

    /// <summary>
    /// Data emergence in D (skill frequency <see cref="DataFrequency"/>): the binomial mixture E_D[R/S] against
    /// min(trials, 400) Monte Carlo fits per D of <see cref="DataSizes"/>, 4 standard errors of the mixture (the larger
    /// of the closed-form and the sample's: rare trials with d &lt; D_c at large D are Poisson, not normal).
    /// </summary>
    public static IReadOnlyList<Comparison> DataEmergence(int dc, int trials, Rng rng)
    {
        var rows = new List<Comparison>();
        double pk = DataFrequency;
        foreach (int dd in DataSizes)
        {
            int tr = Math.Min(trials, 400);
            var vals = Enumerable
                .Range(0, tr)
                .Select(_ => DcShot.SimulateStrengthInData(dd, pk, dc, 1, rng))
                .ToArray();
            double mean = vals.Average();
            // closed-form variance of the mixture: E_d[Var(R|d) + E[R|d]^2] - E[R]^2
            double cfMean = DcShot.ExpectedStrengthInData(dd, pk, dc);
            double second = 0;
            for (int d = 0; d <= dd; d++)
                second +=
                    MathNet.Numerics.Distributions.Binomial.PMF(pk, dd, d)
                    * (
                        DcShot.StrengthVariance(d, dc) + Math.Pow(DcShot.ExpectedStrength(d, dc), 2)
                    );
            double se = Math.Sqrt(Math.Max(0, second - cfMean * cfMean) / tr);
            // at large D almost every trial has d ≥ D_c (R/S = 1): the few with d < D_c are rare events (Poisson,
            // not normal), and a trial or two of them moves the mean by several closed-form standard errors. The
            // sample's own standard error sees those trials: with k rare deficits it allows a mean excess of up to
            // √k·4 of them, so k ≤ 16 rare trials never fail a right closed form, and it is 0 when none occurred.
            double sampleSe = Math.Sqrt(
                vals.Sum(v => (v - mean) * (v - mean)) / (tr - 1) / tr
            );
            rows.Add(
                new Comparison(
                    "data_emergence_R_over_S",
                    dd,
                    cfMean,
                    mean,
                    4 * Math.Max(se, sampleSe) + 1e-9
                )
            );
        }
        return rows;
    }

    /// <summary>
    /// η·S of the layerwise GD: the flow at target scale S is the flow at scale 1 run S times faster, so η = this/S
    /// gives every S of the range the dynamics (and the stability margin) of S = 10 at η = 0.02.
    /// </summary>
    public const double LayerwiseRate = 0.2;

    /// <summary>Steps of the layerwise GD (η·S·steps = 6000 in units of the scale-1 flow, at every S).</summary>
    public const int LayerwiseSteps = 30000;

    /// <summary>Seeds (seed + 17, + 18, …) of the must-fail control at init scale 0.3.</summary>
    public const int LayerwiseControlSeeds = 3;

    /// <summary>
    /// Tolerance of the relative gap at init scale s: 3·min(s, 10⁻²)·max(1, √((D_c − d)/‖β_mn‖)). The part of B(0) in
    /// the (D_c − d)-dimensional null space of the design never moves, so GD ends at the min-norm interpolant plus
    /// a(∞)·P_null B(0) with a(∞) ≈ √‖β_mn‖: a relative gap of about s·√(D_c − d)/√‖β_mn‖. ‖β_mn‖ is the drawn design's
    /// own (<see cref="DcShot.MinNormSize"/>): with few samples it can be far below its typical S·√(d/D_c).
    /// </summary>
    public static double LayerwiseTolerance(double initScale, int nullDim, double minNormSize) =>
        3 * Math.Min(initScale, 1e-2) * Math.Max(1, Math.Sqrt(nullDim / minNormSize));

    /// <summary>
    /// Layerwise GD (a, B), η = <see cref="LayerwiseRate"/>/S for <see cref="LayerwiseSteps"/> steps, ends at the
    /// min-norm interpolant within <see cref="LayerwiseTolerance"/> for init scales s ≤ 1e-2; s = 0.3 (over
    /// <see cref="LayerwiseControlSeeds"/> seeds, against the tolerance of s = 1e-2) is the must-fail control.
    /// </summary>
    public static IReadOnlyList<Comparison> Layerwise(int dc, double s, int seed)
    {
        var rows = new List<Comparison>();
        int dl = Math.Max(1, dc / 2);
        double eta = LayerwiseRate / s;
        double Size(int k) => DcShot.MinNormSize(dl, dc, s, new Rng(seed + 17 + k));
        double size0 = Size(0);
        foreach (double sc in new[] { 1e-4, 1e-3, 1e-2 })
            rows.Add(
                new Comparison(
                    "layerwise_gap_to_min_norm",
                    sc,
                    0,
                    DcShot.LayerwiseToMinNormGap(
                        dl,
                        dc,
                        s,
                        sc,
                        eta,
                        LayerwiseSteps,
                        new Rng(seed + 17)
                    ),
                    LayerwiseTolerance(sc, dc - dl, size0)
                )
            );
        for (int i = 0; i < LayerwiseControlSeeds; i++)
            rows.Add(
                new Comparison(
                    "control_layerwise_gap_init_0.3",
                    0.3,
                    0,
                    DcShot.LayerwiseToMinNormGap(
                        dl,
                        dc,
                        s,
                        0.3,
                        eta,
                        LayerwiseSteps,
                        new Rng(seed + 17 + i)
                    ),
                    LayerwiseTolerance(0.3, dc - dl, Size(i)),
                    true
                )
            );
        return rows;
    }

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int dc = (int)p["D_c"],
            trials = (int)p["trials"],
            seed = (int)p["seed"];
        double s = p["S"];
        var design = DesignOf(p);
        var rng = new Rng(seed);
        var rows = new List<Comparison>();
        rows.AddRange(Shots(dc, s, trials, design, rng));
        rows.AddRange(DataEmergence(dc, trials, rng));
        rows.AddRange(Layerwise(dc, s, seed));
        return new TheoryReport(
            rows,
            "d (samples of the skill); data_emergence rows: D; layerwise rows: init scale s",
            [seed],
            $"synthetic: {design} design, D_c = {dc}, {trials} trials per d",
            [
                "tolerance: 4 standard errors (Beta variance for the Gaussian design); layerwise end point 3 min(s, 1e-2) max(1, sqrt((D_c - d)/|beta_mn|)) relative, GD eta = 0.2/S",
            ]
        );
    }
}
