namespace Telescope.Theory;

/// <summary>
/// Emergence (spec §3 R13–R14 and §7 R26, R28; thesis ch. 3 and 5): emergence and saturation times, the stage-like
/// condition (corrected, Errata E7), time emergence with a calibration constant B (corrected, Errata E10), and parameter
/// emergence with N_c basis functions per skill.
/// </summary>
public static class Emergence
{
    /// <summary>
    /// R13 (thesis Eq 3.12): time for a balanced mode to reach R/S = ε,
    /// <c>τᵉ(ε) = ln((S/R₀ − 1)/(1/ε − 1)) / (2λS)</c>. t in units of η·steps.
    /// </summary>
    public static double EmergenceTime(BalancedMode m, double eps) =>
        Math.Log(m.Validate().K / (1 / eps - 1)) / (2 * m.Lambda * m.S);

    /// <summary>R13 (Eq 3.12): time to go from ε to 1 − ε, <c>τˢ(ε) = ln(1/ε − 1)/(λS)</c>; independent of the init.</summary>
    public static double SaturationTime(BalancedMode m, double eps) =>
        Math.Log(1 / eps - 1) / (m.Lambda * m.S);

    /// <summary>MUST-FAIL CONTROL (R13): τˢ with 2λS in the denominator (half the true value).</summary>
    public static double SaturationTimeHalved(BalancedMode m, double eps) =>
        Math.Log(1 / eps - 1) / (2 * m.Lambda * m.S);

    /// <summary>
    /// R14 (thesis Eq 3.13–3.14, corrected; Errata E7): two balanced modes with the same S and R₀ and λᵢ &gt; λᵢ₊₁ learn
    /// stage-like at level ε (mode i reaches 1 − ε before mode i+1 reaches ε) exactly when ε ≥ ε*, with
    /// <c>ε* = 1 / (1 + K^{(λᵢ − λᵢ₊₁)/(λᵢ + λᵢ₊₁)})</c>, K = S/R₀ − 1.
    /// </summary>
    public static double StageLikeThreshold(double k, double lambdaI, double lambdaNext)
    {
        if (!(lambdaI > lambdaNext) || !(lambdaNext > 0))
            throw new ArgumentException(
                "premise λᵢ > λᵢ₊₁ > 0 violated (mode i must be the stronger one)"
            );
        if (!(k > 1))
            throw new ArgumentException("premise K = S/R₀ − 1 > 1 violated (small initialisation)");
        return 1 / (1 + Math.Pow(k, (lambdaI - lambdaNext) / (lambdaI + lambdaNext)));
    }

    /// <summary>
    /// MUST-FAIL CONTROL: thesis Eq 3.13 as printed, <c>1/(1 + K·(λᵢ₊₁ − λᵢ)/(λᵢ₊₁ + λᵢ))</c> — outside (0, ½) for λᵢ₊₁ &lt; λᵢ.
    /// </summary>
    public static double StageLikeThresholdThesisEq313(
        double k,
        double lambdaI,
        double lambdaNext
    ) => 1 / (1 + k * (lambdaNext - lambdaI) / (lambdaNext + lambdaI));

    /// <summary>
    /// Stage-like test at level ε given a hitting-time function <c>time(mode, level)</c> (closed form R13 or simulated):
    /// <c>time(i, 1 − ε) ≤ time(i+1, ε)</c>.
    /// </summary>
    public static bool StageLike(
        BalancedMode modeI,
        BalancedMode modeNext,
        double eps,
        Func<BalancedMode, double, double> timeToLevel
    ) => timeToLevel(modeI, 1 - eps) <= timeToLevel(modeNext, eps);

    /// <summary>Closed-form hitting time of R/S = level (R13): τᵉ(level).</summary>
    public static double HittingTimeClosedForm(BalancedMode m, double level) =>
        EmergenceTime(m, level);

    /// <summary>
    /// Simulated hitting time of R/S = level: RK4 on (a, b) (R9 flow) with step h = 0.005/(λS) until R crosses the level,
    /// then the crossing is located by bisection on the cubic Hermite interpolant of R over that step (values and
    /// derivatives from the flow), so the time error is O(h⁴). A level at or below R₀/S is hit at t = 0.
    /// </summary>
    public static double HittingTimeSimulated(BalancedMode m, double level)
    {
        m.Validate();
        double target = level * m.S;
        if (!(target < m.S))
            throw new ArgumentOutOfRangeException(
                nameof(level),
                "level must be below 1 (R/S = 1 is never reached)"
            );
        if (target <= m.R0)
            return 0.0; // already at or above the level at t = 0
        var f = Sigmoid.Flow(m.S, m.Lambda);
        double h = 0.005 / (m.Lambda * m.S);
        double a = Math.Sqrt(m.R0);
        var y = new[] { a, a };
        var w = Rk4.Work(2);
        double t = 0;
        double R(double[] v) => v[0] * v[1];
        double dR(double[] v) => -m.Lambda * (v[0] * v[0] + v[1] * v[1]) * (v[0] * v[1] - m.S);
        for (long guard = 0; guard < 100_000_000; guard++)
        {
            double r0 = R(y),
                d0 = dR(y);
            Rk4.Step(f, t, y, h, w);
            double r1 = R(y),
                d1 = dR(y);
            if (r1 >= target)
            {
                double lo = 0,
                    hi = 1;
                for (int i = 0; i < 200 && hi - lo > 1e-16; i++)
                {
                    double s = (lo + hi) / 2;
                    double h00 = (1 + 2 * s) * (1 - s) * (1 - s),
                        h10 = s * (1 - s) * (1 - s),
                        h01 = s * s * (3 - 2 * s),
                        h11 = s * s * (s - 1);
                    double v = h00 * r0 + h10 * h * d0 + h01 * r1 + h11 * h * d1;
                    if (v < target)
                        lo = s;
                    else
                        hi = s;
                }
                return t + h * (lo + hi) / 2;
            }
            t += h;
        }
        throw new InvalidOperationException("level not reached");
    }

    /// <summary>
    /// ε* by bisection on the stage-like test (simulation of R14): the smallest ε ∈ (0, ½) with
    /// <c>time(i, 1 − ε) ≤ time(i+1, ε)</c>, to relative precision 1e-12 (bisection on ln ε). The gap is increasing in ε
    /// (spec R14), so the set of ε where the test holds is an interval [ε*, ½).
    /// </summary>
    public static double StageLikeThresholdByBisection(
        BalancedMode modeI,
        BalancedMode modeNext,
        Func<BalancedMode, double, double> timeToLevel
    )
    {
        double lo = Math.Log(Math.Max(1e-300, modeI.R0 / modeI.S * 1.000001)),
            hi = Math.Log(0.5);
        for (int i = 0; i < 200 && hi - lo > 1e-13; i++)
        {
            double mid = (lo + hi) / 2;
            if (StageLike(modeI, modeNext, Math.Exp(mid), timeToLevel))
                hi = mid;
            else
                lo = mid;
        }
        return Math.Exp(hi);
    }

    /// <summary>
    /// R26 (thesis Eq 5.1–5.2, corrected; Errata E10): skill with frequency P, calibration 0 &lt; B ≤ 1,
    /// f = a·b·B·g, balanced a(0) = b(0) = a₀, R = B·a·b, population loss ½P(S − R)², GF with rate η:
    /// <c>R(T)/S = 1 / (1 + (S/R(0) − 1)·exp(−2·η·P·B·S·T))</c> with R(0) = B·a₀². T in steps (η kept).
    /// </summary>
    public static Func<double, double> CalibratedSkill(
        double p,
        double s,
        double b,
        double a0,
        double eta
    )
    {
        CheckCalibrated(p, s, b, a0, eta);
        var m = new BalancedMode(s, eta * p * b, b * a0 * a0);
        var f = Sigmoid.Balanced(m);
        return t => f(t) / s;
    }

    /// <summary>MUST-FAIL CONTROL (Errata E10): thesis Eq 5.2 with B² in the exponent.</summary>
    public static Func<double, double> CalibratedSkillThesisB2(
        double p,
        double s,
        double b,
        double a0,
        double eta
    )
    {
        double k = s / (b * a0 * a0) - 1;
        return t => 1 / (1 + k * Math.Exp(-2 * eta * p * b * b * s * t));
    }

    /// <summary>
    /// Simulator with the signature of <see cref="CalibratedSkill"/>: RK4 on (a, b) for
    /// <c>da/dT = η·P·B·b·(S − B·a·b)</c> (and symmetric), returns B·a·b/S. Step h = 0.01/(ηPBS).
    /// </summary>
    public static Func<double, double> SimulateCalibratedSkill(
        double p,
        double s,
        double b,
        double a0,
        double eta
    )
    {
        CheckCalibrated(p, s, b, a0, eta);
        Derivative f = (_, y, dy) =>
        {
            double r = eta * p * b * (s - b * y[0] * y[1]);
            dy[0] = r * y[1];
            dy[1] = r * y[0];
        };
        var traj = new OdeTrajectory(f, [a0, a0], 0.01 / (eta * p * b * s));
        return t =>
        {
            var y = traj.At(t);
            return b * y[0] * y[1] / s;
        };
    }

    private static void CheckCalibrated(double p, double s, double b, double a0, double eta)
    {
        if (!(p > 0 && p <= 1))
            throw new ArgumentOutOfRangeException(nameof(p), "premise 0 < P_s(k) ≤ 1 violated");
        if (!(b > 0 && b <= 1))
            throw new ArgumentOutOfRangeException(nameof(b), "premise 0 < B ≤ 1 violated");
        if (!(s > 0) || !(a0 > 0) || !(eta > 0))
            throw new ArgumentOutOfRangeException(
                nameof(s),
                "premises S > 0, a₀ > 0, η > 0 violated"
            );
        if (!(b * a0 * a0 < s))
            throw new ArgumentOutOfRangeException(nameof(a0), "premise R(0) = B·a₀² < S violated");
    }

    /// <summary>
    /// R28 (thesis Eq 5.6–5.9, B.43–B.49): with N basis functions ordered skill by skill, N_c per skill,
    /// q = ⌊(N−1)/N_c⌋ + 1 and r = N − (q−1)N_c, the end point (D, T → ∞) is
    /// <c>R_k(∞)/S = 1</c> for k &lt; q, <c>r/N_c</c> for k = q, <c>0</c> for k &gt; q.
    /// </summary>
    public static double ParameterEmergenceStrength(int n, int nc, int k)
    {
        if (n < 1 || nc < 1 || k < 1)
            throw new ArgumentOutOfRangeException(
                nameof(n),
                "premises N ≥ 1, N_c ≥ 1, k ≥ 1 violated"
            );
        int q = (n - 1) / nc + 1;
        int r = n - (q - 1) * nc;
        return k < q ? 1.0
            : k == q ? (double)r / nc
            : 0.0;
    }

    /// <summary>MUST-FAIL CONTROL (R28): (r/N_c)² for the partially covered skill q.</summary>
    public static double ParameterEmergenceStrengthSquared(int n, int nc, int k)
    {
        double v = ParameterEmergenceStrength(n, nc, k);
        int q = (n - 1) / nc + 1;
        return k == q ? v * v : v;
    }

    /// <summary>
    /// Simulation of R28: population gradient flow of skill k with the first <c>m = min(N_c, max(0, N − (k−1)N_c))</c>
    /// of its N_c basis functions present: <c>dB_l/dT = −η·P·a·(a·B_l − S/√N_c)</c>,
    /// <c>da/dT = −η·P·Σ_l B_l(a·B_l − S/√N_c)</c>, init a = B_l = <paramref name="init"/>; RK4 with
    /// <paramref name="steps"/> steps to T. Returns R_k(T)/S = a·Σ_l B_l/(√N_c·S).
    /// </summary>
    public static double SimulateParameterEmergence(
        int n,
        int nc,
        int k,
        double p,
        double s,
        double eta,
        double init,
        double horizon,
        int steps
    )
    {
        int m = Math.Clamp(n - (k - 1) * nc, 0, nc);
        if (m == 0)
            return 0.0;
        double target = s / Math.Sqrt(nc);
        Derivative f = (_, y, dy) =>
        {
            double a = y[0];
            double da = 0;
            for (int l = 1; l <= m; l++)
            {
                double r = a * y[l] - target;
                dy[l] = -eta * p * a * r;
                da += y[l] * r;
            }
            dy[0] = -eta * p * da;
        };
        var y0 = Enumerable.Repeat(init, m + 1).ToArray();
        var y1 = Rk4.Integrate(f, y0, horizon, steps);
        double sum = 0;
        for (int l = 1; l <= m; l++)
            sum += y1[l];
        return y1[0] * sum / (Math.Sqrt(nc) * s);
    }
}
