namespace Telescope.Theory;

/// <summary>
/// Premise of spec §8 (R29–R32): the width-p scalar network <c>f(x) = (x/Z)·Σᵢ aᵢbᵢ</c>, target <c>f* = S·x</c>,
/// E[x²] = 1, loss <c>½(θ − S)²</c> with <c>θ = Σaᵢbᵢ/Z</c>, gradient flow η = 1:
/// <c>daᵢ/dt = −(θ − S)bᵢ/Z</c>, <c>dbᵢ/dt = −(θ − S)aᵢ/Z</c>. Time t is in units of η·(GD steps)·E[x²].
/// Requires Σ₀ + S₀ &gt; 0 (a(0) + b(0) ≠ 0 as vectors; otherwise the saddle a + b = 0 is never left).
/// </summary>
public sealed record ScalarNetwork
{
    /// <summary>First-layer weights at t = 0.</summary>
    public double[] A0 { get; }

    /// <summary>Second-layer weights at t = 0.</summary>
    public double[] B0 { get; }

    /// <summary>Output scale Z &gt; 0 (Z = 1 standard, Z = √p NTK, Z = p mean field).</summary>
    public double Z { get; }

    /// <summary>Target scale S.</summary>
    public double S { get; }

    /// <summary>Build and check the premise; throws <see cref="ArgumentException"/> naming the violated premise.</summary>
    public ScalarNetwork(double[] a0, double[] b0, double z, double s)
    {
        if (a0.Length == 0 || a0.Length != b0.Length)
            throw new ArgumentException("a(0) and b(0) must have the same length p ≥ 1");
        if (!(z > 0) || double.IsInfinity(z))
            throw new ArgumentOutOfRangeException(nameof(z), "output scale Z must be positive");
        if (!double.IsFinite(s))
            throw new ArgumentOutOfRangeException(nameof(s), "target scale S must be finite");
        A0 = (double[])a0.Clone();
        B0 = (double[])b0.Clone();
        Z = z;
        S = s;
        if (!(Sigma0 + S0 > 1e-12 * Sigma0) || !(Sigma0 > 0))
            throw new ArgumentException(
                "premise Σ₀ + S₀ > 0 violated: a(0) + b(0) = 0 is the saddle of Theorem 1 (R30), γ(t) is undefined there"
            );
    }

    /// <summary>Width p.</summary>
    public int P => A0.Length;

    /// <summary><c>S₀ = (1/Z)Σⱼ aⱼ(0)bⱼ(0) = θ(0)</c> (R30).</summary>
    public double S0 => Dot(A0, B0) / Z;

    /// <summary><c>Σ₀ = (1/Z)Σⱼ (aⱼ(0)² + bⱼ(0)²)/2</c> (R30), Σ₀ ≥ |S₀|.</summary>
    public double Sigma0 => (Dot(A0, A0) + Dot(B0, B0)) / (2 * Z);

    /// <summary><c>Ω = √(Σ₀² − S₀² + S²)</c> (R30); also Σ(∞) (R31) and the GD stability scale (R12(c)).</summary>
    public double Omega => Math.Sqrt(Math.Max(0, Sigma0 * Sigma0 - S0 * S0) + S * S);

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++)
            s += a[i] * b[i];
        return s;
    }
}

/// <summary>
/// Lazy versus rich dynamics of the scalar network (spec §8, thesis ch. 6): the exact solution γ(t) of Theorem 1 with the
/// corrected rate (Errata E1/E12), γ₊, the conserved Σ² − θ², and the laziness measure of R32.
/// Closed forms return functions of t; <see cref="Simulate"/> returns the RK4 trajectory with the same signature.
/// </summary>
public static class LazyRich
{
    /// <summary>
    /// γ(t) of Theorem 1 (spec R30, thesis Eq 6.12 corrected, Errata E1):
    /// <c>γ(t) = [Σ₀ − S₀ + S + Ω + (−Σ₀ + S₀ − S + Ω)E] / [Σ₀ + S₀ − S + Ω + (−Σ₀ − S₀ + S + Ω)E]</c>,
    /// <c>E = exp(−2Ωt/Z)</c>. t in units of η·steps·E[x²]. The thesis prints exp(−4Ωt/Z), right only for a loss without ½
    /// (see <see cref="GammaThesisEq612"/>, kept as the must-fail control).
    /// </summary>
    public static Func<double, double> Gamma(ScalarNetwork n) => GammaWithRate(n, 2.0);

    /// <summary>
    /// MUST-FAIL CONTROL (Errata E1): thesis Eq 6.12 as printed, exponent exp(−4Ωt/Z). Off by up to ~1.7 in the
    /// parameters against RK4 (R11, R30).
    /// </summary>
    public static Func<double, double> GammaThesisEq612(ScalarNetwork n) => GammaWithRate(n, 4.0);

    private static Func<double, double> GammaWithRate(ScalarNetwork n, double rate)
    {
        double s0 = n.S0,
            sg = n.Sigma0,
            om = n.Omega,
            z = n.Z;
        var (plus, minus) = OmegaPlusMinusS(n);
        return t =>
        {
            double e = Math.Exp(-rate * om * t / z);
            double num = sg - s0 + plus + (-sg + s0 + minus) * e;
            double den = sg + s0 + minus + (-sg - s0 + plus) * e;
            return num / den;
        };
    }

    /// <summary>
    /// Ω + S and Ω − S without cancellation: one of them loses digits when |S| ≫ Σ₀ (Ω ≈ |S|), so it is taken as
    /// (Ω² − S²)/(Ω ∓ S) = (Σ₀² − S₀²)/(Ω ∓ S).
    /// </summary>
    private static (double Plus, double Minus) OmegaPlusMinusS(ScalarNetwork n)
    {
        double s = n.S,
            om = n.Omega,
            d = Math.Max(0, n.Sigma0 * n.Sigma0 - n.S0 * n.S0);
        return s >= 0 ? (om + s, d / (om + s)) : (d / (om - s), om - s);
    }

    /// <summary>
    /// The whole state from γ (R30, Eq 6.10–6.11): <c>aᵢ(t) = ((aᵢ(0)+bᵢ(0))/2)γ^{1/2} + ((aᵢ(0)−bᵢ(0))/2)γ^{−1/2}</c>,
    /// <c>bᵢ(t) = ((aᵢ(0)+bᵢ(0))/2)γ^{1/2} − ((aᵢ(0)−bᵢ(0))/2)γ^{−1/2}</c>; returned as [a₁..a_p, b₁..b_p]. t as in <see cref="Gamma"/>.
    /// </summary>
    public static Func<double, double[]> State(ScalarNetwork n) => StateFrom(n, Gamma(n));

    /// <summary>MUST-FAIL CONTROL: <see cref="State"/> driven by the thesis' γ (rate 4Ω/Z, Errata E1).</summary>
    public static Func<double, double[]> StateThesisEq612(ScalarNetwork n) =>
        StateFrom(n, GammaThesisEq612(n));

    private static Func<double, double[]> StateFrom(ScalarNetwork n, Func<double, double> gamma) =>
        t =>
        {
            double g = gamma(t),
                sq = Math.Sqrt(g);
            int p = n.P;
            var y = new double[2 * p];
            for (int i = 0; i < p; i++)
            {
                double plus = (n.A0[i] + n.B0[i]) / 2,
                    minus = (n.A0[i] - n.B0[i]) / 2;
                y[i] = plus * sq + minus / sq;
                y[p + i] = plus * sq - minus / sq;
            }
            return y;
        };

    /// <summary>θ(t) = [γ(Σ₀+S₀) − (Σ₀−S₀)/γ]/2 (R30). t as in <see cref="Gamma"/>.</summary>
    public static Func<double, double> Theta(ScalarNetwork n)
    {
        var g = Gamma(n);
        double sp = n.Sigma0 + n.S0,
            sm = n.Sigma0 - n.S0;
        return t =>
        {
            double x = g(t);
            return (x * sp - sm / x) / 2;
        };
    }

    /// <summary>Σ(t) := (1/Z)Σᵢ(aᵢ² + bᵢ²)/2 = [γ(Σ₀+S₀) + (Σ₀−S₀)/γ]/2 (R30). t as in <see cref="Gamma"/>.</summary>
    public static Func<double, double> Sigma(ScalarNetwork n)
    {
        var g = Gamma(n);
        double sp = n.Sigma0 + n.S0,
            sm = n.Sigma0 - n.S0;
        return t =>
        {
            double x = g(t);
            return (x * sp + sm / x) / 2;
        };
    }

    /// <summary>γ₊ = lim γ(t) = (S + Ω)/(Σ₀ + S₀) (R31, Eq 6.14). Larger γ₊ means richer dynamics.</summary>
    public static double GammaPlus(ScalarNetwork n) => OmegaPlusMinusS(n).Plus / (n.Sigma0 + n.S0);

    /// <summary>Lower bound γ₊ ≥ S/Σ₀ for S &gt; 0 (R31), equality iff every aᵢ(0) = bᵢ(0).</summary>
    public static double GammaPlusLowerBound(ScalarNetwork n) => n.S / n.Sigma0;

    /// <summary>Conserved quantity Σ(t)² − θ(t)² = Σ₀² − S₀² under gradient flow (R31, derived in the spec).</summary>
    public static double ConservedSigma2MinusTheta2(ScalarNetwork n) =>
        n.Sigma0 * n.Sigma0 - n.S0 * n.S0;

    /// <summary>The gradient-flow right-hand side on y = [a₁..a_p, b₁..b_p] (spec §8 model, η = 1, E[x²] = 1).</summary>
    public static Derivative Flow(ScalarNetwork n)
    {
        int p = n.P;
        double z = n.Z,
            s = n.S;
        return (_, y, dy) =>
        {
            double th = 0;
            for (int i = 0; i < p; i++)
                th += y[i] * y[p + i];
            double r = th / z - s;
            for (int i = 0; i < p; i++)
            {
                dy[i] = -r * y[p + i] / z;
                dy[p + i] = -r * y[i] / z;
            }
        };
    }

    /// <summary>
    /// Simulator with the signature of <see cref="State"/>: RK4 on all 2p parameters, step h = 0.02/(top rate) where the
    /// rate is the Hessian scale 2·max(Σ₀, Ω)/Z (spec §0 "Simulators"), or <paramref name="maxStep"/> if given.
    /// </summary>
    public static Func<double, double[]> Simulate(ScalarNetwork n, double? maxStep = null)
    {
        double rate = 2 * Math.Max(n.Sigma0, n.Omega) / n.Z + 1e-300;
        var traj = new OdeTrajectory(Flow(n), [.. n.A0, .. n.B0], maxStep ?? 0.02 / rate);
        return traj.At;
    }

    /// <summary>
    /// Discrete GD on the scalar network with input second moment λ (R12(c)): <c>aᵢ ← aᵢ − η·λ(θ − S)bᵢ/Z</c>,
    /// <c>bᵢ ← bᵢ − η·λ(θ − S)aᵢ/Z</c> (old values). Returns the final state [a₁..a_p, b₁..b_p] after
    /// <paramref name="steps"/> steps, or null when it diverges (a non-finite or |θ| &gt; 10⁶·(1 + |S|) state).
    /// </summary>
    public static double[]? GradientDescent(ScalarNetwork n, double lambda, double eta, int steps)
    {
        int p = n.P;
        var y = new double[2 * p];
        n.A0.CopyTo(y, 0);
        n.B0.CopyTo(y, p);
        for (int s = 0; s < steps; s++)
        {
            double th = 0;
            for (int i = 0; i < p; i++)
                th += y[i] * y[p + i];
            th /= n.Z;
            if (!double.IsFinite(th) || Math.Abs(th) > 1e6 * (1 + Math.Abs(n.S)))
                return null;
            double g = eta * lambda * (th - n.S) / n.Z;
            for (int i = 0; i < p; i++)
            {
                double a = y[i];
                y[i] -= g * y[p + i];
                y[p + i] -= g * a;
            }
        }
        return y;
    }

    /// <summary>θ and Σ of a state vector [a, b] (helpers for simulated trajectories).</summary>
    public static (double Theta, double Sigma) Moments(ScalarNetwork n, double[] y)
    {
        int p = n.P;
        double th = 0,
            sg = 0;
        for (int i = 0; i < p; i++)
        {
            th += y[i] * y[p + i];
            sg += (y[i] * y[i] + y[p + i] * y[p + i]) / 2;
        }
        return (th / n.Z, sg / n.Z);
    }

    /// <summary>
    /// Linearised (NTK) trajectory <c>θ_lin(t) = S + (S₀ − S)e^{−2Σ₀t/Z}</c> (R32): the lazy prediction.
    /// </summary>
    public static Func<double, double> ThetaLinearised(ScalarNetwork n) =>
        t => n.S + (n.S0 - n.S) * Math.Exp(-2 * n.Sigma0 * t / n.Z);

    /// <summary>
    /// Laziness deviation <c>dev = sup_t |θ(t) − θ_lin(t)| / |S − S₀|</c> (R32), evaluated on a grid of
    /// <paramref name="points"/> times up to 40·Z/min(Σ₀, Ω) using the exact θ(t).
    /// Spec bound (empirical, derived there): dev ≤ 0.25·|ln γ₊|.
    /// </summary>
    public static double LazinessDeviation(ScalarNetwork n, int points = 4000)
    {
        var th = Theta(n);
        var lin = ThetaLinearised(n);
        double horizon = 40 * n.Z / Math.Min(n.Sigma0, n.Omega);
        double dev = 0;
        for (int i = 0; i <= points; i++)
        {
            // dense near 0, where the two trajectories separate
            double t = horizon * Math.Pow((double)i / points, 2);
            dev = Math.Max(dev, Math.Abs(th(t) - lin(t)));
        }
        return dev / Math.Abs(n.S - n.S0);
    }
}
