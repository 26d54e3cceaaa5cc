using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>Outcome of one minimum-norm fit of one skill of the D_c-shot learner (R27).</summary>
/// <param name="StrengthOverS">R_k/S = ⟨g_k, f⟩/S.</param>
/// <param name="Loss">L_k = ½‖β − β*‖².</param>
/// <param name="Rank">Dimension of the sample span (distinct, independent rows).</param>
public readonly record struct SkillFit(double StrengthOverS, double Loss, int Rank);

/// <summary>Which sample design the D_c-shot simulation draws (spec R27 "Simulation").</summary>
public enum DcShotDesign
{
    /// <summary>Rows of Φᵀ i.i.d. N(0, I_{D_c}); R/S ~ Beta(d/2, (D_c − d)/2) exactly. Cheapest, exact law.</summary>
    Gaussian,

    /// <summary>w = (3-bit parity, D_c − 1 independent ±1 bits); duplicate rows dropped. Closest to the thesis' data.</summary>
    Bits,
}

/// <summary>
/// The D_c-shot learner (spec §7 R27; thesis Eq 5.3–5.5, Lemma 2–3, Prop. B.1.1, B.15–B.42). Each skill has D_c
/// orthonormal basis functions, g_k = D_c^{−1/2}Σ_l e_{k,l}; from small init, gradient flow ends at the minimum-norm
/// interpolant of the skill's d_k samples (Lemma 2 + R4). Reading A (correct for R_k = E[g_k f]):
/// R_k/S = min(d_k, D_c)/D_c in expectation; reading B (thesis Eq 5.5) is kept as the control.
/// </summary>
public static class DcShot
{
    /// <summary>
    /// R27, reading A (Errata E11): <c>E[R_k]/S = min(d_k, D_c)/D_c</c> for a Gaussian or independent ±1 design.
    /// </summary>
    public static double ExpectedStrength(int d, int dc) => Math.Min(d, dc) / (double)dc;

    /// <summary>
    /// R27 for a design whose rows can be linearly dependent (independent ±1 bits: 22% of 12×12 ±1 matrices
    /// are singular): <c>E[R_k]/S = E[rank]/D_c</c>. The law of the row span is invariant under signed
    /// permutations of the coordinates, so E[P_span] commutes with all of them and is (rank/D_c)·I; the
    /// projection of the fixed skill direction therefore has expected squared length rank/D_c. For a
    /// Gaussian design rank = min(d, D_c) almost surely and this is <see cref="ExpectedStrength"/>.
    /// </summary>
    /// <param name="meanRank">E[rank] of the d rows (for a Monte Carlo check: the trials' mean rank).</param>
    /// <param name="dc">D_c.</param>
    public static double ExpectedStrengthGivenRank(double meanRank, int dc) => meanRank / dc;

    /// <summary>R27: <c>E[L_k] = (S²/2)(1 − min(d_k, D_c)/D_c)</c> (thesis B.42, correct).</summary>
    public static double ExpectedLoss(int d, int dc, double s) =>
        0.5 * s * s * (1 - ExpectedStrength(d, dc));

    /// <summary>
    /// R27, Gaussian design, d &lt; D_c: R/S ~ Beta(d/2, (D_c − d)/2), so <c>Var[R/S] = (d(D_c − d)/D_c²)·2/(D_c + 2)</c>
    /// (0 for d ≥ D_c).
    /// </summary>
    public static double StrengthVariance(int d, int dc) =>
        d >= dc ? 0.0 : d * (double)(dc - d) / ((double)dc * dc) * 2.0 / (dc + 2);

    /// <summary>
    /// MUST-FAIL CONTROL (reading B, thesis Eq 5.5/B.26): <c>R_k/S = 1 − √(1 − d_k/D_c)</c>. It equals S − √(2E[L_k])
    /// (a loss-equivalent strength), not E[g_k f]; gap up to 0.25 at d/D_c = 3/4.
    /// </summary>
    public static double StrengthReadingB(int d, int dc) =>
        1 - Math.Sqrt(1 - Math.Min(d, dc) / (double)dc);

    /// <summary>
    /// Emergence curve in D (R27): <c>E_D[R_k/S] = Σ_d Binom(d; D, P)·min(d, D_c)/D_c</c>.
    /// </summary>
    public static double ExpectedStrengthInData(int dataSize, double p, int dc)
    {
        double sum = 0;
        for (int d = 0; d <= dataSize; d++)
        {
            double w = MathNet.Numerics.Distributions.Binomial.PMF(p, dataSize, d);
            sum += w * ExpectedStrength(d, dc);
        }
        return sum;
    }

    /// <summary>
    /// Minimum-norm fit of one skill on sample rows φ_j (in the skill's orthonormal e-coordinates) with noise-free targets
    /// y_j = φ_jᵀβ*, β* = (S/√D_c)·1: β = Pβ*, P the orthogonal projector on the sample span, so
    /// <c>R/S = (1/D_c)·1ᵀP1</c> and <c>L = ½‖β − β*‖² = ½S²(1 − 1ᵀP1/D_c)</c>. <paramref name="direction"/> is the unit
    /// vector of g in these coordinates (1/√D_c·1 for e-coordinates, e₁ for the bits design's w-coordinates).
    /// </summary>
    public static SkillFit MinNormFit(IEnumerable<double[]> rows, double[] direction, double s)
    {
        var basis = LinAlg.RowSpaceBasis(rows);
        double p11 = 0;
        foreach (var q in basis)
        {
            double dot = 0;
            for (int i = 0; i < q.Length; i++)
                dot += q[i] * direction[i];
            p11 += dot * dot;
        }
        return new SkillFit(p11, 0.5 * s * s * (1 - p11), basis.Count);
    }

    /// <summary>
    /// Simulation of R27: <paramref name="trials"/> seeded data sets of d samples of one skill in the chosen design, each fitted
    /// by the minimum-norm interpolant (the gradient-flow end point from small init).
    /// </summary>
    public static SkillFit[] Simulate(
        int d,
        int dc,
        double s,
        int trials,
        DcShotDesign design,
        Rng rng
    )
    {
        if (dc < 2 || d < 0)
            throw new ArgumentOutOfRangeException(nameof(dc), "premises D_c ≥ 2, d ≥ 0 violated");
        var fits = new SkillFit[trials];
        var ones = Enumerable.Repeat(1 / Math.Sqrt(dc), dc).ToArray();
        var e1 = new double[dc];
        e1[0] = 1;
        for (int t = 0; t < trials; t++)
        {
            var rows = new List<double[]>(d);
            for (int j = 0; j < d; j++)
            {
                if (design == DcShotDesign.Gaussian)
                    rows.Add(rng.Normals(dc));
                else
                {
                    var w = new double[dc];
                    int par = rng.Bit() ^ rng.Bit() ^ rng.Bit();
                    w[0] = par == 0 ? 1 : -1;
                    for (int i = 1; i < dc; i++)
                        w[i] = rng.Bit() == 0 ? 1 : -1;
                    rows.Add(w);
                }
            }
            if (design == DcShotDesign.Bits)
                rows = rows.DistinctBy(r => string.Join(',', r)).ToList();
            fits[t] = MinNormFit(rows, design == DcShotDesign.Gaussian ? ones : e1, s);
        }
        return fits;
    }

    /// <summary>
    /// The same fits as <see cref="Simulate"/> for every d = 1 … <paramref name="dMax"/> at once, nested: each trial
    /// draws <paramref name="dMax"/> rows and the fit at d uses its first d rows, so one incremental Gram–Schmidt pass
    /// gives all d (cost O(dMax²·D_c) a trial instead of O(dMax³·D_c)). Each d's fits have exactly the law of
    /// <see cref="Simulate"/> (the first d of iid rows are d iid rows); fits at different d of one trial are dependent,
    /// which each d's own standard error does not need. A repeated ±1 row is linearly dependent on itself and adds
    /// nothing to the basis, as the distinct rows of <see cref="Simulate"/>. Returns fits[d - 1][trial].
    /// </summary>
    public static SkillFit[][] SimulateNested(
        int dMax,
        int dc,
        double s,
        int trials,
        DcShotDesign design,
        Rng rng
    )
    {
        if (dc < 2 || dMax < 1)
            throw new ArgumentOutOfRangeException(nameof(dc), "premises D_c ≥ 2, d ≥ 1 violated");
        var fits = new SkillFit[dMax][];
        for (int d = 0; d < dMax; d++)
            fits[d] = new SkillFit[trials];
        var direction = new double[dc];
        if (design == DcShotDesign.Gaussian)
            Array.Fill(direction, 1 / Math.Sqrt(dc));
        else
            direction[0] = 1;
        var basis = new double[dc][];
        for (int t = 0; t < trials; t++)
        {
            int rank = 0;
            double p11 = 0;
            for (int j = 0; j < dMax; j++)
            {
                double[] r;
                if (design == DcShotDesign.Gaussian)
                    r = rng.Normals(dc);
                else
                {
                    r = new double[dc];
                    int par = rng.Bit() ^ rng.Bit() ^ rng.Bit();
                    r[0] = par == 0 ? 1 : -1;
                    for (int i = 1; i < dc; i++)
                        r[i] = rng.Bit() == 0 ? 1 : -1;
                }
                if (rank < dc && LinAlg.Orthonormalise(r, basis, rank))
                {
                    basis[rank++] = r;
                    double dot = 0;
                    for (int i = 0; i < dc; i++)
                        dot += r[i] * direction[i];
                    p11 += dot * dot;
                }
                fits[j][t] = new SkillFit(p11, 0.5 * s * s * (1 - p11), rank);
            }
        }
        return fits;
    }

    /// <summary>
    /// Simulation of the data-emergence curve (R27): for each trial draw D samples, keep the d ~ Binom(D, P) of skill k
    /// (Gaussian design), fit min-norm, and average R/S over trials.
    /// </summary>
    public static double SimulateStrengthInData(int dataSize, double p, int dc, int trials, Rng rng)
    {
        double sum = 0;
        var ones = Enumerable.Repeat(1 / Math.Sqrt(dc), dc).ToArray();
        for (int t = 0; t < trials; t++)
        {
            int d = 0;
            for (int j = 0; j < dataSize; j++)
                if (rng.Uniform() < p)
                    d++;
            var rows = Enumerable.Range(0, d).Select(_ => rng.Normals(dc)).ToList();
            sum += MinNormFit(rows, ones, 1).StrengthOverS;
        }
        return sum / trials;
    }

    /// <summary>
    /// ‖β_mn‖ of the design <see cref="LayerwiseToMinNormGap"/> draws first from <paramref name="rng"/> (the same d × D_c
    /// Gaussian rows, so a generator seeded alike gives the same design): the minimum-norm interpolant of
    /// y = X·β*, β* = (S/√D_c)·1.
    /// </summary>
    public static double MinNormSize(int d, int dc, double s, Rng rng)
    {
        var x = LinAlg.Gaussian(rng, d, dc);
        var y = x * Vector<double>.Build.Dense(dc, s / Math.Sqrt(dc));
        return x.TransposeThisAndMultiply((x * x.Transpose()).Solve(y)).L2Norm();
    }

    /// <summary>
    /// Layerwise training of one skill (R27 simulation (c)): f = a·Σ_l B_l e_l on d Gaussian samples, loss
    /// <c>(1/(2d))Σⱼ(φⱼᵀ(aB) − yⱼ)²</c>, init a = s₀, B ~ N(0, s₀²), plain GD with rate η for <paramref name="steps"/>
    /// steps (t = η·steps). Returns ‖aB − β_mn‖/‖β_mn‖, β_mn the minimum-norm interpolant from zero init (R4).
    /// Spec tolerance: ≤ 3·s₀ for s₀ ≤ 1e-2.
    /// </summary>
    public static double LayerwiseToMinNormGap(
        int d,
        int dc,
        double s,
        double initScale,
        double eta,
        int steps,
        Rng rng
    )
    {
        var x = LinAlg.Gaussian(rng, d, dc);
        var betaStar = Vector<double>.Build.Dense(dc, s / Math.Sqrt(dc));
        var y = x * betaStar;
        var m = x.TransposeThisAndMultiply(x) / d;
        var c = x.TransposeThisAndMultiply(y) / d;
        var betaMn = x.TransposeThisAndMultiply((x * x.Transpose()).Solve(y));
        double a = initScale;
        var b = rng.Normals(dc, initScale);
        var mm = m.ToArray();
        var cc = c.ToArray();
        var g = new double[dc];
        for (int st = 0; st < steps; st++)
        {
            // g = ∂L/∂β = M·(a·B) − c; ∂L/∂B = a·g, ∂L/∂a = Bᵀg (old values)
            double ga = 0;
            for (int i = 0; i < dc; i++)
            {
                double gi = -cc[i];
                for (int j = 0; j < dc; j++)
                    gi += mm[i, j] * a * b[j];
                g[i] = gi;
                ga += b[i] * gi;
            }
            for (int i = 0; i < dc; i++)
                b[i] -= eta * a * g[i];
            a -= eta * ga;
        }
        var beta = Vector<double>.Build.DenseOfArray(b) * a;
        return (beta - betaMn).L2Norm() / betaMn.L2Norm();
    }

    /// <summary>
    /// Gradient flow of the layerwise skill model on a Gram matrix M = ΦΦᵀ/d and c = Φy/d: state [a, B₁..B_{D_c}],
    /// <c>dB/dt = −a(M·aB − c)</c>, <c>da/dt = −Bᵀ(M·aB − c)</c>. Lemma 3: a² − ‖B‖² is conserved.
    /// </summary>
    public static Derivative LayerwiseFlow(Matrix<double> m, Vector<double> c)
    {
        int dc = c.Count;
        return (_, y, dy) =>
        {
            double a = y[0];
            double da = 0;
            for (int i = 0; i < dc; i++)
            {
                double g = -c[i];
                for (int j = 0; j < dc; j++)
                    g += m[i, j] * a * y[1 + j];
                dy[1 + i] = -a * g;
                da += y[1 + i] * g;
            }
            dy[0] = -da;
        };
    }
}
