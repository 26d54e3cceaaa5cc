using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// Premise of R4: over-parameterised linear regression, F ∈ ℝ^{n×p} (rows Φ(xᵢ)ᵀ, p &gt; n, rank n), targets y,
/// <c>L = (1/(2n))‖Fw − y‖²</c>, gradient flow <c>dw/dt = −Fᵀ(Fw − y)/n</c> from w(0).
/// </summary>
public sealed record MinNormProblem(Matrix<double> F, Vector<double> Y, Vector<double> W0)
{
    /// <summary>A seeded random instance: F, y ~ N(0, 1); w(0) ~ N(0, initSd²) (initSd = 0: zero init).</summary>
    public static MinNormProblem Random(int n, int p, double initSd, int seed)
    {
        if (!(p > n) || n < 1)
            throw new ArgumentException("premise p > n ≥ 1 (over-parameterised) violated");
        var rng = new Rng(seed);
        var f = LinAlg.Gaussian(rng, n, p);
        var y = Vector<double>.Build.DenseOfArray(rng.Normals(n));
        var w0 = Vector<double>.Build.DenseOfArray(rng.Normals(p, initSd));
        return new MinNormProblem(f, y, w0);
    }
}

/// <summary>
/// Gradient flow from zero initialisation reaches the minimum-norm interpolant (spec R4; thesis app. A.2, Eq A.7–A.12).
/// t in units of η·steps.
/// </summary>
public static class MinNorm
{
    /// <summary>
    /// R4: <c>w(∞) = Fᵀ(FFᵀ)⁻¹y + (I − Fᵀ(FFᵀ)⁻¹F)·w(0)</c>; with w(0) = 0 this is F⁺y, the minimum-norm interpolant
    /// (ridgeless kernel regression).
    /// </summary>
    public static Vector<double> EndPoint(MinNormProblem pr)
    {
        var f = pr.F;
        var gram = f * f.Transpose();
        var mn = f.TransposeThisAndMultiply(gram.Cholesky().Solve(pr.Y));
        var proj = f.TransposeThisAndMultiply(gram.Cholesky().Solve(f * pr.W0));
        return mn + pr.W0 - proj;
    }

    /// <summary>The minimum-norm interpolant F⁺y (the end point for w(0) = 0). MUST-FAIL CONTROL when w(0) ≠ 0.</summary>
    public static Vector<double> PseudoInverseSolution(MinNormProblem pr) =>
        pr.F.TransposeThisAndMultiply((pr.F * pr.F.Transpose()).Cholesky().Solve(pr.Y));

    /// <summary>
    /// R4 as a function of time: with e = w − w(∞), de/dt = −(FᵀF/n)e exactly (F·w(∞) = y), so
    /// <c>w(t) = w(∞) + V·exp(−Λt)·Vᵀ(w(0) − w(∞))</c>, FᵀF/n = VΛVᵀ.
    /// </summary>
    public static Func<double, Vector<double>> Trajectory(MinNormProblem pr)
    {
        var wInf = EndPoint(pr);
        var evd = (pr.F.TransposeThisAndMultiply(pr.F) / pr.F.RowCount).Evd(Symmetricity.Symmetric);
        var v = evd.EigenVectors;
        var lam = evd.EigenValues.Map(z => z.Real);
        var c0 = v.TransposeThisAndMultiply(pr.W0 - wInf);
        return t =>
            wInf
            + v
                * Vector<double>.Build.Dense(
                    c0.Count,
                    i => c0[i] * Math.Exp(-Math.Max(0, lam[i]) * t)
                );
    }

    /// <summary>Largest and smallest non-zero eigenvalue of FᵀF/n (= those of FFᵀ/n).</summary>
    public static (double Max, double MinNonZero) Rates(MinNormProblem pr)
    {
        var ev = (pr.F * pr.F.Transpose() / pr.F.RowCount)
            .Evd(Symmetricity.Symmetric)
            .EigenValues.Select(z => z.Real)
            .ToArray();
        return (ev.Max(), ev.Min());
    }

    /// <summary>Spec R4 horizon: t ≥ 30/(smallest non-zero eigenvalue of FᵀF/n).</summary>
    public static double Horizon(MinNormProblem pr) => 30 / Rates(pr).MinNonZero;

    /// <summary>Simulator with the signature of <see cref="Trajectory"/>: RK4 on w, step 0.02/(largest eigenvalue).</summary>
    public static Func<double, Vector<double>> Simulate(MinNormProblem pr)
    {
        var f = pr.F;
        int n = f.RowCount,
            p = f.ColumnCount;
        var m = (f.TransposeThisAndMultiply(f) / n).ToArray();
        var v = (f.TransposeThisAndMultiply(pr.Y) / n).ToArray();
        Derivative rhs = (_, w, dw) =>
        {
            for (int i = 0; i < p; i++)
            {
                double g = -v[i];
                for (int j = 0; j < p; j++)
                    g += m[i, j] * w[j];
                dw[i] = -g;
            }
        };
        var traj = new OdeTrajectory(rhs, pr.W0.ToArray(), 0.02 / Rates(pr).Max);
        return t => Vector<double>.Build.DenseOfArray(traj.At(t));
    }
}
