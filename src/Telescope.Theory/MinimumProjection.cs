using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// The minimum-projection (MP) operator and the neural collapse it implies (spec R8; thesis Def. 1–2, Eq 2.8–2.19,
/// app. D, constants corrected — Errata E6). On a balanced C-class task,
/// <c>T_MP[u] = a₁⟨1,u⟩·1 + a₂·P_Ĥ u</c>; the feature map <c>Φ(x) = √a₁·v₀ + √(a₂C)·v_class(x)</c> (v₀..v_C
/// orthonormal) realises it exactly, with kernel <c>a₁ + a₂C·[same class]</c>. Operators act on functions given by
/// their values at the n points: <c>T[u](x') = E_x[Φ(x)ᵀΦ(x')u(x)]</c> = (K/n)u.
/// </summary>
public static class MinimumProjection
{
    /// <summary>MP features for <paramref name="labels"/> (classes 0..C−1) in dimension <paramref name="dim"/> ≥ C + 1.</summary>
    public static Matrix<double> Features(
        int[] labels,
        int classes,
        double a1,
        double a2,
        int dim,
        int seed
    )
    {
        if (dim < classes + 1)
            throw new ArgumentException(
                $"premise violated: dimension {dim} < C + 1 = {classes + 1}"
            );
        if (!(a1 > 0 && a2 > 0))
            throw new ArgumentException(
                $"premise violated: a₁, a₂ > 0 needed (a₁ = {a1}, a₂ = {a2})"
            );
        var basis = LinAlg.Gaussian(new Rng(seed), dim, classes + 1).QR().Q; // orthonormal columns v₀..v_C
        return Matrix<double>.Build.Dense(
            labels.Length,
            dim,
            (x, j) =>
                Math.Sqrt(a1) * basis[j, 0] + Math.Sqrt(a2 * classes) * basis[j, labels[x] + 1]
        );
    }

    /// <summary>Kernel of the MP operator: <c>K_MP(x, x') = a₁ + a₂C·[class(x) = class(x')]</c>.</summary>
    public static Matrix<double> Kernel(int[] labels, int classes, double a1, double a2) =>
        Matrix<double>.Build.Dense(
            labels.Length,
            labels.Length,
            (x, y) => a1 + (labels[x] == labels[y] ? a2 * classes : 0)
        );

    /// <summary>⟨u|T v⟩ for the operator of feature kernel K: <c>uᵀKv/n²</c>.</summary>
    public static double OperatorInner(Matrix<double> kernel, Vector<double> u, Vector<double> v) =>
        u.DotProduct(kernel * v) / ((double)u.Count * u.Count);

    /// <summary>Class means μ_i (rows) of the features.</summary>
    public static Matrix<double> ClassMeans(Matrix<double> phi, int[] labels, int classes)
    {
        var mu = Matrix<double>.Build.Dense(classes, phi.ColumnCount);
        var counts = new int[classes];
        for (int x = 0; x < labels.Length; x++)
        {
            mu.SetRow(labels[x], mu.Row(labels[x]) + phi.Row(x));
            counts[labels[x]]++;
        }
        for (int i = 0; i < classes; i++)
            mu.SetRow(i, mu.Row(i) / counts[i]);
        return mu;
    }

    /// <summary>Gram of centred class means <c>(μ_i − μ_g)ᵀ(μ_j − μ_g)</c>, μ_g = (1/C)Σμ_i.</summary>
    public static Matrix<double> CentredMeanGram(Matrix<double> means)
    {
        var g = Vector<double>.Build.Dense(means.ColumnCount, j => means.Column(j).Average());
        var centred = Matrix<double>.Build.Dense(
            means.RowCount,
            means.ColumnCount,
            (i, j) => means[i, j] - g[j]
        );
        return centred * centred.Transpose();
    }

    /// <summary>R8 NC2 closed form: <c>C·a₂·(δ_ij − 1/C)</c> (a simplex equiangular tight frame, cos = −1/(C−1)).</summary>
    public static double CentredMeanGramClosedForm(int classes, double a2, int i, int j) =>
        classes * a2 * ((i == j ? 1.0 : 0.0) - 1.0 / classes);

    /// <summary>Within-class scatter trace Σ_x ‖Φ(x) − μ_class(x)‖²/n (NC1: zero for MP features).</summary>
    public static double WithinClassScatter(
        Matrix<double> phi,
        int[] labels,
        Matrix<double> means
    ) =>
        Enumerable
            .Range(0, labels.Length)
            .Sum(x =>
                (phi.Row(x) - means.Row(labels[x])).DotProduct(phi.Row(x) - means.Row(labels[x]))
            ) / labels.Length;

    /// <summary>R8 (Eq 2.18, corrected — E6): the factor in <c>μ_iᵀμ_j = C²·⟨f̂_i|T f̂_j⟩</c> is C².</summary>
    public static double MeanInnerFactor(int classes) => (double)classes * classes;

    /// <summary>MUST-FAIL CONTROL (thesis Eq 2.18): the factor 1.</summary>
    public static double MeanInnerFactorMisprinted(int classes) => 1;

    /// <summary>R8 (Eq 2.19 corrected = Eq D.12): <c>⟨C f̂_i|T_MP[C f̂_j − 1]⟩ = a₂(C δ_ij − 1)</c>.</summary>
    public static double MpIdentity(int classes, double a2, int i, int j) =>
        a2 * (classes * (i == j ? 1.0 : 0.0) - 1);

    /// <summary>MUST-FAIL CONTROL (thesis Eq 2.19): <c>a₂(δ_ij − 1/C)</c>, off by a factor C.</summary>
    public static double MpIdentityMisprinted(int classes, double a2, int i, int j) =>
        a2 * ((i == j ? 1.0 : 0.0) - 1.0 / classes);

    /// <summary>
    /// Centred kernel alignment (Eq 2.9): <c>CKA(K₁,K₂) = ⟨HK₁H, HK₂H⟩_F/(‖HK₁H‖_F‖HK₂H‖_F)</c>, H = I − 11ᵀ/n.
    /// </summary>
    public static double Cka(Matrix<double> k1, Matrix<double> k2)
    {
        int n = k1.RowCount;
        var h = Matrix<double>.Build.DenseIdentity(n) - Matrix<double>.Build.Dense(n, n, 1.0 / n);
        var c1 = h * k1 * h;
        var c2 = h * k2 * h;
        return c1.PointwiseMultiply(c2).Enumerate().Sum()
            / (c1.FrobeniusNorm() * c2.FrobeniusNorm());
    }

    /// <summary>κ_CKA = 1 − CKA(K, K_MP): distance of a feature kernel from the MP operator (MF regime: κ_CKA &lt; 0.1).</summary>
    public static double KappaCka(
        Matrix<double> phi,
        int[] labels,
        int classes,
        double a1,
        double a2
    ) => 1 - Cka(phi * phi.Transpose(), Kernel(labels, classes, a1, a2));
}
