using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary>
/// <c>sigmoid</c>: R9–R13, two-layer scalar network — balanced and unequal saturation, GD stability and tracking, times.
/// Each claim is a public builder of <see cref="Comparison"/>s over its premise (<see cref="BalancedMode"/>,
/// <see cref="UnequalMode"/>, a GD schedule); <see cref="Run"/> composes them at the declared values, and property tests
/// call the same builders, so the horizon, grids and tolerances are declared here only.
/// </summary>
public sealed class SigmoidCheck : ITheoryCheck
{
    /// <inheritdoc/>
    public string Name => "sigmoid";

    /// <inheritdoc/>
    public string Summary =>
        "R10-R13: sigmoidal saturation of a two-layer scalar mode (balanced and unequal init), discrete-GD stability and tracking, emergence/saturation times";

    /// <inheritdoc/>
    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("S", 2, 0.2, 5, "target scale"),
        new("lambda", 1, 0.2, 3, "input second moment E[x^2]"),
        new("R0_over_S", 1e-4, 1e-6, 0.09, "balanced initial strength R0/S (a(0)=b(0)=sqrt(R0))"),
        new("a0", 1, -1, 1, "unequal init: a(0)"),
        new("b0", 0.01, -1, 1, "unequal init: b(0) (needs |a0+b0| >= 0.05)"),
        new(
            "eta_lambda_S",
            0.05,
            1e-3,
            0.1,
            "GD step as eta*lambda*S (R12(d) bound holds for <= 0.1)"
        ),
    ];

    /// <summary>Intervals of every curve (and the stride of GD rows: about this many rows per GD trajectory).</summary>
    public const int Points = 80;

    /// <summary>Premise of R11 as the check enforces it: |a0 + b0| at least this far from the saddle a + b = 0.</summary>
    public const double SaddleMargin = 0.05;

    /// <summary>R12(b): ηλS of the converging run and of the must-fail control just above the limit 1.</summary>
    public const double StableFactor = 0.98,
        UnstableFactor = 1.02;

    /// <summary>R13: the levels ε of the emergence (and, below 1/2, saturation) times.</summary>
    public static IReadOnlyList<double> TimeLevels { get; } = [0.1, 0.25, 0.5];

    /// <summary>The balanced mode of the values: S, λ, R₀ = (R0_over_S)·S (validated).</summary>
    public static BalancedMode BalancedOf(IReadOnlyDictionary<string, double> p) =>
        new BalancedMode(p["S"], p["lambda"], p["R0_over_S"] * p["S"]).Validate();

    /// <summary>The unequal-init mode of the values; throws when a0 + b0 is within <see cref="SaddleMargin"/> of 0.</summary>
    public static UnequalMode UnequalOf(IReadOnlyDictionary<string, double> p)
    {
        double a0 = p["a0"],
            b0 = p["b0"];
        if (Math.Abs(a0 + b0) < SaddleMargin)
            throw new ArgumentException(
                $"|a0 + b0| = {Math.Abs(a0 + b0):G3} < 0.05: too close to the saddle a + b = 0 of R11 (premise a0 + b0 != 0)"
            );
        return new UnequalMode(a0, b0, p["S"], p["lambda"]);
    }

    /// <summary>R10 horizon <c>3 ln(S/R₀)/(2λS) + 5/(λS)</c>: past the emergence, well into saturation.</summary>
    public static double Horizon(BalancedMode m) =>
        3 * Math.Log(m.S / m.R0) / (2 * m.Lambda * m.S) + 5 / (m.Lambda * m.S);

    /// <summary>Times of the unequal-init curves: <see cref="Points"/> intervals of [0, 10/λ].</summary>
    public static double[] UnequalGrid(UnequalMode u) => Rows.Grid(10 / u.Lambda, Points);

    /// <summary>R10: balanced sigmoid against RK4 on the horizon, tolerance 1e-8·S.</summary>
    public static IEnumerable<Comparison> Balanced(BalancedMode m) =>
        AgainstRk4("R_balanced", m, Sigmoid.Balanced(m), false);

    /// <summary>Must-fail control of R10: the linear model's exponential (no delay) against the same RK4 run.</summary>
    public static IEnumerable<Comparison> LinearExponentialControl(BalancedMode m) =>
        AgainstRk4("control_linear_exponential", m, Sigmoid.LinearModel(m), true);

    private static IEnumerable<Comparison> AgainstRk4(
        string quantity,
        BalancedMode m,
        Func<double, double> closedForm,
        bool control
    ) =>
        Rows.Curve(
            quantity,
            Rows.Grid(Horizon(m), Points),
            closedForm,
            Sigmoid.SimulateBalanced(m),
            1e-8 * m.S,
            control
        );

    /// <summary>R11: unequal init against RK4 (closed form = R30 with p = Z = 1, rate 2Ω), a then b, tolerance 1e-8.</summary>
    public static IEnumerable<Comparison> Unequal(UnequalMode u)
    {
        var cu = Sigmoid.Unequal(u);
        var su = Sigmoid.SimulateUnequal(u);
        var ug = UnequalGrid(u);
        return Rows.Curve("a_unequal", ug, t => cu(t)[0], t => su(t)[0], 1e-8)
            .Concat(Rows.Curve("b_unequal", ug, t => cu(t)[1], t => su(t)[1], 1e-8));
    }

    /// <summary>Must-fail control of R11: the thesis rate 4Ω (Errata E1).</summary>
    public static IEnumerable<Comparison> UnequalThesisRateControl(UnequalMode u)
    {
        var thesis = Sigmoid.UnequalThesisRate(u);
        var su = Sigmoid.SimulateUnequal(u);
        return Rows.Curve(
            "control_a_unequal_thesis_rate_4omega",
            UnequalGrid(u),
            t => thesis(t)[0],
            t => su(t)[0],
            1e-8,
            true
        );
    }

    /// <summary>Whether <see cref="BalancedFormulaUnequalInitControl"/> applies: 0 &lt; a0·b0 &lt; S and a0 ≠ b0.</summary>
    public static bool BalancedFormulaControlApplies(UnequalMode u) =>
        u.A0 * u.B0 > 0 && u.A0 * u.B0 < u.S && Math.Abs(u.A0 - u.B0) > 1e-9;

    /// <summary>Must-fail control of R10: the balanced formula with R₀ = a0·b0 for an unequal init, against RK4's a·b.</summary>
    public static IEnumerable<Comparison> BalancedFormulaUnequalInitControl(UnequalMode u)
    {
        var wb = Sigmoid.Balanced(new BalancedMode(u.S, u.Lambda, Math.Max(1e-12, u.A0 * u.B0)));
        var su = Sigmoid.SimulateUnequal(u);
        return Rows.Curve(
            "control_balanced_formula_unequal_init",
            UnequalGrid(u),
            wb,
            t => su(t)[0] * su(t)[1],
            1e-8 * u.S,
            true
        );
    }

    /// <summary>A GD schedule: step η and number of steps.</summary>
    public sealed record GdSchedule(double Eta, int Steps)
    {
        /// <summary>Rows are kept every <c>Stride</c> steps (about <see cref="Points"/> per trajectory).</summary>
        public int Stride => Math.Max(1, Steps / Points);
    }

    /// <summary>The GD schedule of R12(d): η = (ηλS)/(λS), enough steps to cover <see cref="Horizon"/>.</summary>
    public static GdSchedule ScheduleOf(BalancedMode m, double etaLambdaS)
    {
        double eta = etaLambdaS / (m.Lambda * m.S);
        return new GdSchedule(eta, (int)Math.Ceiling(Horizon(m) / eta));
    }

    /// <summary>R12(d) rows and the worst step, for the report's note.</summary>
    public sealed record Tracking(
        IReadOnlyList<Comparison> Rows,
        GdSchedule Schedule,
        double Bound,
        int Worst,
        double WorstError
    );

    /// <summary>
    /// R12(d): balanced GD step n tracks the sigmoid at t = nη within S·ηλS(0.15 ln K + 0.1) (every
    /// <see cref="GdSchedule.Stride"/>-th step and the worst step are rows).
    /// </summary>
    public static Tracking GdTracking(BalancedMode m, double etaLambdaS)
    {
        var g = ScheduleOf(m, etaLambdaS);
        var (ga, gb) = Sigmoid.GradientDescent(
            Math.Sqrt(m.R0),
            Math.Sqrt(m.R0),
            m.S,
            m.Lambda,
            g.Eta,
            g.Steps
        );
        var cf = Sigmoid.Balanced(m);
        double bound = Sigmoid.GdTrackingBound(g.Eta, m.Lambda, m.S, m.K) * m.S;
        int worst = 0;
        double worstErr = -1;
        for (int n = 0; n <= g.Steps; n++)
        {
            double e = Math.Abs(ga[n] * gb[n] - cf(n * g.Eta));
            if (e > worstErr)
                (worstErr, worst) = (e, n);
        }
        var rows = Enumerable
            .Range(0, g.Steps + 1)
            .Where(n => n % g.Stride == 0 || n == worst)
            .Select(n => new Comparison("R_gd", n * g.Eta, cf(n * g.Eta), ga[n] * gb[n], bound))
            .ToList();
        return new Tracking(rows, g, bound, worst, worstErr);
    }

    /// <summary>
    /// R12(a), exact: along GD from (a0, b0) each step multiplies a² − b² by <paramref name="factor"/>(η, g), g = λ(ab − S)
    /// (default <see cref="Sigmoid.DriftFactor"/>, 1 − η²g²); tolerance 1e-12 (1 + |a0² − b0²|).
    /// </summary>
    public static IEnumerable<Comparison> GdDrift(
        UnequalMode u,
        GdSchedule g,
        Func<double, double, double>? factor = null
    )
    {
        factor ??= Sigmoid.DriftFactor;
        var (ua, ub) = Sigmoid.GradientDescent(u.A0, u.B0, u.S, u.Lambda, g.Eta, g.Steps);
        double c0 = Math.Abs(u.A0 * u.A0 - u.B0 * u.B0);
        foreach (int n in Enumerable.Range(0, g.Steps).Where(n => n % g.Stride == 0))
        {
            double grad = u.Lambda * (ua[n] * ub[n] - u.S);
            double predicted = (ua[n] * ua[n] - ub[n] * ub[n]) * factor(g.Eta, grad);
            yield return new Comparison(
                "a2_minus_b2_gd_next",
                n * g.Eta,
                predicted,
                ua[n + 1] * ua[n + 1] - ub[n + 1] * ub[n + 1],
                1e-12 * (1 + c0)
            );
        }
    }

    /// <summary>R12(b): balanced GD from a = b = 0.01 at ηλS = <see cref="StableFactor"/> reaches |R − S|/S &lt; 1e-6 in 2e4 steps.</summary>
    public static Comparison GdConverges(double s, double lambda) =>
        Converges(s, lambda, StableFactor, "gd_converges_eta_0.98", false);

    /// <summary>Must-fail control of R12(b): the same run at ηλS = <see cref="UnstableFactor"/> (period 2, no convergence).</summary>
    public static Comparison GdDivergesControl(double s, double lambda) =>
        Converges(s, lambda, UnstableFactor, "control_gd_converges_eta_1.02", true);

    private static Comparison Converges(
        double s,
        double lambda,
        double factor,
        string quantity,
        bool control
    )
    {
        var (fa, fb) = Sigmoid.GradientDescent(0.01, 0.01, s, lambda, factor / (lambda * s), 20000);
        return new Comparison(
            quantity,
            factor,
            0,
            Math.Abs(fa[^1] * fb[^1] - s) / s,
            1e-6,
            control
        );
    }

    /// <summary>
    /// R13 at level ε: emergence time against the RK4 hitting time and, for ε &lt; 1/2, saturation time against the
    /// hitting-time difference with its must-fail control (2λS in the denominator); tolerance 1e-7 relative.
    /// </summary>
    public static IEnumerable<Comparison> Times(BalancedMode m, double eps)
    {
        double te = Emergence.EmergenceTime(m, eps);
        yield return new Comparison(
            "tau_emergence",
            eps,
            te,
            Emergence.HittingTimeSimulated(m, eps),
            1e-7 * te
        );
        if (eps < 0.5)
        {
            double ts = Emergence.SaturationTime(m, eps);
            double sim =
                Emergence.HittingTimeSimulated(m, 1 - eps) - Emergence.HittingTimeSimulated(m, eps);
            yield return new Comparison("tau_saturation", eps, ts, sim, 1e-7 * ts);
            yield return new Comparison(
                "control_tau_saturation_halved",
                eps,
                Emergence.SaturationTimeHalved(m, eps),
                sim,
                1e-7 * ts,
                true
            );
        }
    }

    /// <inheritdoc/>
    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        var u = UnequalOf(p);
        var m = BalancedOf(p);
        var rows = new List<Comparison>();
        rows.AddRange(Balanced(m));
        rows.AddRange(Unequal(u));
        var tracking = GdTracking(m, p["eta_lambda_S"]);
        rows.AddRange(tracking.Rows);
        rows.AddRange(GdDrift(u, tracking.Schedule));
        rows.Add(GdConverges(m.S, m.Lambda));
        rows.Add(GdDivergesControl(m.S, m.Lambda));
        foreach (double eps in TimeLevels.Where(eps => eps > p["R0_over_S"]))
            rows.AddRange(Times(m, eps));
        var notes = new List<string>();
        if (BalancedFormulaControlApplies(u))
            rows.AddRange(BalancedFormulaUnequalInitControl(u));
        else
            notes.Add(
                $"control_balanced_formula_unequal_init not run: it needs 0 < a0*b0 < S and a0 != b0 (here a0 = {u.A0:G6}, b0 = {u.B0:G6})"
            );
        rows.AddRange(LinearExponentialControl(m));
        rows.AddRange(UnequalThesisRateControl(u));
        var g = tracking.Schedule;
        return new TheoryReport(
            rows,
            "t (units of eta*steps; GD rows: t = n*eta; times: level eps)",
            [],
            "synthetic: population loss of one mode, no sampling",
            [
                $"K = S/R0 - 1 = {m.K:G6}; GD eta = {g.Eta:G6} ({g.Steps} steps); R12(d) bound = {tracking.Bound / m.S:G4}*S; worst GD error {tracking.WorstError / m.S:G4}*S at step {tracking.Worst}",
                .. notes,
            ]
        );
    }
}
