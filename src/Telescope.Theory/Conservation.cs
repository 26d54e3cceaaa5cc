using MathNet.Numerics.LinearAlgebra;

namespace Telescope.Theory;

/// <summary>
/// A two-layer linear network <c>f(x) = xᵀW₁W₂</c> (W₁ ∈ ℝ^{d×p}, W₂ ∈ ℝ^{p×c}) on data X ∈ ℝ^{n×d}, Y ∈ ℝ^{n×c},
/// empirical loss <c>L = (1/(2n))‖XW₁W₂ − Y‖_F²</c> (spec R16). Any data, any X: the law below needs only that L depends
/// on (W₁, W₂) through W₁W₂.
/// </summary>
public sealed record TwoLayerLinear(
    Matrix<double> X,
    Matrix<double> Y,
    Matrix<double> W1,
    Matrix<double> W2
)
{
    /// <summary>A seeded random instance: X, Y ~ N(0, 1), W ~ N(0, sd²).</summary>
    public static TwoLayerLinear Random(int n, int d, int p, int c, double sd, int seed)
    {
        var rng = new Rng(seed);
        return new TwoLayerLinear(
            LinAlg.Gaussian(rng, n, d),
            LinAlg.Gaussian(rng, n, c),
            LinAlg.Gaussian(rng, d, p, sd),
            LinAlg.Gaussian(rng, p, c, sd)
        );
    }
}

/// <summary>An RK4 run of Q(t) (<see cref="Q"/>), the step it used and Richardson's estimate of its global error.</summary>
public sealed record InvariantRun(
    Func<double, Matrix<double>> Q,
    double Step,
    double ErrorEstimate
);

/// <summary>
/// Conservation laws under gradient flow (spec R9, R16, R27 Lemma 3, R31) and the exact one-step drift under discrete GD
/// (R12(a), R16, derived in the spec). Time t in units of η·steps.
/// </summary>
public static class Conservation
{
    /// <summary>The invariant <c>Q = W₁ᵀW₁ − W₂W₂ᵀ</c> (p×p) of R16 (thesis Eq 3.8, A.21–A.29).</summary>
    public static Matrix<double> Invariant(Matrix<double> w1, Matrix<double> w2) =>
        w1.TransposeThisAndMultiply(w1) - w2.TransposeAndMultiply(w2);

    /// <summary>
    /// R16 closed form: under gradient flow <c>d/dt(W₁ᵀW₁ − W₂W₂ᵀ) = 0</c>, because W₁ᵀ∂L/∂W₁ = (∂L/∂W₂)W₂ᵀ; so
    /// Q(t) = Q(0) for all t.
    /// </summary>
    public static Func<double, Matrix<double>> InvariantClosedForm(TwoLayerLinear net)
    {
        var q0 = Invariant(net.W1, net.W2);
        return _ => q0.Clone();
    }

    /// <summary>Gradients (G₁, G₂) = (∂L/∂W₁, ∂L/∂W₂) = (XᵀRW₂ᵀ/n, W₁ᵀXᵀR/n), R = XW₁W₂ − Y.</summary>
    public static (Matrix<double> G1, Matrix<double> G2) Gradients(
        TwoLayerLinear net,
        Matrix<double> w1,
        Matrix<double> w2
    )
    {
        int n = net.X.RowCount;
        var r = net.X * w1 * w2 - net.Y;
        var xr = net.X.TransposeThisAndMultiply(r) / n; // d×c
        return (xr.TransposeAndMultiply(w2), w1.TransposeThisAndMultiply(xr));
    }

    /// <summary>Gradient-flow right-hand side on the packed state [W₁, W₂] (column-major).</summary>
    public static Derivative Flow(TwoLayerLinear net)
    {
        int d = net.W1.RowCount,
            p = net.W1.ColumnCount,
            c = net.W2.ColumnCount;
        return (_, y, dy) =>
        {
            var w1 = LinAlg.View(y, 0, d, p);
            var w2 = LinAlg.View(y, d * p, p, c);
            var (g1, g2) = Gradients(net, w1, w2);
            LinAlg.Store(-g1, dy, 0);
            LinAlg.Store(-g2, dy, d * p);
        };
    }

    /// <summary>
    /// Simulator with the signature of <see cref="InvariantClosedForm"/>: RK4 on [W₁, W₂] with step
    /// <paramref name="maxStep"/> (spec R16: 4000 steps to t = 10), returns Q(t).
    /// </summary>
    public static Func<double, Matrix<double>> SimulateInvariant(
        TwoLayerLinear net,
        double maxStep = 0.0025
    )
    {
        int d = net.W1.RowCount,
            p = net.W1.ColumnCount,
            c = net.W2.ColumnCount;
        var traj = new OdeTrajectory(Flow(net), LinAlg.Pack(net.W1, net.W2), maxStep);
        return t =>
        {
            var y = traj.At(t);
            return Invariant(LinAlg.View(y, 0, d, p), LinAlg.View(y, d * p, p, c));
        };
    }

    /// <summary>
    /// <see cref="SimulateInvariant(TwoLayerLinear, double)"/> with a step fine enough for <paramref name="accuracy"/>: starting from
    /// <paramref name="maxStep"/>, the step is halved until Richardson's estimate of the global error of the finer run,
    /// max over <paramref name="grid"/> and entries of |Q_h(t) − Q_{h/2}(t)| / 15 (RK4's global error ∝ h⁴), is at most
    /// <paramref name="accuracy"/>. Returns the finer run, its step and that estimate. The estimate measures only the
    /// integrator, so a violated law still shows: Q_h and Q_{h/2} would then drift alike and agree with each other.
    /// </summary>
    public static InvariantRun SimulateInvariant(
        TwoLayerLinear net,
        IReadOnlyList<double> grid,
        double accuracy,
        double maxStep = 0.0025,
        int maxHalvings = 10
    )
    {
        if (!(accuracy > 0))
            throw new ArgumentOutOfRangeException(nameof(accuracy), "accuracy must be positive");
        double h = maxStep;
        var coarse = grid.Select(SimulateInvariant(net, h)).ToList();
        for (int k = 0; ; k++)
        {
            var fineSim = SimulateInvariant(net, h / 2);
            var fine = grid.Select(fineSim).ToList();
            double diff = 0;
            for (int i = 0; i < fine.Count; i++)
                diff = Math.Max(diff, (coarse[i] - fine[i]).Enumerate().Max(Math.Abs));
            double estimate = diff / 15;
            if (estimate <= accuracy || k == maxHalvings)
                return new InvariantRun(fineSim, h / 2, estimate);
            coarse = fine;
            h /= 2;
        }
    }

    /// <summary>
    /// R16 GD (derived in the spec): one step W ← W − ηG changes Q by exactly <c>η²(G₁ᵀG₁ − G₂G₂ᵀ)</c> (the first-order
    /// terms cancel). Returns the predicted change.
    /// </summary>
    public static Matrix<double> GdStepChangePredicted(TwoLayerLinear net, double eta)
    {
        var (g1, g2) = Gradients(net, net.W1, net.W2);
        return eta * eta * (g1.TransposeThisAndMultiply(g1) - g2.TransposeAndMultiply(g2));
    }

    /// <summary>Simulator for <see cref="GdStepChangePredicted"/>: take the GD step and return Q(after) − Q(before).</summary>
    public static Matrix<double> GdStepChangeSimulated(TwoLayerLinear net, double eta)
    {
        var (g1, g2) = Gradients(net, net.W1, net.W2);
        var w1 = net.W1 - eta * g1;
        var w2 = net.W2 - eta * g2;
        return Invariant(w1, w2) - Invariant(net.W1, net.W2);
    }

    /// <summary>‖Q(after n GD steps) − Q(0)‖_F: the GD drift that gradient flow does not have (grows ∝ η at fixed t = nη).</summary>
    public static double GdDrift(TwoLayerLinear net, double eta, int steps)
    {
        var w1 = net.W1.Clone();
        var w2 = net.W2.Clone();
        var q0 = Invariant(w1, w2);
        for (int s = 0; s < steps; s++)
        {
            var (g1, g2) = Gradients(net, w1, w2);
            w1 -= eta * g1;
            w2 -= eta * g2;
        }
        return (Invariant(w1, w2) - q0).FrobeniusNorm();
    }

    /// <summary>R9 (thesis Eq 3.8, 3.11): a² − b² of one mode, conserved under GF; closed form returns the constant.</summary>
    public static Func<double, double> ScalarInvariantClosedForm(UnequalMode m) =>
        _ => m.A0 * m.A0 - m.B0 * m.B0;

    /// <summary>Simulator for <see cref="ScalarInvariantClosedForm"/>: a(t)² − b(t)² along the RK4 trajectory of R11.</summary>
    public static Func<double, double> SimulateScalarInvariant(UnequalMode m)
    {
        var f = Sigmoid.SimulateUnequal(m);
        return t =>
        {
            var y = f(t);
            return y[0] * y[0] - y[1] * y[1];
        };
    }

    /// <summary>R31 (derived in the spec): Σ(t)² − θ(t)² = Σ₀² − S₀² for the scalar network; closed form is the constant.</summary>
    public static Func<double, double> SigmaThetaClosedForm(ScalarNetwork n) =>
        _ => LazyRich.ConservedSigma2MinusTheta2(n);

    /// <summary>Simulator for <see cref="SigmaThetaClosedForm"/>: Σ² − θ² along the RK4 trajectory of R30.</summary>
    public static Func<double, double> SimulateSigmaTheta(ScalarNetwork n)
    {
        var f = LazyRich.Simulate(n);
        return t =>
        {
            var (th, sg) = LazyRich.Moments(n, f(t));
            return sg * sg - th * th;
        };
    }

    /// <summary>
    /// R27 Lemma 3: for one skill of the D_c-shot learner, a² − ‖B‖² is conserved under gradient flow. Closed form
    /// returns the constant.
    /// </summary>
    public static Func<double, double> SkillInvariantClosedForm(double a0, double[] b0) =>
        _ => a0 * a0 - b0.Sum(x => x * x);

    /// <summary>
    /// Simulator for <see cref="SkillInvariantClosedForm"/>: RK4 (step <paramref name="maxStep"/>) of
    /// <see cref="DcShot.LayerwiseFlow"/> on d seeded Gaussian samples of a skill with D_c = b0.Length, target scale S.
    /// </summary>
    public static Func<double, double> SimulateSkillInvariant(
        double a0,
        double[] b0,
        int d,
        double s,
        int seed,
        double maxStep = 0.005
    )
    {
        int dc = b0.Length;
        var rng = new Rng(seed);
        var x = LinAlg.Gaussian(rng, d, dc);
        var y = x * Vector<double>.Build.Dense(dc, s / Math.Sqrt(dc));
        var m = x.TransposeThisAndMultiply(x) / d;
        var c = x.TransposeThisAndMultiply(y) / d;
        var traj = new OdeTrajectory(DcShot.LayerwiseFlow(m, c), [a0, .. b0], maxStep);
        return t =>
        {
            var st = traj.At(t);
            double nb = 0;
            for (int i = 1; i < st.Length; i++)
                nb += st[i] * st[i];
            return st[0] * st[0] - nb;
        };
    }
}
