using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// Premise of R1: a linear model <c>f(x) = wᵀΦ(x)</c> on the empirical measure of n points (rows Φ(xᵢ)ᵀ of
/// <paramref name="Phi"/>, n ≥ p, Σ_Φ full rank), targets f*(xᵢ), loss <c>L = ½E_q[(f − f*)²]</c>, gradient flow
/// <c>dw/dt = −η·∇L = −η(Σ_Φ w − E_q[Φf*])</c> from w(0).
/// </summary>
public sealed record LinearModelProblem(
    Matrix<double> Phi,
    Vector<double> Target,
    Vector<double> W0,
    double Eta
)
{
    /// <summary>
    /// The spec's simulation (R1): correlated Gaussian features Φ = M·z, z ~ N(0, I_p), M = I + ½G/√p (G Gaussian, so
    /// Σ_Φ is not diagonal, yet well conditioned for n ≥ 4p), non-linear target f* = sin z₁ + ½z₂z₃ (indices mod p),
    /// w(0) ~ N(0, initSd²).
    /// </summary>
    public static LinearModelProblem Random(int n, int p, double eta, double initSd, int seed)
    {
        if (p < 1 || n < p)
            throw new ArgumentException($"premise n ≥ p ≥ 1 violated (n = {n}, p = {p})");
        if (!(eta > 0))
            throw new ArgumentException($"premise η > 0 violated (η = {eta})");
        var rng = new Rng(seed);
        var m =
            Matrix<double>.Build.DenseIdentity(p) + 0.5 / Math.Sqrt(p) * LinAlg.Gaussian(rng, p, p);
        var z = LinAlg.Gaussian(rng, n, p);
        var phi = z * m.Transpose();
        var target = Vector<double>.Build.Dense(
            n,
            i => Math.Sin(z[i, 0]) + 0.5 * z[i, 1 % p] * z[i, 2 % p]
        );
        var w0 = Vector<double>.Build.DenseOfArray(rng.Normals(p, initSd));
        return new LinearModelProblem(phi, target, w0, eta);
    }
}

/// <summary>
/// Mode-by-mode dynamics of a linear model under gradient flow (spec R1; thesis Eq 1.17, 1.23–1.26): each
/// eigen-coordinate <c>c_k(t) = ⟨e_k|f_t⟩</c> relaxes exponentially to <c>c*_k = ⟨e_k|f*⟩</c> at rate ηρ_k; the part
/// of f* outside span{e_k} is never learned.
/// </summary>
public static class LinearModel
{
    /// <summary>R1: <c>c_k(t) = c*_k + (c_k(0) − c*_k)·exp(−η·ρ_k·t)</c>.</summary>
    public static Func<double, Vector<double>> Coefficients(LinearModelProblem pr) =>
        ExponentialCoefficients(pr, 1.0);

    /// <summary>MUST-FAIL CONTROL: the layerwise rate 2ηρ_k in place of ηρ_k.</summary>
    public static Func<double, Vector<double>> CoefficientsLayerwiseRate(LinearModelProblem pr) =>
        ExponentialCoefficients(pr, 2.0);

    private static Func<double, Vector<double>> ExponentialCoefficients(
        LinearModelProblem pr,
        double rateFactor
    )
    {
        var ef = EigenFeatures.Of(pr.Phi);
        var cStar = ef.Coefficients(pr.Target);
        var c0 = ef.Coefficients(pr.Phi * pr.W0);
        return t =>
            Vector<double>.Build.Dense(
                cStar.Count,
                k => cStar[k] + (c0[k] - cStar[k]) * Math.Exp(-rateFactor * pr.Eta * ef.Rho[k] * t)
            );
    }

    /// <summary>
    /// MUST-FAIL CONTROL: the same exponential law in raw feature coordinates, as if Σ_Φ were diagonal:
    /// <c>u_i = Φ_i/√Σ_ii</c>, <c>⟨u_i|f_t⟩ = ⟨u_i|f*⟩ + (⟨u_i|f_0⟩ − ⟨u_i|f*⟩)·exp(−ηΣ_ii t)</c>. Compare with
    /// <see cref="SimulateRaw"/>; wrong whenever features are correlated.
    /// </summary>
    public static Func<double, Vector<double>> RawCoordinatesClaim(LinearModelProblem pr)
    {
        var (u, sii) = RawUnits(pr.Phi);
        var cStar = u.TransposeThisAndMultiply(pr.Target) / pr.Phi.RowCount;
        var c0 = u.TransposeThisAndMultiply(pr.Phi * pr.W0) / pr.Phi.RowCount;
        return t =>
            Vector<double>.Build.Dense(
                cStar.Count,
                i => cStar[i] + (c0[i] - cStar[i]) * Math.Exp(-pr.Eta * sii[i] * t)
            );
    }

    /// <summary>Simulator with the signature of <see cref="Coefficients"/>: RK4 on w (step 0.005/(ηρ₁): truncation ≪ 1e-9), then ⟨e_k|f_t⟩.</summary>
    public static Func<double, Vector<double>> Simulate(LinearModelProblem pr)
    {
        var ef = EigenFeatures.Of(pr.Phi);
        var w = Flow(pr, ef.Rho[0]);
        return t => ef.Coefficients(pr.Phi * w(t));
    }

    /// <summary>Simulated raw coordinates <c>⟨Φ_i/√Σ_ii|f_t⟩</c> (for the raw-coordinates control).</summary>
    public static Func<double, Vector<double>> SimulateRaw(LinearModelProblem pr)
    {
        var (u, _) = RawUnits(pr.Phi);
        var w = Flow(pr);
        return t => u.TransposeThisAndMultiply(pr.Phi * w(t)) / pr.Phi.RowCount;
    }

    /// <summary>Gradient flow of w by RK4: <c>dw/dt = −η(Σ_Φ w − ΦᵀF*/n)</c>.</summary>
    public static Func<double, Vector<double>> Flow(LinearModelProblem pr) =>
        Flow(pr, EigenFeatures.Of(pr.Phi).Rho[0]);

    private static Func<double, Vector<double>> Flow(LinearModelProblem pr, double rhoMax)
    {
        int n = pr.Phi.RowCount,
            p = pr.Phi.ColumnCount;
        var sigma = (pr.Phi.TransposeThisAndMultiply(pr.Phi) / n).ToArray();
        var b = (pr.Phi.TransposeThisAndMultiply(pr.Target) / n).ToArray();
        double eta = pr.Eta;
        Derivative rhs = (_, w, dw) =>
        {
            for (int i = 0; i < p; i++)
            {
                double g = -b[i];
                for (int j = 0; j < p; j++)
                    g += sigma[i, j] * w[j];
                dw[i] = -eta * g;
            }
        };
        var traj = new OdeTrajectory(rhs, pr.W0.ToArray(), 0.005 / (eta * rhoMax));
        return t => Vector<double>.Build.DenseOfArray(traj.At(t));
    }

    /// <summary>Comparison times: 0 and 0.02, 0.1, 0.5, 1, 3 × the slowest mode's time 1/(ηρ_p).</summary>
    public static double[] Times(LinearModelProblem pr)
    {
        var ef = EigenFeatures.Of(pr.Phi);
        double slow = 1 / (pr.Eta * ef.Rho[^1]);
        return [0.0, 0.02 * slow, 0.1 * slow, 0.5 * slow, slow, 3 * slow];
    }

    private static (Matrix<double> U, Vector<double> Sii) RawUnits(Matrix<double> phi)
    {
        var sii = Vector<double>.Build.Dense(
            phi.ColumnCount,
            i => phi.Column(i).DotProduct(phi.Column(i)) / phi.RowCount
        );
        var u = Matrix<double>.Build.Dense(
            phi.RowCount,
            phi.ColumnCount,
            (r, i) => phi[r, i] / Math.Sqrt(sii[i])
        );
        return (u, sii);
    }
}
