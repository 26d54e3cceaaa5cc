using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// A balanced C-class task on the empirical measure of n = C·m points (spec R7–R8): labels, class indicators
/// f*_i(x) = 1[class(x) = i] (so ⟨f*_i|f*_j⟩ = δ_ij/C, Eq 2.2) and features Φ (n×p rows).
/// </summary>
public sealed record ClassTask(int Classes, int[] Labels, Matrix<double> Phi)
{
    /// <summary>Points.</summary>
    public int N => Labels.Length;

    /// <summary>
    /// Seeded instance: m points per class (class of point i is i mod C), features Φ(x) = signal·μ_class + N(0, I_p)
    /// noise with μ_c ~ N(0, I_p). Premise: C ≥ 2, p ≥ 1, n = C·m ≥ p (Σ_Φ full rank).
    /// </summary>
    public static ClassTask Random(int classes, int perClass, int p, double signal, int seed)
    {
        if (classes < 2 || perClass < 1 || p < 1 || classes * perClass < p)
            throw new ArgumentException(
                $"premise violated: C ≥ 2, m ≥ 1 and n = C·m ≥ p needed (C = {classes}, m = {perClass}, p = {p})"
            );
        var rng = new Rng(seed);
        var labels = Enumerable.Range(0, classes * perClass).Select(i => i % classes).ToArray();
        var means = LinAlg.Gaussian(rng, classes, p);
        var phi = Matrix<double>.Build.Dense(
            labels.Length,
            p,
            (i, j) => signal * means[labels[i], j]
        );
        phi += LinAlg.Gaussian(rng, labels.Length, p);
        return new ClassTask(classes, labels, phi);
    }

    /// <summary>Indicator values: column i is f*_i at the points (n×C).</summary>
    public Matrix<double> Indicators() =>
        Matrix<double>.Build.Dense(N, Classes, (x, i) => Labels[x] == i ? 1.0 : 0.0);

    /// <summary>
    /// Learned outputs f̂_1..f̂_C of a linear model without bias fitted by least squares to the indicators
    /// (F̂ = Φ(ΦᵀΦ)⁻¹ΦᵀY), so Ĥ ⊂ span{e_1..e_p}; <paramref name="bias"/> adds a constant to every output (then Ĥ leaves
    /// the span unless the constant lies in it).
    /// </summary>
    public Matrix<double> FittedOutputs(double bias = 0)
    {
        var y = Indicators();
        var w = Phi.TransposeThisAndMultiply(Phi).Cholesky().Solve(Phi.TransposeThisAndMultiply(y));
        return Phi * w + bias;
    }
}

/// <summary>
/// Quality and utilization of eigen-features (spec R7; thesis Eq 1.30–1.34, 2.1–2.5, corrected): how much of the
/// target (quality Q*) and of the learned outputs (utilization Q̂) each eigen-feature e_k carries.
/// </summary>
public static class FeatureMetrics
{
    /// <summary>R7 (Eq 2.3, first form): <c>Q*_k = Σ_i ⟨e_k|f*_i⟩²</c>.</summary>
    public static double[] Quality(EigenFeatures ef, Matrix<double> targets)
    {
        var inner = ef.E.TransposeThisAndMultiply(targets) / targets.RowCount; // ⟨e_k|f*_i⟩
        return Enumerable
            .Range(0, inner.RowCount)
            .Select(k => inner.Row(k).DotProduct(inner.Row(k)))
            .ToArray();
    }

    /// <summary>
    /// R7 (Eq 2.3, second form): <c>Q*_k = ⟨e_k|P_{H*} e_k⟩/C</c>, <c>P_{H*} = Σ_j |f*_j⟩⟨f*_j|/‖f*_j‖²</c>
    /// (equal to the first form because ‖f*_j‖² = 1/C on a balanced task).
    /// </summary>
    public static double[] QualityByProjector(EigenFeatures ef, Matrix<double> targets)
    {
        int c = targets.ColumnCount;
        var q = new double[ef.E.ColumnCount];
        for (int k = 0; k < q.Length; k++)
        {
            var e = ef.E.Column(k);
            double s = 0;
            for (int j = 0; j < c; j++)
            {
                var f = targets.Column(j);
                double ef2 = EigenFeatures.Inner(e, f);
                s += ef2 * ef2 / EigenFeatures.Inner(f, f);
            }
            q[k] = s / c;
        }
        return q;
    }

    /// <summary>
    /// R7 (Eq 2.5, corrected — Errata E5): <c>Q̂_k = ⟨e_k|P_Ĥ e_k⟩/dim Ĥ</c>, P_Ĥ the orthogonal projector onto
    /// span{f̂_1..f̂_C} in L²(q) (outputs orthonormalised first). <c>Σ_k Q̂_k = 1</c> whenever Ĥ ⊂ span{e}.
    /// </summary>
    public static double[] Utilization(EigenFeatures ef, Matrix<double> outputs) =>
        ProjectorDiagonal(ef, outputs, squared: false);

    /// <summary>MUST-FAIL CONTROL (thesis Eq 2.5, Errata E5): <c>⟨e_k|P_Ĥ e_k⟩²/dim Ĥ</c> (sums to less than 1).</summary>
    public static double[] UtilizationSquared(EigenFeatures ef, Matrix<double> outputs) =>
        ProjectorDiagonal(ef, outputs, squared: true);

    /// <summary>Cumulative sums Π(k) = Σ_{j≤k} Q_j.</summary>
    public static double[] Cumulative(IReadOnlyList<double> q)
    {
        var pi = new double[q.Count];
        double s = 0;
        for (int k = 0; k < q.Count; k++)
            pi[k] = s += q[k];
        return pi;
    }

    private static double[] ProjectorDiagonal(
        EigenFeatures ef,
        Matrix<double> outputs,
        bool squared
    )
    {
        int n = outputs.RowCount;
        var basis = LinAlg.RowSpaceBasis(
            Enumerable.Range(0, outputs.ColumnCount).Select(j => outputs.Column(j).ToArray())
        ); // orthonormal in ℝⁿ: q_m = √n·basis_m is orthonormal in L²(q)
        int dim = basis.Count;
        if (dim == 0)
            throw new ArgumentException(
                "premise violated: the learned outputs are all zero (dim Ĥ = 0)"
            );
        var u = new double[ef.E.ColumnCount];
        for (int k = 0; k < u.Length; k++)
        {
            var e = ef.E.Column(k);
            double s = 0;
            foreach (var b in basis)
            {
                double inner = e.DotProduct(Vector<double>.Build.DenseOfArray(b)) / Math.Sqrt(n); // ⟨q_m|e_k⟩
                s += inner * inner;
            }
            u[k] = (squared ? s * s : s) / dim;
        }
        return u;
    }
}
