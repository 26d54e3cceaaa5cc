namespace Telescope.Theory;

/// <summary>Exponent of a scaling law: the closed form next to the least-squares slope measured over a window.</summary>
/// <param name="Law">Which law (time, data, parameters, compute_loss, compute_N, compute_T, …).</param>
/// <param name="ClosedForm">The exponent the theory predicts.</param>
/// <param name="Measured">Least-squares slope of ln(L + L_C) (or ln N*, ln T*) against ln(resource).</param>
/// <param name="X">The resource values of the window.</param>
/// <param name="Y">The fitted values (L + L_C, or N*, T*).</param>
public sealed record ExponentFit(
    string Law,
    double ClosedForm,
    double Measured,
    double[] X,
    double[] Y
);

/// <summary>
/// Scaling laws of the multilinear model (spec §6, R21–R24; thesis ch. 4 §4.3, app. C.1–C.2). Balanced init R₀ = a₀²,
/// K = S/R₀ − 1, GF rate η (time T in GD steps of size η, i.e. T = n·η when η = 1 in the flow). All exponent fits use
/// the finite-n_s completion L_C (<see cref="SkillFrequencies.Completion"/>) unless told not to.
/// </summary>
public static class Scaling
{
    /// <summary>Time exponent (R21, Eq 4.25): L(T) ∝ T^−α/(α+1).</summary>
    public static double TimeExponent(double alpha) => -alpha / (alpha + 1);

    /// <summary>Data exponent (R22, Eq 4.34): E_D[L] ∝ D^−α/(α+1).</summary>
    public static double DataExponent(double alpha) => -alpha / (alpha + 1);

    /// <summary>Parameter exponent (R23, Eq 4.36): L(N) ∝ N^−α.</summary>
    public static double ParameterExponent(double alpha) => -alpha;

    /// <summary>Compute-optimal loss exponent (R24, Eq 4.44): L* ∝ C^−α/(α+2), C = T·N.</summary>
    public static double ComputeLossExponent(double alpha) => -alpha / (alpha + 2);

    /// <summary>Compute-optimal model size (R24): N* ∝ C^{1/(α+2)}.</summary>
    public static double ComputeSizeExponent(double alpha) => 1 / (alpha + 2);

    /// <summary>Compute-optimal training time (R24): T* ∝ C^{(α+1)/(α+2)}.</summary>
    public static double ComputeTimeExponent(double alpha) => (alpha + 1) / (alpha + 2);

    /// <summary>Emergence time of skill k (spec §6): <c>τ_k = ln K/(2ηS·P_s(k))</c>.</summary>
    public static double EmergenceTime(
        SkillFrequencies p,
        int k,
        double s,
        double r0,
        double eta
    ) => Math.Log(s / r0 - 1) / (2 * eta * s * p[k]);

    /// <summary>
    /// R21/R20 with D → ∞ and N skills (N = n_s by default): <c>L(T) = (S²/2)Σ_{k≤N} P_s(k)(1 + K⁻¹e^{2ηP_s(k)ST})⁻² +
    /// (S²/2)Σ_{k&gt;N} P_s(k)</c>, each term evaluated overflow-free (spec §0.1). T in GD steps (η kept).
    /// </summary>
    public static double TimeLoss(
        SkillFrequencies p,
        double s,
        double r0,
        double eta,
        double t,
        int? n = null
    )
    {
        int nn = n ?? p.Ns;
        double lnK = Math.Log(s / r0 - 1);
        double l = 0;
        for (int k = nn; k >= 1; k--)
        {
            double u = Num.LogisticTail(2 * eta * p[k] * s * t, lnK);
            l += p[k] * u * u;
        }
        double tail = 0;
        for (int k = p.Ns; k > nn; k--)
            tail += p[k];
        return 0.5 * s * s * (l + tail);
    }

    /// <summary>
    /// Simulation of R21: discrete GD on the decoupled population model, every skill balanced
    /// (a = b = a₀): <c>a_k ← a_k − η_GD·P_s(k)·b_k(a_k b_k − S)</c> (and b_k symmetric), loss Σ_k P_s(k)·½(S − a_k b_k)².
    /// Returns the loss at each requested time (T = step·η_GD, rounded to the nearest step; times ascending).
    /// </summary>
    public static double[] TimeLossGd(
        SkillFrequencies p,
        double s,
        double a0,
        double etaGd,
        IReadOnlyList<double> times
    )
    {
        int ns = p.Ns;
        var a = Enumerable.Repeat(a0, ns).ToArray();
        var b = Enumerable.Repeat(a0, ns).ToArray();
        var result = new double[times.Count];
        long step = 0;
        for (int i = 0; i < times.Count; i++)
        {
            long target = (long)Math.Round(times[i] / etaGd);
            for (; step < target; step++)
            for (int k = 0; k < ns; k++)
            {
                double g = p[k + 1] * (a[k] * b[k] - s);
                double an = a[k] - etaGd * g * b[k];
                b[k] -= etaGd * g * a[k];
                a[k] = an;
            }
            double l = 0;
            for (int k = ns - 1; k >= 0; k--)
                l += p[k + 1] * 0.5 * (s - a[k] * b[k]) * (s - a[k] * b[k]);
            result[i] = l;
        }
        return result;
    }

    /// <summary>
    /// The integral of the time-law prefactor (R21): <c>I_α(K) = ∫₀^∞ u^{−1/(α+1)}(1 + e^u/K)⁻² du</c>, by the substitution
    /// u = w^{(α+1)/α} (removes the singularity) and the midpoint rule with 2×10⁵ points on
    /// w ∈ [0, (ln K + 40)^{α/(α+1)}] (spec §0.1).
    /// </summary>
    public static double PrefactorIntegral(double alpha, double k, int points = 200_000)
    {
        double c = (alpha + 1) / alpha;
        double wmax = Math.Pow(Math.Log(k) + 40, alpha / (alpha + 1));
        double h = wmax / points,
            lnK = Math.Log(k),
            sum = 0;
        for (int i = 0; i < points; i++)
        {
            double w = (i + 0.5) * h;
            double u = Num.LogisticTail(Math.Pow(w, c), lnK);
            sum += u * u;
        }
        return c * sum * h;
    }

    /// <summary>
    /// R21 prefactor (derived in the spec): <c>L(T) + L_C ≈ (S²A/(2(α+1)))·(2ηSA·T)^{−α/(α+1)}·I_α(K)</c>.
    /// </summary>
    public static double TimeLaw(
        SkillFrequencies p,
        double s,
        double r0,
        double eta,
        double t,
        double? integral = null
    )
    {
        double a = p.A,
            al = p.Alpha;
        double i = integral ?? PrefactorIntegral(al, s / r0 - 1);
        return s * s * a / (2 * (al + 1)) * Math.Pow(2 * eta * s * a * t, -al / (al + 1)) * i;
    }

    /// <summary>
    /// R22 (Eq 4.27–4.31): expected one-shot loss after training to convergence on D samples,
    /// <c>E_D[L] = ((S − R₀)²/2)·Σ_k P_s(k)(1 − P_s(k))^D</c> (N = n_s).
    /// </summary>
    public static double ExpectedDataLoss(SkillFrequencies p, double s, double r0, double d)
    {
        double l = 0;
        for (int k = p.Ns; k >= 1; k--)
            l += p[k] * Math.Exp(d * Math.Log(1 - p[k]));
        return 0.5 * (s - r0) * (s - r0) * l;
    }

    /// <summary>
    /// R22 prefactor (derived in the spec): <c>E_D[L] + L_C ≈ (S²A/(2(α+1)))·Γ(α/(α+1))·(A·D)^{−α/(α+1)}</c>.
    /// </summary>
    public static double DataLaw(SkillFrequencies p, double s, double d)
    {
        double a = p.A,
            al = p.Alpha;
        return s
            * s
            * a
            / (2 * (al + 1))
            * MathNet.Numerics.SpecialFunctions.Gamma(al / (al + 1))
            * Math.Pow(a * d, -al / (al + 1));
    }

    /// <summary>
    /// Simulation of R22 (one-shot learner, Eq 4.26): draw a data set of D samples (seeded), train to convergence
    /// (skill k is learned iff d_k ≥ 1, R19 at T → ∞), and return the deterministic loss
    /// <c>L = Σ_{k: d_k=0} P_s(k)(S − R₀)²/2</c>.
    /// </summary>
    public static double OneShotLoss(SkillFrequencies p, double s, double r0, int d, Rng rng)
    {
        int ns = p.Ns;
        var cdf = new double[ns];
        double c = 0;
        for (int k = 1; k <= ns; k++)
            cdf[k - 1] = c += p[k];
        cdf[ns - 1] = 1.0;
        var seen = new bool[ns];
        for (int j = 0; j < d; j++)
        {
            int idx = Array.BinarySearch(cdf, rng.Uniform());
            if (idx < 0)
                idx = ~idx;
            seen[Math.Min(idx, ns - 1)] = true;
        }
        double l = 0;
        for (int k = 1; k <= ns; k++)
            if (!seen[k - 1])
                l += p[k];
        return 0.5 * (s - r0) * (s - r0) * l;
    }

    /// <summary>
    /// R22 discrete increment (corrected; Errata E9): for the continuum integral of Eq 4.30 with normaliser A &lt; 1,
    /// <c>(E_{D+1}[L] − E_D[L])/E_D[L] = −α/((α+1)D + 2α + 1)</c> up to a boundary term O((1 − A)^{D+1}).
    /// </summary>
    public static double DataIncrement(double alpha, double d) =>
        -alpha / ((alpha + 1) * d + 2 * alpha + 1);

    /// <summary>MUST-FAIL CONTROL (Errata E9): thesis Eq 4.33, <c>−α/(1 + (α+1)D)</c> (sign slip).</summary>
    public static double DataIncrementThesisEq433(double alpha, double d) =>
        -alpha / (1 + (alpha + 1) * d);

    /// <summary>
    /// The continuum integral of Eq 4.30, <c>I(D) = ∫₁^∞ k^{−(α+1)}(1 − A·k^{−(α+1)})^D dk</c>, computed by quadrature
    /// after the substitutions u = A·k^{−(α+1)}, u = v^{(α+1)/α}:
    /// <c>I(D) = (A^{1/(α+1) − 1}/α)·∫₀^{A^{α/(α+1)}} (1 − v^{(α+1)/α})^D dv</c> (smooth integrand; double-exponential rule).
    /// </summary>
    public static double ContinuumDataIntegral(double alpha, double a, double d)
    {
        double c = (alpha + 1) / alpha;
        double upper = Math.Pow(a, alpha / (alpha + 1));
        double integral = MathNet.Numerics.Integrate.DoubleExponential(
            v => Math.Exp(d * Math.Log(Math.Max(1e-300, 1 - Math.Pow(v, c)))),
            0,
            upper,
            1e-14
        );
        return Math.Pow(a, 1 / (alpha + 1) - 1) / alpha * integral;
    }

    /// <summary>Simulated increment (I(D+1) − I(D))/I(D) from <see cref="ContinuumDataIntegral"/>.</summary>
    public static double DataIncrementByQuadrature(double alpha, double a, double d)
    {
        double i0 = ContinuumDataIntegral(alpha, a, d),
            i1 = ContinuumDataIntegral(alpha, a, d + 1);
        return (i1 - i0) / i0;
    }

    /// <summary>R23 (Eq 4.35): T, D → ∞, skills k ≤ N learned: <c>L(N) = (S²/2)Σ_{N&lt;k≤n_s} P_s(k)</c>.</summary>
    public static double ParameterLoss(SkillFrequencies p, double s, int n)
    {
        double l = 0;
        for (int k = p.Ns; k > n; k--)
            l += p[k];
        return 0.5 * s * s * l;
    }

    /// <summary>R23 prefactor (derived in the spec): <c>L(N) + L_C ≈ (S²A/(2α))·(N + ½)^{−α}</c>.</summary>
    public static double ParameterLaw(SkillFrequencies p, double s, int n) =>
        s * s * p.A / (2 * p.Alpha) * Math.Pow(n + 0.5, -p.Alpha);

    /// <summary>
    /// Simulation of R23: train the N-skill multilinear model to convergence by population GD (balanced init a₀,
    /// step η_GD = 0.5/(P_s(1)S), until every present skill is within 1e-12·S of S or 10⁷ steps) and return the
    /// population loss Σ_k P_s(k)·½(S − R_k)² over all n_s skills (R_k = 0 for the absent k &gt; N).
    /// </summary>
    public static double ParameterLossByTraining(SkillFrequencies p, double s, double a0, int n)
    {
        double loss = 0;
        double eta = 0.5 / (p[1] * s);
        for (int k = 1; k <= n; k++)
        {
            double a = a0,
                b = a0;
            for (int st = 0; st < 10_000_000 && Math.Abs(a * b - s) > 1e-12 * s; st++)
            {
                double g = p[k] * (a * b - s);
                double an = a - eta * g * b;
                b -= eta * g * a;
                a = an;
            }
            loss += p[k] * 0.5 * (s - a * b) * (s - a * b);
        }
        for (int k = n + 1; k <= p.Ns; k++)
            loss += p[k] * 0.5 * s * s;
        return loss;
    }

    /// <summary>
    /// Fit the time exponent (R21) over the spec's window T ∈ [10τ₁, τ_{n_s/100}], <paramref name="points"/> log points,
    /// on ln(L + L_C) (or ln L when <paramref name="completion"/> is false). <paramref name="loss"/> maps the times to losses
    /// (closed-form sum or GD simulation).
    /// </summary>
    public static ExponentFit FitTime(
        SkillFrequencies p,
        double s,
        double r0,
        double eta,
        Func<double[], double[]> loss,
        bool completion = true,
        int points = 12,
        int? kMax = null
    )
    {
        double lo = 10 * EmergenceTime(p, 1, s, r0, eta);
        double hi = EmergenceTime(p, kMax ?? Math.Max(2, p.Ns / 100), s, r0, eta);
        var t = Num.LogSpace(lo, hi, points);
        double lc = completion ? p.Completion(s) : 0;
        var y = loss(t).Select(l => l + lc).ToArray();
        return new ExponentFit("time", TimeExponent(p.Alpha), Num.LogLogSlope(t, y), t, y);
    }

    /// <summary>Fit the data exponent (R22) over D ∈ [30/A, 0.01·n_s^{α+1}/A], 10 log points, on ln(E_D[L] + L_C).</summary>
    public static ExponentFit FitData(
        SkillFrequencies p,
        double s,
        double r0,
        bool completion = true,
        int points = 10
    )
    {
        double lo = 30 / p.A,
            hi = 0.01 * Math.Pow(p.Ns, p.Alpha + 1) / p.A;
        var d = Num.LogSpace(lo, hi, points);
        double lc = completion ? p.Completion(s) : 0;
        var y = d.Select(x => ExpectedDataLoss(p, s, r0, x) + lc).ToArray();
        return new ExponentFit("data", DataExponent(p.Alpha), Num.LogLogSlope(d, y), d, y);
    }

    /// <summary>Fit the parameter exponent (R23) over N ∈ [10, n_s/100] (integers, ≥ 8 log points), on ln(L(N) + L_C).</summary>
    public static ExponentFit FitParameters(
        SkillFrequencies p,
        double s,
        bool completion = true,
        int points = 10
    )
    {
        var n = Num.LogSpace(10, Math.Max(20, p.Ns / 100), points)
            .Select(x => Math.Round(x))
            .Distinct()
            .ToArray();
        double lc = completion ? p.Completion(s) : 0;
        var y = n.Select(x => ParameterLoss(p, s, (int)x) + lc).ToArray();
        return new ExponentFit(
            "parameters",
            ParameterExponent(p.Alpha),
            Num.LogLogSlope(n, y),
            n,
            y
        );
    }

    /// <summary>
    /// Compute-optimal frontier (R24): for each compute C ∈ [10³τ₁, 10⁶τ₁] (<paramref name="points"/> log points) minimise
    /// L(T = C/N, N) + L_C over N on a log grid of <paramref name="gridPoints"/> integers in [2, n_s/10]; returns the fits
    /// of L*, N*, T* against C (closed forms −α/(α+2), 1/(α+2), (α+1)/(α+2)).
    /// </summary>
    public static ExponentFit[] FitCompute(
        SkillFrequencies p,
        double s,
        double r0,
        double eta,
        int points = 8,
        int gridPoints = 300
    )
    {
        double tau1 = EmergenceTime(p, 1, s, r0, eta);
        var c = Num.LogSpace(1e3 * tau1, 1e6 * tau1, points);
        var grid = Num.LogSpace(2, p.Ns / 10.0, gridPoints)
            .Select(x => (int)Math.Round(x))
            .Distinct()
            .ToArray();
        double lc = p.Completion(s);
        double lnK = Math.Log(s / r0 - 1);
        // tail[N] = Σ_{k>N} P_s(k)
        var tail = new double[p.Ns + 1];
        for (int k = p.Ns - 1; k >= 0; k--)
            tail[k] = tail[k + 1] + p[k + 1];
        var lStar = new double[points];
        var nStar = new double[points];
        var tStar = new double[points];
        for (int i = 0; i < points; i++)
        {
            double best = double.PositiveInfinity;
            int bestN = grid[0];
            foreach (int n in grid)
            {
                double t = c[i] / n;
                double l = 0;
                for (int k = n; k >= 1; k--)
                {
                    double u = Num.LogisticTail(2 * eta * p[k] * s * t, lnK);
                    l += p[k] * u * u;
                }
                double total = 0.5 * s * s * (l + tail[n]) + lc;
                if (total < best)
                {
                    best = total;
                    bestN = n;
                }
            }
            lStar[i] = best;
            nStar[i] = bestN;
            tStar[i] = c[i] / bestN;
        }
        double al = p.Alpha;
        return
        [
            new ExponentFit(
                "compute_loss",
                ComputeLossExponent(al),
                Num.LogLogSlope(c, lStar),
                c,
                lStar
            ),
            new ExponentFit(
                "compute_N",
                ComputeSizeExponent(al),
                Num.LogLogSlope(c, nStar),
                c,
                nStar
            ),
            new ExponentFit(
                "compute_T",
                ComputeTimeExponent(al),
                Num.LogLogSlope(c, tStar),
                c,
                tStar
            ),
        ];
    }
}
