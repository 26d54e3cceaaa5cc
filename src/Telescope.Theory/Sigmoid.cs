namespace Telescope.Theory;

/// <summary>
/// Premise of R10: one mode of the diagonal network (R9) <c>f = a·b·x</c>, E[x²] = λ, target S·x, balanced
/// initialisation a(0) = b(0) = √R₀ &gt; 0 (then a ≡ b for all t). Gradient flow with η = 1; with a learning rate replace
/// t by η·t.
/// </summary>
/// <param name="S">Target scale S ≠ 0 (the spec's generators use S ∈ [0.2, 5]).</param>
/// <param name="Lambda">Input second moment λ = E[x²] &gt; 0.</param>
/// <param name="R0">Initial strength R₀ = a(0)b(0) &gt; 0.</param>
public sealed record BalancedMode(double S, double Lambda, double R0)
{
    /// <summary>Throws <see cref="ArgumentException"/> naming the violated premise.</summary>
    public BalancedMode Validate()
    {
        if (!(S > 0) || !double.IsFinite(S))
            throw new ArgumentOutOfRangeException(
                nameof(S),
                "premise S > 0 (target scale) violated"
            );
        if (!(Lambda > 0) || !double.IsFinite(Lambda))
            throw new ArgumentOutOfRangeException(nameof(Lambda), "premise λ = E[x²] > 0 violated");
        if (!(R0 > 0) || !double.IsFinite(R0))
            throw new ArgumentOutOfRangeException(
                nameof(R0),
                "premise balanced init a(0) = b(0) > 0, i.e. R₀ > 0, violated"
            );
        return this;
    }

    /// <summary>Initial odds K = S/R₀ − 1 (spec §0 symbols); ln K sets the delay.</summary>
    public double K => S / R0 - 1;
}

/// <summary>
/// Premise of R11: one mode of R9 with arbitrary a(0) = a₀, b(0) = b₀, a₀ + b₀ ≠ 0, E[x²] = λ, target S.
/// </summary>
public sealed record UnequalMode(double A0, double B0, double S, double Lambda)
{
    /// <summary>The same mode as the p = 1, Z = 1 scalar network of R30 (time then runs in units of λt).</summary>
    public ScalarNetwork AsNetwork()
    {
        if (!(Lambda > 0) || !double.IsFinite(Lambda))
            throw new ArgumentOutOfRangeException(nameof(Lambda), "premise λ = E[x²] > 0 violated");
        return new ScalarNetwork([A0], [B0], 1.0, S);
    }
}

/// <summary>
/// Two-layer scalar / diagonal linear network (spec §3, R9–R12; thesis ch. 3): sigmoidal saturation with balanced and
/// unequal initialisation and discrete gradient descent (exact drift, stability limits, tracking error).
/// Closed forms return functions of t (t = η·steps, the gradient-flow time); simulators have the same signature.
/// </summary>
public static class Sigmoid
{
    /// <summary>
    /// R10 (thesis Eq 3.9, A.20): <c>R(t) = S / (1 + (S/R₀ − 1)·exp(−2λSt))</c>, from <c>dR/dt = 2λR(S − R)</c>.
    /// t in units of η·steps. Evaluated as S·(1 − u), u = 1/(1 + e^{2λSt − ln K}) without overflow (spec §0.1) when R₀ &lt; S.
    /// </summary>
    public static Func<double, double> Balanced(BalancedMode m)
    {
        m.Validate();
        double s = m.S,
            lam = m.Lambda,
            k = m.K;
        if (k > 0)
        {
            double lnK = Math.Log(k);
            return t => s * (1 - Num.LogisticTail(2 * lam * s * t, lnK));
        }
        return t => s / (1 + k * Math.Exp(-2 * lam * s * t));
    }

    /// <summary>
    /// MUST-FAIL CONTROL (R10): the linear-model exponential of thesis Eq 3.10, <c>θ(t) = S − (S − R₀)e^{−λt}</c>
    /// (no delay), offered in place of the sigmoid.
    /// </summary>
    public static Func<double, double> LinearModel(BalancedMode m) =>
        t => m.S - (m.S - m.R0) * Math.Exp(-m.Lambda * t);

    /// <summary>Right-hand side of R9 for one mode: <c>da/dt = −λb(ab − S)</c>, <c>db/dt = −λa(ab − S)</c>; y = [a, b].</summary>
    public static Derivative Flow(double s, double lambda) =>
        (_, y, dy) =>
        {
            double r = lambda * (y[0] * y[1] - s);
            dy[0] = -r * y[1];
            dy[1] = -r * y[0];
        };

    /// <summary>
    /// Simulator with the signature of <see cref="Balanced"/>: RK4 on (a, b) from a = b = √R₀, step h = 0.0065/(λS)
    /// (spec R10), returns R = a·b at t.
    /// </summary>
    public static Func<double, double> SimulateBalanced(BalancedMode m)
    {
        m.Validate();
        double a = Math.Sqrt(m.R0);
        var traj = new OdeTrajectory(
            Flow(m.S, m.Lambda),
            [a, a],
            0.0065 / (m.Lambda * Math.Max(m.S, m.R0))
        );
        return t =>
        {
            var y = traj.At(t);
            return y[0] * y[1];
        };
    }

    /// <summary>
    /// R11 (closed form = R30 with p = 1, Z = 1, corrected rate 2Ω): [a(t), b(t)] with
    /// <c>a = ((a₀+b₀)/2)γ^{1/2} + ((a₀−b₀)/2)γ^{−1/2}</c>, <c>b = ((a₀+b₀)/2)γ^{1/2} − ((a₀−b₀)/2)γ^{−1/2}</c>,
    /// γ evaluated at τ = λt, Ω = √(S² + (a₀² − b₀²)²/4). t in units of η·steps.
    /// </summary>
    public static Func<double, double[]> Unequal(UnequalMode m)
    {
        var f = LazyRich.State(m.AsNetwork());
        return t => f(m.Lambda * t);
    }

    /// <summary>MUST-FAIL CONTROL (Errata E1): <see cref="Unequal"/> with the thesis' rate 4Ω.</summary>
    public static Func<double, double[]> UnequalThesisRate(UnequalMode m)
    {
        var f = LazyRich.StateThesisEq612(m.AsNetwork());
        return t => f(m.Lambda * t);
    }

    /// <summary>Simulator with the signature of <see cref="Unequal"/>: RK4 on (a, b), h = 0.01/(λ·max(Σ₀, Ω)).</summary>
    public static Func<double, double[]> SimulateUnequal(UnequalMode m)
    {
        var n = m.AsNetwork();
        var traj = new OdeTrajectory(
            Flow(m.S, m.Lambda),
            [m.A0, m.B0],
            0.01 / (m.Lambda * Math.Max(n.Sigma0, n.Omega))
        );
        return traj.At;
    }

    /// <summary>
    /// Discrete gradient descent on one mode (spec §0 GD, R12): <c>a ← a − η·λb(ab − S)</c>, <c>b ← b − η·λa(ab − S)</c>
    /// with the old values. Returns the states [aₙ, bₙ] for n = 0..<paramref name="steps"/>; step n approximates GF time
    /// t = n·η.
    /// </summary>
    public static (double[] A, double[] B) GradientDescent(
        double a0,
        double b0,
        double s,
        double lambda,
        double eta,
        int steps
    )
    {
        var a = new double[steps + 1];
        var b = new double[steps + 1];
        a[0] = a0;
        b[0] = b0;
        for (int n = 0; n < steps; n++)
        {
            double g = lambda * (a[n] * b[n] - s);
            a[n + 1] = a[n] - eta * g * b[n];
            b[n + 1] = b[n] - eta * g * a[n];
        }
        return (a, b);
    }

    /// <summary>
    /// R12(a), exact: one GD step with g = λ(ab − S) multiplies the GF invariant a² − b² by <c>1 − η²g²</c>
    /// (so GD shrinks imbalance; GF keeps it).
    /// </summary>
    public static double DriftFactor(double eta, double g) => 1 - eta * eta * g * g;

    /// <summary>R12(b), exact: with balanced init the fixed point S of <c>R ← R(1 − ηλ(R − S))²</c> attracts iff 0 &lt; ηλS &lt; 1.</summary>
    public static bool BalancedGdStable(double eta, double lambda, double s) =>
        eta * lambda * s > 0 && eta * lambda * s < 1;

    /// <summary>
    /// R12(c): the top Hessian eigenvalue at a minimum is 2λΣ_∞/Z ≥ 2λS/Z, so η &gt; Z/(λS) can never converge (any init).
    /// Returns the largest η that may converge, Z/(λS).
    /// </summary>
    public static double GdLearningRateCeiling(double z, double lambda, double s) =>
        z / (lambda * Math.Abs(s));

    /// <summary>
    /// R12(d), derived in the spec: for ηλS ≤ 0.1 and balanced init, <c>maxₙ |Rₙ − R(nη)|/S ≤ ηλS·(0.15·ln K + 0.1)</c>,
    /// K = S/R₀ − 1. Returns the bound (relative to S).
    /// </summary>
    public static double GdTrackingBound(double eta, double lambda, double s, double k) =>
        eta * lambda * s * (0.15 * Math.Log(k) + 0.1);
}
