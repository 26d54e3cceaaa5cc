namespace Telescope.Theory;

/// <summary>
/// Skill frequencies of multitask sparse parity (spec §0 symbols, R18): <c>P_s(k) = A·k^−(α+1)</c>,
/// <c>A = 1/Σ_{j=1..n_s} j^−(α+1)</c>.
/// </summary>
public sealed record SkillFrequencies
{
    /// <summary>Power-law exponent α &gt; 0.</summary>
    public double Alpha { get; }

    /// <summary>Number of skills n_s ≥ 1.</summary>
    public int Ns { get; }

    /// <summary>Normaliser A.</summary>
    public double A { get; }

    private readonly double[] _p;

    /// <summary>Build the frequencies; throws when α ≤ 0 or n_s &lt; 1.</summary>
    public SkillFrequencies(double alpha, int ns)
    {
        if (!(alpha > 0) || !double.IsFinite(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), "premise α > 0 violated");
        if (ns < 1)
            throw new ArgumentOutOfRangeException(nameof(ns), "premise n_s ≥ 1 violated");
        Alpha = alpha;
        Ns = ns;
        _p = new double[ns];
        double z = 0;
        for (int j = ns; j >= 1; j--)
            z += Math.Pow(j, -(alpha + 1));
        A = 1 / z;
        for (int k = 1; k <= ns; k++)
            _p[k - 1] = A * Math.Pow(k, -(alpha + 1));
    }

    /// <summary>P_s(k) for k = 1..n_s.</summary>
    public double this[int k] => _p[k - 1];

    /// <summary>All P_s(k), index k − 1.</summary>
    public IReadOnlyList<double> Probabilities => _p;

    /// <summary>
    /// Finite-n_s completion (spec §6): <c>L_C = S²·A·n_s^−α/(2α)</c>, the loss of the missing skills n_s+1..∞ with the
    /// same A. Added before fitting exponents.
    /// </summary>
    public double Completion(double s) => s * s * A * Math.Pow(Ns, -Alpha) / (2 * Alpha);
}

/// <summary>One sample of multitask sparse parity: the skill index (1-based) and the skill bits.</summary>
public readonly record struct ParitySample(int Skill, bool[] Bits);

/// <summary>
/// Multitask sparse parity (spec R18, thesis Eq 4.1–4.8): skill I ~ P_s, bits X uniform on {0,1}^{n_b}; skill k reads
/// the m bits M_k = {m(k−1), …, mk−1}; <c>g_k(i, x) = (−1)^{Σ_{j∈M_k} x_j}</c> if i = k else 0; target f* = S·Σ_k g_k.
/// </summary>
public sealed record SparseParity(SkillFrequencies Frequencies, int Nb, int M, double S)
{
    /// <summary>Throws when the bit sets do not fit (m·n_s ≤ n_b) or S is not positive.</summary>
    public SparseParity Validate()
    {
        if (M < 1 || M * Frequencies.Ns > Nb)
            throw new ArgumentException(
                "premise m·n_s ≤ n_b (mutually exclusive skill bits) violated"
            );
        if (!(S > 0))
            throw new ArgumentOutOfRangeException(nameof(S), "premise S > 0 violated");
        return this;
    }

    /// <summary>Draw D samples with a seeded generator (spec R18 pseudo-code: inverse-CDF skill, fair bits).</summary>
    public ParitySample[] Sample(int d, Rng rng)
    {
        Validate();
        int ns = Frequencies.Ns;
        var cdf = new double[ns];
        double c = 0;
        for (int k = 1; k <= ns; k++)
            cdf[k - 1] = c += Frequencies[k];
        var r = new ParitySample[d];
        for (int j = 0; j < d; j++)
        {
            double u = rng.Uniform();
            int k = 1;
            while (k < ns && !(u < cdf[k - 1]))
                k++;
            var bits = new bool[Nb];
            for (int b = 0; b < Nb; b++)
                bits[b] = rng.Bit() == 1;
            r[j] = new ParitySample(k, bits);
        }
        return r;
    }

    /// <summary>Skill function g_k(i, x) (R18): the parity of the bits M_k when the control selects k, else 0.</summary>
    public double G(int k, in ParitySample x)
    {
        if (x.Skill != k)
            return 0.0;
        int ones = 0;
        for (int j = M * (k - 1); j < M * k; j++)
            if (x.Bits[j])
                ones++;
        return (ones & 1) == 0 ? 1.0 : -1.0;
    }

    /// <summary>Target f*(i, x) = S·Σ_k g_k(i, x).</summary>
    public double Target(in ParitySample x) => S * G(x.Skill, x);

    /// <summary>d_k: number of samples whose control bits select skill k, k = 1..n_s (index k − 1).</summary>
    public int[] Counts(IReadOnlyList<ParitySample> data)
    {
        var d = new int[Frequencies.Ns];
        foreach (var x in data)
            d[x.Skill - 1]++;
        return d;
    }
}

/// <summary>
/// The multilinear model on multitask sparse parity (spec §5, R19–R20; thesis ch. 4):
/// <c>f(i, x) = Σ_{k≤N} a_k b_k g_k(i, x)</c>, empirical loss <c>(1/(2D))Σⱼ(yⱼ − f(iⱼ, xⱼ))²</c>, time T = GD steps (η kept).
/// </summary>
public static class Multilinear
{
    /// <summary>
    /// R19 (thesis Eq 4.11 / B.1 with training counts): balanced a_k(0) = b_k(0) = √R₀,
    /// <c>R_k(T) = S / (1 + (S/R₀ − 1)·exp(−2·η·(d_k/D)·S·T))</c> for k ≤ N with d_k ≥ 1 (d_k = 0: stays at R₀;
    /// k &gt; N: absent, 0). T in GD steps. Returns [R₁..R_N] at T.
    /// </summary>
    public static Func<double, double[]> SkillStrengths(
        int[] counts,
        int d,
        int n,
        double s,
        double r0,
        double eta
    )
    {
        var rate = new double[n];
        for (int k = 0; k < n; k++)
            rate[k] = eta * counts[k] / d;
        return SkillStrengthsWithRates(rate, s, r0);
    }

    /// <summary>
    /// MUST-FAIL CONTROL (R19): the population rate η·P_s(k) in place of η·d_k/D (says an unseen skill is learned).
    /// </summary>
    public static Func<double, double[]> SkillStrengthsPopulationRate(
        SkillFrequencies p,
        int n,
        double s,
        double r0,
        double eta
    )
    {
        var rate = new double[n];
        for (int k = 0; k < n; k++)
            rate[k] = eta * p[k + 1];
        return SkillStrengthsWithRates(rate, s, r0);
    }

    private static Func<double, double[]> SkillStrengthsWithRates(
        double[] rate,
        double s,
        double r0
    )
    {
        var f = rate.Select(l => l > 0 ? Sigmoid.Balanced(new BalancedMode(s, l, r0)) : (_ => r0))
            .ToArray();
        return t => f.Select(g => g(t)).ToArray();
    }

    /// <summary>
    /// R20 (thesis Eq 4.17): <c>L(T; D, N) = (S²/2)Σ_{k≤N} P_s(k)(1 + K⁻¹e^{2η(d_k/D)ST})⁻² + (S²/2)Σ_{N&lt;k≤n_s} P_s(k)</c>
    /// with K = S/R₀ − 1 (generalisation weights P_s(k), training counts d_k). An unseen skill (d_k = 0) keeps
    /// ½(S − R₀)². T in GD steps.
    /// </summary>
    public static Func<double, double> Loss(
        SkillFrequencies p,
        int[] counts,
        int d,
        int n,
        double s,
        double r0,
        double eta
    )
    {
        var r = SkillStrengths(counts, d, n, s, r0, eta);
        double tail = 0;
        for (int k = n + 1; k <= p.Ns; k++)
            tail += p[k];
        return t =>
        {
            var rk = r(t);
            double l = 0;
            for (int k = 1; k <= n; k++)
                l += p[k] * 0.5 * (s - rk[k - 1]) * (s - rk[k - 1]);
            return l + 0.5 * s * s * tail;
        };
    }

    /// <summary>The design matrix G[j, k] = g_k(sample j) for k = 1..N, evaluated generically from every basis function.</summary>
    public static double[,] Design(SparseParity task, IReadOnlyList<ParitySample> data, int n)
    {
        var g = new double[data.Count, n];
        for (int j = 0; j < data.Count; j++)
        for (int k = 1; k <= n; k++)
            g[j, k - 1] = task.G(k, data[j]);
        return g;
    }

    /// <summary>
    /// Simulation of R19, discrete GD on sampled data (spec R19 "GD loop"): for each step, for every sample j,
    /// f_j = Σ_k a_k b_k g_k(j), r_j = f_j − y_j; ∂L/∂a_k = (1/D)Σ_j r_j b_k g_k(j), ∂L/∂b_k = (1/D)Σ_j r_j a_k g_k(j);
    /// both updated from the old values. The gradient is computed from all N basis functions on every sample (the
    /// decoupling is not assumed). Since (1/D)Σ_j r_j g_k(j) = (Mθ − v)_k with θ_k = a_k b_k and the sample moments
    /// M = GᵀG/D, v = Gᵀy/D (M in full), each step costs O(N²) instead of O(D·N): the same sums, grouped once.
    /// Returns R_k = a_k b_k (= E_X[g_k f] since g_k² = 1) after each of <paramref name="steps"/> steps, row n = state
    /// after n steps (row 0 = init).
    /// </summary>
    public static double[][] TrainGd(
        SparseParity task,
        IReadOnlyList<ParitySample> data,
        int n,
        double a0,
        double eta,
        int steps
    )
    {
        var g = Design(task, data, n);
        int d = data.Count;
        var mm = new double[n, n];
        var v = new double[n];
        for (int j = 0; j < d; j++)
        {
            double yj = task.Target(data[j]);
            for (int k = 0; k < n; k++)
            {
                if (g[j, k] == 0)
                    continue;
                v[k] += g[j, k] * yj / d;
                for (int l = 0; l < n; l++)
                    mm[k, l] += g[j, k] * g[j, l] / d;
            }
        }
        var a = Enumerable.Repeat(a0, n).ToArray();
        var b = Enumerable.Repeat(a0, n).ToArray();
        var theta = new double[n];
        var hist = new double[steps + 1][];
        hist[0] = a.Zip(b, (u, w) => u * w).ToArray();
        for (int st = 1; st <= steps; st++)
        {
            for (int k = 0; k < n; k++)
                theta[k] = a[k] * b[k];
            for (int k = 0; k < n; k++)
            {
                double r = -v[k];
                for (int l = 0; l < n; l++)
                    r += mm[k, l] * theta[l];
                double ak = a[k];
                a[k] -= eta * b[k] * r;
                b[k] -= eta * ak * r;
            }
            hist[st] = a.Zip(b, (u, w) => u * w).ToArray();
        }
        return hist;
    }

    /// <summary>
    /// Simulation of R19 by gradient flow on the same sampled data (RK4): the empirical loss is quadratic in
    /// θ_k = a_k b_k through the sufficient statistics M = GᵀG/D and v = Gᵀy/D computed from the samples (no decoupling
    /// assumed: M is used in full), <c>da_k/dT = −η b_k (Mθ − v)_k</c>, <c>db_k/dT = −η a_k (Mθ − v)_k</c>.
    /// Same signature as <see cref="SkillStrengths"/>. Step h = 0.02/(2η·max_k M_kk·S).
    /// </summary>
    public static Func<double, double[]> SimulateGradientFlow(
        SparseParity task,
        IReadOnlyList<ParitySample> data,
        int n,
        double a0,
        double eta
    )
    {
        var g = Design(task, data, n);
        int d = data.Count;
        var mm = new double[n, n];
        var v = new double[n];
        double top = 0;
        for (int j = 0; j < d; j++)
        {
            double yj = task.Target(data[j]);
            for (int k = 0; k < n; k++)
            {
                if (g[j, k] == 0)
                    continue;
                v[k] += g[j, k] * yj / d;
                for (int l = 0; l < n; l++)
                    mm[k, l] += g[j, k] * g[j, l] / d;
            }
        }
        for (int k = 0; k < n; k++)
            top = Math.Max(top, mm[k, k]);
        Derivative f = (_, y, dy) =>
        {
            for (int k = 0; k < n; k++)
            {
                double gr = -v[k];
                for (int l = 0; l < n; l++)
                    gr += mm[k, l] * y[l] * y[n + l];
                dy[k] = -eta * y[n + k] * gr;
                dy[n + k] = -eta * y[k] * gr;
            }
        };
        var traj = new OdeTrajectory(
            f,
            Enumerable.Repeat(a0, 2 * n).ToArray(),
            0.01 / (eta * Math.Max(top, 1e-12) * task.S)
        );
        return t =>
        {
            var y = traj.At(t);
            var r = new double[n];
            for (int k = 0; k < n; k++)
                r[k] = y[k] * y[n + k];
            return r;
        };
    }

    /// <summary>
    /// GD tracking tolerance for skill k (R12(d) applied with λ = d_k/D): <c>η·(d_k/D)·S·(0.15·ln K + 0.1)</c>, relative to S.
    /// Valid when η(d_k/D)S ≤ 0.1.
    /// </summary>
    public static double GdTolerance(int count, int d, double s, double r0, double eta) =>
        count == 0 ? 1e-12 : Sigmoid.GdTrackingBound(eta, (double)count / d, s, s / r0 - 1);
}
