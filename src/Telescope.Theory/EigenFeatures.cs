using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// Eigen-features of a feature map on the empirical measure q = uniform on n points (spec R1–R3; thesis Eq 1.17–1.33).
/// <c>Σ_Φ = E_q[ΦΦᵀ] = ΦᵀΦ/n = Σ_k ρ_k v_k v_kᵀ</c> (ρ₁ ≥ ρ₂ ≥ …), eigenfunctions <c>e_k(x) = v_kᵀΦ(x)/√ρ_k</c>,
/// orthonormal in L²(q): <c>⟨u|v⟩ = (1/n) Σᵢ u(xᵢ)v(xᵢ)</c>.
/// </summary>
/// <param name="Rho">ρ_k, descending.</param>
/// <param name="V">Eigenvectors v_k of Σ_Φ as columns (p×p).</param>
/// <param name="E">Values e_k(xᵢ): row i, column k (n×p).</param>
public sealed record EigenFeatures(Vector<double> Rho, Matrix<double> V, Matrix<double> E)
{
    /// <summary>
    /// Eigen-decompose Σ_Φ = ΦᵀΦ/n for rows Φ(xᵢ)ᵀ of <paramref name="phi"/> (n×p). Premise: Σ_Φ has full rank p
    /// (every ρ_k &gt; 0), so each e_k is defined.
    /// </summary>
    public static EigenFeatures Of(Matrix<double> phi)
    {
        int n = phi.RowCount,
            p = phi.ColumnCount;
        var evd = (phi.TransposeThisAndMultiply(phi) / n).Evd(Symmetricity.Symmetric);
        var order = Enumerable
            .Range(0, p)
            .OrderByDescending(k => evd.EigenValues[k].Real)
            .ToArray();
        var rho = Vector<double>.Build.Dense(p, k => evd.EigenValues[order[k]].Real);
        if (rho[p - 1] <= 1e-12 * rho[0])
            throw new ArgumentException(
                $"premise violated: Σ_Φ = ΦᵀΦ/n is rank deficient (smallest eigenvalue {rho[p - 1]:G3}); take n ≥ p points in general position"
            );
        var v = Matrix<double>.Build.Dense(p, p, (i, k) => evd.EigenVectors[i, order[k]]);
        var e = phi * v;
        for (int k = 0; k < p; k++)
            e.SetColumn(k, e.Column(k) / Math.Sqrt(rho[k]));
        return new EigenFeatures(rho, v, e);
    }

    /// <summary>L²(q) inner product of two functions given by their values at the n points: (1/n) Σᵢ uᵢvᵢ.</summary>
    public static double Inner(Vector<double> u, Vector<double> v) => u.DotProduct(v) / u.Count;

    /// <summary>Coefficients <c>c_k = ⟨e_k|g⟩</c> of a function g given by its values at the points.</summary>
    public Vector<double> Coefficients(Vector<double> g) => E.TransposeThisAndMultiply(g) / g.Count;

    /// <summary>Gram matrix <c>G_jk = ⟨e_j|e_k⟩</c> (the identity, up to round-off).</summary>
    public Matrix<double> Gram() => E.TransposeThisAndMultiply(E) / E.RowCount;
}

/// <summary>
/// Change of basis between features and eigen-features (spec R2; thesis Eq 1.27–1.29, A.1–A.6) and the Nyström
/// estimate of eigen-features by an SVD of the samples (spec R3; thesis Algorithm 1, Eq 1.33, corrected scaling).
/// </summary>
internal static class FeatureBasis
{
    /// <summary>
    /// R2: <c>O_ij = ⟨Φ_i|e_j⟩/√ρ_j</c>, computed from the inner products (not read off V); orthogonal, OᵀO = OOᵀ = I.
    /// </summary>
    public static Matrix<double> Rotation(Matrix<double> phi, EigenFeatures ef)
    {
        var inner = phi.TransposeThisAndMultiply(ef.E) / phi.RowCount; // ⟨Φ_i|e_j⟩
        return Matrix<double>.Build.Dense(inner.RowCount, inner.ColumnCount, (i, j) =>
            inner[i, j] / Math.Sqrt(ef.Rho[j])
        );
    }

    /// <summary>R2 (Eq 1.29): <c>ρ_k = Σ_j ⟨Φ_j|e_k⟩²</c>.</summary>
    public static Vector<double> RhoFromInnerProducts(Matrix<double> phi, EigenFeatures ef)
    {
        var inner = phi.TransposeThisAndMultiply(ef.E) / phi.RowCount;
        return Vector<double>.Build.Dense(inner.ColumnCount, k =>
            inner.Column(k).DotProduct(inner.Column(k))
        );
    }

    /// <summary>
    /// R2 (corrected, Errata E2): a model <c>f = Σ_i w_i Φ_i</c> equals <c>Σ_j θ_j √ρ_j e_j</c> with <c>θ = Oᵀw</c>;
    /// ‖θ‖ = ‖w‖.
    /// </summary>
    public static Vector<double> Theta(Matrix<double> rotation, Vector<double> w) =>
        rotation.TransposeThisAndMultiply(w);

    /// <summary>MUST-FAIL CONTROL (thesis Eq 1.28, Errata E2): θ = O·w.</summary>
    public static Vector<double> ThetaMisprinted(Matrix<double> rotation, Vector<double> w) =>
        rotation * w;

    /// <summary>Values of <c>Σ_j θ_j √ρ_j e_j</c> at the points.</summary>
    public static Vector<double> Synthesize(EigenFeatures ef, Vector<double> theta) =>
        ef.E * Vector<double>.Build.Dense(theta.Count, j => theta[j] * Math.Sqrt(ef.Rho[j]));

    /// <summary>
    /// R3 (corrected, Errata E3): SVD of the p×n sample matrix ϕ = Φᵀ = U·diag(s)·Vᵀ gives
    /// <c>ρ_k ≈ s_k²/n</c> and <c>e_k(x) ≈ √n·u_kᵀΦ(x)/s_k</c>. Returns (ρ, values of e_k at the points).
    /// </summary>
    public static (Vector<double> Rho, Matrix<double> E) Nystrom(Matrix<double> phi) =>
        NystromScaled(phi, phi.RowCount);

    /// <summary>MUST-FAIL CONTROL (thesis Algorithm 1, Errata E3): ρ_k ≈ s_k², e_k ≈ u_kᵀΦ/s_k (no n, no √n).</summary>
    public static (Vector<double> Rho, Matrix<double> E) NystromMisprinted(Matrix<double> phi) =>
        NystromScaled(phi, 1);

    private static (Vector<double>, Matrix<double>) NystromScaled(Matrix<double> phi, int n)
    {
        var svd = phi.Transpose().Svd(computeVectors: true);
        int p = phi.ColumnCount;
        var s = svd.S;
        var rho = Vector<double>.Build.Dense(p, k => s[k] * s[k] / n);
        var e = phi * svd.U.SubMatrix(0, p, 0, p);
        for (int k = 0; k < p; k++)
            e.SetColumn(k, e.Column(k) * (Math.Sqrt(n) / s[k]));
        return (rho, e);
    }
}
