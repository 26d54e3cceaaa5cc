using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary><c>sigmoid</c>: R9–R13, two-layer scalar network — balanced and unequal saturation, GD stability and tracking, times.</summary>
public sealed class SigmoidCheck : ITheoryCheck
{
    public string Name => "sigmoid";

    public string Summary =>
        "R10-R13: sigmoidal saturation of a two-layer scalar mode (balanced and unequal init), discrete-GD stability and tracking, emergence/saturation times";

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

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double s = p["S"],
            lam = p["lambda"],
            r0 = p["R0_over_S"] * s,
            a0 = p["a0"],
            b0 = p["b0"];
        if (Math.Abs(a0 + b0) < 0.05)
            throw new ArgumentException(
                $"|a0 + b0| = {Math.Abs(a0 + b0):G3} < 0.05: too close to the saddle a + b = 0 of R11 (premise a0 + b0 != 0)"
            );
        var rows = new List<Comparison>();
        var m = new BalancedMode(s, lam, r0).Validate();
        // R10: balanced sigmoid vs RK4, horizon 3 ln(S/R0)/(2 lambda S) + 5/(lambda S), tolerance 1e-8*S
        double horizon = 3 * Math.Log(s / r0) / (2 * lam * s) + 5 / (lam * s);
        var grid = Rows.Grid(horizon, 80);
        rows.AddRange(
            Rows.Curve(
                "R_balanced",
                grid,
                Sigmoid.Balanced(m),
                Sigmoid.SimulateBalanced(m),
                1e-8 * s
            )
        );
        // R11: unequal init vs RK4 (closed form = R30 with p = Z = 1, rate 2 Omega), tolerance 1e-8
        var u = new UnequalMode(a0, b0, s, lam);
        var cu = Sigmoid.Unequal(u);
        var su = Sigmoid.SimulateUnequal(u);
        var ug = Rows.Grid(10 / lam, 80);
        rows.AddRange(Rows.Curve("a_unequal", ug, t => cu(t)[0], t => su(t)[0], 1e-8));
        rows.AddRange(Rows.Curve("b_unequal", ug, t => cu(t)[1], t => su(t)[1], 1e-8));
        // R12(d): GD tracking of the balanced sigmoid, tolerance = S * eta lambda S (0.15 ln K + 0.1)
        double eta = p["eta_lambda_S"] / (lam * s);
        int steps = (int)Math.Ceiling(horizon / eta);
        var (ga, gb) = Sigmoid.GradientDescent(Math.Sqrt(r0), Math.Sqrt(r0), s, lam, eta, steps);
        var cf = Sigmoid.Balanced(m);
        double bound = Sigmoid.GdTrackingBound(eta, lam, s, m.K) * s;
        int worst = 0;
        double worstErr = -1;
        for (int n = 0; n <= steps; n++)
        {
            double e = Math.Abs(ga[n] * gb[n] - cf(n * eta));
            if (e > worstErr)
                (worstErr, worst) = (e, n);
        }
        int stride = Math.Max(1, steps / 80);
        foreach (int n in Enumerable.Range(0, steps + 1).Where(n => n % stride == 0 || n == worst))
            rows.Add(new Comparison("R_gd", n * eta, cf(n * eta), ga[n] * gb[n], bound));
        // R12(a): exact one-step drift factor of a^2 - b^2 under GD (unequal init), tolerance 1e-12 (1 + |c|)
        var (ua, ub) = Sigmoid.GradientDescent(a0, b0, s, lam, eta, steps);
        double c0 = Math.Abs(a0 * a0 - b0 * b0);
        foreach (int n in Enumerable.Range(0, steps).Where(n => n % stride == 0))
        {
            double g = lam * (ua[n] * ub[n] - s);
            double predicted = (ua[n] * ua[n] - ub[n] * ub[n]) * Sigmoid.DriftFactor(eta, g);
            rows.Add(
                new Comparison(
                    "a2_minus_b2_gd_next",
                    n * eta,
                    predicted,
                    ua[n + 1] * ua[n + 1] - ub[n + 1] * ub[n + 1],
                    1e-12 * (1 + c0)
                )
            );
        }
        // R12(b): balanced GD converges for eta lambda S = 0.98, not for 1.02 (period-2), 2e4 steps, |R - S|/S < 1e-6
        foreach (var (factor, control) in new[] { (0.98, false), (1.02, true) })
        {
            double e2 = factor / (lam * s);
            var (fa, fb) = Sigmoid.GradientDescent(0.01, 0.01, s, lam, e2, 20000);
            rows.Add(
                new Comparison(
                    control ? "control_gd_converges_eta_1.02" : "gd_converges_eta_0.98",
                    factor,
                    0,
                    Math.Abs(fa[^1] * fb[^1] - s) / s,
                    1e-6,
                    control
                )
            );
        }
        // R13: emergence and saturation times vs hitting times of the RK4 trajectory, tolerance 1e-7 relative
        foreach (double eps in new[] { 0.1, 0.25, 0.5 })
        {
            if (eps <= p["R0_over_S"])
                continue;
            double te = Emergence.EmergenceTime(m, eps);
            rows.Add(
                new Comparison(
                    "tau_emergence",
                    eps,
                    te,
                    Emergence.HittingTimeSimulated(m, eps),
                    1e-7 * te
                )
            );
            if (eps < 0.5)
            {
                double ts = Emergence.SaturationTime(m, eps);
                double sim =
                    Emergence.HittingTimeSimulated(m, 1 - eps)
                    - Emergence.HittingTimeSimulated(m, eps);
                rows.Add(new Comparison("tau_saturation", eps, ts, sim, 1e-7 * ts));
                rows.Add(
                    new Comparison(
                        "control_tau_saturation_halved",
                        eps,
                        Emergence.SaturationTimeHalved(m, eps),
                        sim,
                        1e-7 * ts,
                        true
                    )
                );
            }
        }
        // Controls: balanced formula with R0 = a0 b0 for an unequal init; linear-model exponential; thesis rate 4 Omega
        var wrongBalanced = new BalancedMode(s, lam, Math.Max(1e-12, a0 * b0));
        bool balancedControl = a0 * b0 > 0 && a0 * b0 < s && Math.Abs(a0 - b0) > 1e-9;
        var notes = new List<string>();
        if (!balancedControl)
            notes.Add(
                $"control_balanced_formula_unequal_init not run: it needs 0 < a0*b0 < S and a0 != b0 (here a0 = {a0:G6}, b0 = {b0:G6})"
            );
        if (balancedControl)
        {
            var wb = Sigmoid.Balanced(wrongBalanced);
            rows.AddRange(
                Rows.Curve(
                    "control_balanced_formula_unequal_init",
                    ug,
                    wb,
                    t => su(t)[0] * su(t)[1],
                    1e-8 * s,
                    true
                )
            );
        }
        rows.AddRange(
            Rows.Curve(
                "control_linear_exponential",
                grid,
                Sigmoid.LinearModel(m),
                Sigmoid.SimulateBalanced(m),
                1e-8 * s,
                true
            )
        );
        var thesis = Sigmoid.UnequalThesisRate(u);
        rows.AddRange(
            Rows.Curve(
                "control_a_unequal_thesis_rate_4omega",
                ug,
                t => thesis(t)[0],
                t => su(t)[0],
                1e-8,
                true
            )
        );
        return new TheoryReport(
            rows,
            "t (units of eta*steps; GD rows: t = n*eta; times: level eps)",
            [],
            "synthetic: population loss of one mode, no sampling",
            [
                $"K = S/R0 - 1 = {m.K:G6}; GD eta = {eta:G6} ({steps} steps); R12(d) bound = {bound / s:G4}*S; worst GD error {worstErr / s:G4}*S at step {worst}",
                .. notes,
            ]
        );
    }
}
