using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// Premise of R5: a spectrum ρ (p entries, more than n of them non-zero) and n samples, so the eigenlearning equation
/// <c>Σ_k ρ_k/(ρ_k + κ) = n</c> has a unique κ &gt; 0.
/// </summary>
public sealed record LearnabilityProblem(double[] Rho, int N)
{
    /// <summary>Throws naming the violated premise.</summary>
    public LearnabilityProblem Validate()
    {
        if (N < 1)
            throw new ArgumentException($"premise n ≥ 1 violated (n = {N})");
        if (Rho.Any(r => !(r >= 0) || double.IsInfinity(r)))
            throw new ArgumentException("premise violated: every ρ_k must be finite and ≥ 0");
        int positive = Rho.Count(r => r > 0);
        if (positive <= N)
            throw new ArgumentException(
                $"premise violated: {positive} non-zero eigenvalues ≤ n = {N}; Σρ/(ρ+κ) = n then has no κ > 0 (the model interpolates without a ridge)"
            );
        return this;
    }
}

/// <summary>
/// Learnability of a ridgeless kernel / linear model ("eigenlearning"; spec R5; thesis Eq 1.35–1.36, corrected): the
/// minimum-norm interpolant of n samples learns a fraction <c>L_k ≈ ρ_k/(ρ_k + κ)</c> of each eigen-component of the
/// target, κ solving <c>Σ_k ρ_k/(ρ_k + κ) = n</c>. Exact as n, p → ∞; abs 0.05 for n ≥ 40 and ≥ 20 trials.
/// </summary>
public static class Eigenlearning
{
    /// <summary>κ &gt; 0 with <c>Σ_k ρ_k/(ρ_k + κ) = n</c>: bisection on log κ in [1e-14, 1e6], 200 halvings (spec §0.1).</summary>
    public static double Kappa(LearnabilityProblem pr)
    {
        pr.Validate();
        double lo = Math.Log(1e-14),
            hi = Math.Log(1e6);
        for (int i = 0; i < 200; i++)
        {
            double mid = 0.5 * (lo + hi),
                k = Math.Exp(mid);
            double sum = pr.Rho.Sum(r => r / (r + k));
            if (sum > pr.N)
                lo = mid;
            else
                hi = mid;
        }
        return Math.Exp(0.5 * (lo + hi));
    }

    /// <summary>R5: <c>L_k = ρ_k/(ρ_k + κ)</c> for every k.</summary>
    public static double[] Learnability(LearnabilityProblem pr)
    {
        double kappa = Kappa(pr);
        return pr.Rho.Select(r => r / (r + kappa)).ToArray();
    }

    /// <summary>
    /// Check tolerance for a Monte Carlo learnability: the spec's band (0.05, the finite-n error of the approximation)
    /// plus 4 standard errors of the trial mean (spec §0.1 "Seeds"). The spec's bare 0.05 ignores Monte Carlo noise:
    /// at 40 trials it fails by chance (k = 5, n = 40, p = 400, β = 1.5, seed 1: error 0.056; 0.0002 at 400 trials).
    /// </summary>
    public static double Tolerance(double band, double standardError) => band + 4 * standardError;

    /// <summary>Power-law spectrum ρ_k = k^−β, k = 1..p.</summary>
    public static double[] PowerLaw(int p, double beta) =>
        Enumerable.Range(1, p).Select(k => Math.Pow(k, -beta)).ToArray();

    /// <summary>
    /// Two-level spectrum (Eq 1.36): ρ_k = 1 for k ≤ d, ρ_tail for k &gt; d. The thesis takes ρ_tail = n/(p − d)
    /// (tail mass n: then κ ≈ 1 and L_top ≈ ½); top features are learned only when (p − d)ρ_tail ≪ n − d (Errata E4).
    /// </summary>
    public static double[] TwoLevel(int d, int p, double tail) =>
        Enumerable.Range(1, p).Select(k => k <= d ? 1.0 : tail).ToArray();

    /// <summary>
    /// Monte Carlo learnability: Gaussian design e_k(xᵢ) ~ N(0, 1), target f* = Σ_{k∈targets} e_k, minimum-norm fit
    /// (Cholesky on K = E·diag(ρ)·Eᵀ), coefficient <c>ĉ_k = ρ_k Σᵢ e_k(xᵢ)(K⁻¹y)ᵢ</c>; returns the mean and the standard
    /// error of ĉ_k/c*_k over <paramref name="trials"/> for each target index (1-based k).
    /// </summary>
    public static (double[] Mean, double[] StdErr) Simulate(
        LearnabilityProblem pr,
        int[] targets,
        int trials,
        int seed
    )
    {
        return Summarise(SimulateTrials(pr, targets, trials, seed));
    }

    /// <summary>
    /// The per-trial ĉ_k/c*_k of <see cref="Simulate"/>: one row per trial, one column per target. Each trial draws
    /// the n×p design row by row from one <see cref="NormalStream"/> of the seed.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    public static double[][] SimulateTrials(
        LearnabilityProblem pr,
        int[] targets,
        int trials,
        int seed
    )
    {
        pr.Validate();
        CheckTrials(pr.Rho.Length, targets, trials);
        int n = pr.N,
            p = pr.Rho.Length;
        var normals = new NormalStream(seed);
        var sqrtRho = pr.Rho.Select(Math.Sqrt).ToArray();
        var fits = new double[trials][];
        var e = Rows(n, p);
        var scaled = Rows(n, p);
        var kernel = Matrix<double>.Build.Dense(n, n);
        for (int trial = 0; trial < trials; trial++)
        {
            Draw(normals, e);
            for (int i = 0; i < n; i++)
            {
                var (ei, si) = (e[i], scaled[i]);
                for (int k = 0; k < p; k++)
                    si[k] = ei[k] * sqrtRho[k];
            }
            // K = E diag(ρ) Eᵀ, symmetric: each entry one dot product of two scaled rows
            for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double kij = Dot(scaled[i], scaled[j], 0, p);
                kernel[i, j] = kij;
                kernel[j, i] = kij;
            }
            fits[trial] = Fit(kernel, e, pr.Rho, targets);
        }
        return fits;
    }

    /// <summary>
    /// <see cref="SimulateTrials"/> for the two-level spectra ρ = (1 ×d, τ ×(p − d)) of every τ in
    /// <paramref name="tails"/> at once, on the same draws: per trial the Gram matrices of the top block
    /// <c>G_top = E_{·,≤d}E_{·,≤d}ᵀ</c> and of the tail <c>G_tail = E_{·,&gt;d}E_{·,&gt;d}ᵀ</c> are built once and
    /// <c>K_τ = G_top + τ·G_tail</c>. For each τ the fits equal those of <see cref="SimulateTrials"/> on
    /// <c>TwoLevel(d, p, τ)</c> with the same seed (up to rounding); the cost of the n²p Gram is paid once for all τ.
    /// Returns one table per τ: one row per trial, one column per target.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    public static double[][][] SimulateTwoLevelTrials(
        int n,
        int d,
        int p,
        double[] tails,
        int[] targets,
        int trials,
        int seed
    )
    {
        if (d < 1 || d >= p)
            throw new ArgumentException($"premise 1 ≤ d < p violated (d = {d}, p = {p})");
        var problems = tails
            .Select(t => new LearnabilityProblem(TwoLevel(d, p, t), n).Validate())
            .ToArray();
        CheckTrials(p, targets, trials);
        var normals = new NormalStream(seed);
        var e = Rows(n, p);
        var top = new double[n, n];
        var tail = new double[n, n];
        var kernel = Matrix<double>.Build.Dense(n, n);
        var fits = tails.Select(_ => new double[trials][]).ToArray();
        for (int trial = 0; trial < trials; trial++)
        {
            Draw(normals, e);
            for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                top[i, j] = Dot(e[i], e[j], 0, d);
                tail[i, j] = Dot(e[i], e[j], d, p - d);
            }
            for (int m = 0; m < tails.Length; m++)
            {
                double tau = tails[m];
                for (int i = 0; i < n; i++)
                for (int j = 0; j <= i; j++)
                {
                    double kij = top[i, j] + tau * tail[i, j];
                    kernel[i, j] = kij;
                    kernel[j, i] = kij;
                }
                fits[m][trial] = Fit(kernel, e, problems[m].Rho, targets);
            }
        }
        return fits;
    }

    /// <summary>Mean and standard error of each column of a trials × targets table (<see cref="MeanAndStdErr"/>).</summary>
    public static (double[] Mean, double[] StdErr) Summarise(double[][] fits)
    {
        var stats = Enumerable
            .Range(0, fits[0].Length)
            .Select(j => MeanAndStdErr(fits.Select(f => f[j]).ToArray()))
            .ToArray();
        return (stats.Select(x => x.Mean).ToArray(), stats.Select(x => x.StdErr).ToArray());
    }

    private static void CheckTrials(int p, int[] targets, int trials)
    {
        if (trials < 2)
            throw new ArgumentException("at least 2 trials are needed for a standard error");
        if (targets.Length == 0 || targets.Any(k => k < 1 || k > p))
            throw new ArgumentException($"targets must be indices in 1..{p}");
    }

    private static double[][] Rows(int n, int p) =>
        Enumerable.Range(0, n).Select(_ => new double[p]).ToArray();

    /// <summary>One design: every row filled in turn from the stream.</summary>
    private static void Draw(NormalStream normals, double[][] e)
    {
        foreach (var row in e)
            normals.Fill(row);
    }

    /// <summary>
    /// Minimum-norm fit of y = Σ_{k∈targets} e_k on the kernel K (Cholesky): <c>ĉ_k = ρ_k Σᵢ e_k(xᵢ)(K⁻¹y)ᵢ</c>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    private static double[] Fit(Matrix<double> kernel, double[][] e, double[] rho, int[] targets)
    {
        int n = e.Length;
        var y = Vector<double>.Build.Dense(n);
        for (int i = 0; i < n; i++)
        {
            double yi = 0;
            foreach (int k in targets)
                yi += e[i][k - 1];
            y[i] = yi;
        }
        var alpha = kernel.Cholesky().Solve(y);
        var fit = new double[targets.Length];
        for (int j = 0; j < targets.Length; j++)
        {
            int k = targets[j] - 1;
            double dot = 0;
            for (int i = 0; i < n; i++)
                dot += e[i][k] * alpha[i];
            fit[j] = rho[k] * dot;
        }
        return fit;
    }

    /// <summary>Sample mean and its standard error s/√m (s with the m − 1 denominator) of m ≥ 2 values.</summary>
    public static (double Mean, double StdErr) MeanAndStdErr(IReadOnlyList<double> xs)
    {
        if (xs.Count < 2)
            throw new ArgumentException("at least 2 values are needed for a standard error");
        double mean = xs.Average();
        double ss = xs.Sum(x => (x - mean) * (x - mean));
        return (mean, Math.Sqrt(ss / (xs.Count - 1) / xs.Count));
    }

    /// <summary>Σ aᵢbᵢ over i ∈ [from, from + length), vectorised with four independent accumulators.</summary>
    [System.Runtime.CompilerServices.MethodImpl(
        System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization
    )]
    private static double Dot(double[] a, double[] b, int from, int length)
    {
        var va = System.Runtime.InteropServices.MemoryMarshal.Cast<
            double,
            System.Numerics.Vector<double>
        >(a.AsSpan(from, length));
        var vb = System.Runtime.InteropServices.MemoryMarshal.Cast<
            double,
            System.Numerics.Vector<double>
        >(b.AsSpan(from, length));
        var (a0, a1, a2, a3) = (
            System.Numerics.Vector<double>.Zero,
            System.Numerics.Vector<double>.Zero,
            System.Numerics.Vector<double>.Zero,
            System.Numerics.Vector<double>.Zero
        );
        int i = 0;
        for (; i + 4 <= va.Length; i += 4)
        {
            a0 += va[i] * vb[i];
            a1 += va[i + 1] * vb[i + 1];
            a2 += va[i + 2] * vb[i + 2];
            a3 += va[i + 3] * vb[i + 3];
        }
        for (; i < va.Length; i++)
            a0 += va[i] * vb[i];
        double sum = System.Numerics.Vector.Sum((a0 + a1) + (a2 + a3));
        for (
            int k = from + va.Length * System.Numerics.Vector<double>.Count;
            k < from + length;
            k++
        )
            sum += a[k] * b[k];
        return sum;
    }
}
