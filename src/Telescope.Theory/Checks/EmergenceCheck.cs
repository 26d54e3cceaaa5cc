using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary>
/// <c>emergence</c>: R14 stage-like ε* (corrected), R26 time emergence with B (corrected), R28 parameter emergence.
/// The claims are the public builders <see cref="StageLike"/>, <see cref="TimeEmergence"/> and
/// <see cref="ParameterEmergence"/>; <see cref="Run"/> composes them.
/// </summary>
public sealed class EmergenceCheck : ITheoryCheck
{
    public string Name => "emergence";

    public string Summary =>
        "R14, R26, R28: stage-like threshold eps* = 1/(1 + K^((l_i - l_i+1)/(l_i + l_i+1))), time emergence with calibration B (first power), parameter emergence r/N_c";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("alpha", 0.6, 0.1, 1.5, "skill-frequency exponent"),
        new("K", 1e4, 10, 1e12, "initial odds S/R0 - 1 for the stage-like rows"),
        new("S", 5, 0.2, 10, "target scale"),
        new("B", 1.0 / 22, 0.01, 1, "calibration constant of R26"),
        new("P", 0.4, 0.01, 1, "skill frequency of the R26 rows"),
        new("a0", 0.01, 1e-3, 0.1, "init of R26 / R28"),
        new("N_c", 4, 1, 8, "basis functions per skill (R28)", Integer: true),
    ];

    /// <summary>Skills of the R14 rows' frequencies P_s(k) (consecutive pairs k, k + 1 for k = 1..<see cref="StagePairs"/>).</summary>
    public const int StageSkills = 10;

    /// <summary>Consecutive skill pairs of the R14 rows.</summary>
    public const int StagePairs = 6;

    /// <summary>Relative tolerance of ε* against bisection on RK4 hitting times.</summary>
    public const double StageTolerance = 1e-6;

    /// <summary>Tolerance of R/S against RK4 (R26).</summary>
    public const double TimeTolerance = 1e-8;

    /// <summary>Intervals of the R26 grid.</summary>
    public const int TimePoints = 100;

    /// <summary>Skills of the R28 rows.</summary>
    public const int ParameterSkills = 5;

    /// <summary>
    /// Horizon of the R28 simulation of a skill of frequency <paramref name="p"/> (η = 1), from the closed form's own time
    /// scale: a balanced mode of target τ = S/√N_c from R₀ = a₀² is within K e^{−2pτT} (K = τ/R₀) of its end point,
    /// so T = 1.5 (ln K + ln 10⁵)/(2pτ) puts the end point well inside <see cref="ParameterTolerance"/> for every
    /// (α, S, a₀, N_c) of the declared ranges (a fixed horizon did not: skill 5 at α = 1.5, S = 0.2 needs T ≈ 10⁴).
    /// </summary>
    public static double ParameterHorizon(double p, double s, double a0, int nc)
    {
        double tau = s / Math.Sqrt(nc);
        return 1.5 * (Math.Log(tau / (a0 * a0)) + Math.Log(1e5)) / (2 * p * tau);
    }

    /// <summary>
    /// RK4 steps of the R28 simulation to <see cref="ParameterHorizon"/>: step h = 0.1/(pτ(1 + N_c)), a tenth of the
    /// fastest rate of the flow (≈ pτ(1 + N_c) near the end point), whatever the horizon.
    /// </summary>
    public static int ParameterSteps(double p, double s, double a0, int nc) =>
        (int)
            Math.Ceiling(ParameterHorizon(p, s, a0, nc) * p * (s / Math.Sqrt(nc)) * (1 + nc) / 0.1);

    /// <summary>Tolerance of R_k/S at the R28 horizon.</summary>
    public const double ParameterTolerance = 1e-3;

    /// <summary>R26 horizon (ln(S/(B a₀²)) + 10)/(2ηPBS), η = 1.</summary>
    public static double TimeHorizon(double pp, double s, double b, double a0) =>
        (Math.Log(s / (b * a0 * a0)) + 10) / (2 * 1.0 * pp * b * s);

    /// <summary>
    /// R14 rows for consecutive skills k, k + 1 (λ_k = P_s(k), n_s = <see cref="StageSkills"/>, R₀ = S/(K + 1)): the
    /// closed-form ε* against bisection on RK4 hitting times, each followed by the must-fail control thesis Eq 3.13.
    /// </summary>
    public static IReadOnlyList<Comparison> StageLike(double alpha, double k, double s)
    {
        var rows = new List<Comparison>();
        var freq = new SkillFrequencies(alpha, StageSkills);
        double r0 = s / (k + 1);
        for (int i = 1; i <= StagePairs; i++)
        {
            var mi = new BalancedMode(s, freq[i], r0);
            var mn = new BalancedMode(s, freq[i + 1], r0);
            double cf = Emergence.StageLikeThreshold(k, freq[i], freq[i + 1]);
            double sim = Emergence.StageLikeThresholdByBisection(
                mi,
                mn,
                Emergence.HittingTimeSimulated
            );
            rows.Add(new Comparison("eps_star", i, cf, sim, StageTolerance * cf));
            rows.Add(
                new Comparison(
                    "control_eps_star_thesis_eq_3_13",
                    i,
                    Emergence.StageLikeThresholdThesisEq313(k, freq[i], freq[i + 1]),
                    sim,
                    StageTolerance * cf,
                    true
                )
            );
        }
        return rows;
    }

    /// <summary>
    /// R26 rows: the calibrated skill R/S (B to the first power) against RK4 on [0, <see cref="TimeHorizon"/>], then
    /// (for B &lt; 1, where B² differs) the must-fail control thesis Eq 5.2 (B²) against the same simulation.
    /// </summary>
    public static IReadOnlyList<Comparison> TimeEmergence(double pp, double s, double b, double a0)
    {
        const double eta = 1.0;
        var simB = Emergence.SimulateCalibratedSkill(pp, s, b, a0, eta);
        var grid = Rows.Grid(TimeHorizon(pp, s, b, a0), TimePoints);
        var rows = Rows.Curve(
                "R_over_S_calibrated",
                grid,
                Emergence.CalibratedSkill(pp, s, b, a0, eta),
                simB,
                TimeTolerance
            )
            .ToList();
        if (b < 1)
            rows.AddRange(
                Rows.Curve(
                    "control_R_over_S_thesis_B2",
                    grid,
                    Emergence.CalibratedSkillThesisB2(pp, s, b, a0, eta),
                    simB,
                    TimeTolerance,
                    control: true
                )
            );
        return rows;
    }

    /// <summary>
    /// R28 rows (n_s = <see cref="ParameterSkills"/>, N = 1 .. 3N_c + 1): R_k/S = 1, r/N_c, 0 against RK4 at the
    /// horizon, with the must-fail control (r/N_c)² for the partially covered skill. <paramref name="only"/> restricts
    /// the rows to the given N (all of them when null).
    /// </summary>
    public static IReadOnlyList<Comparison> ParameterEmergence(
        double alpha,
        double s,
        double a0,
        int nc,
        IEnumerable<int>? only = null
    )
    {
        var rows = new List<Comparison>();
        var f5 = new SkillFrequencies(alpha, ParameterSkills);
        foreach (int n in only ?? Enumerable.Range(1, 3 * nc + 1))
        {
            int q = (n - 1) / nc + 1;
            for (int kk = 1; kk <= Math.Min(ParameterSkills, q + 1); kk++)
            {
                double sim = Emergence.SimulateParameterEmergence(
                    n,
                    nc,
                    kk,
                    f5[kk],
                    s,
                    1.0,
                    a0,
                    ParameterHorizon(f5[kk], s, a0, nc),
                    ParameterSteps(f5[kk], s, a0, nc)
                );
                rows.Add(
                    new Comparison(
                        "R_over_S_parameter_emergence",
                        n,
                        Emergence.ParameterEmergenceStrength(n, nc, kk),
                        sim,
                        ParameterTolerance,
                        Output: kk
                    )
                );
                int r = n - (q - 1) * nc;
                if (kk == q && r < nc)
                    rows.Add(
                        new Comparison(
                            "control_R_over_S_squared",
                            n,
                            Emergence.ParameterEmergenceStrengthSquared(n, nc, kk),
                            sim,
                            ParameterTolerance,
                            true,
                            kk
                        )
                    );
            }
        }
        return rows;
    }

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double al = p["alpha"],
            k = p["K"],
            s = p["S"],
            a0 = p["a0"];
        int nc = (int)p["N_c"];
        var rows = new List<Comparison>();
        rows.AddRange(StageLike(al, k, s));
        rows.AddRange(TimeEmergence(p["P"], s, p["B"], a0));
        rows.AddRange(ParameterEmergence(al, s, a0, nc));
        return new TheoryReport(
            rows,
            "eps_star rows: skill index k; R26 rows: T (steps, eta = 1); R28 rows: N (basis functions)",
            [],
            "synthetic: population dynamics (no sampling)",
            [
                $"R14 with K = {k:G4}, lambda_k = P_s(k) (alpha = {al}, n_s = 10); R28 with N_c = {nc}, horizon per skill 1.5 (ln(tau/a0^2) + ln 1e5)/(2 P tau), tau = S/sqrt(N_c)",
            ]
        );
    }
}
