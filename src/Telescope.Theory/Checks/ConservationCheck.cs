using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>conservation</c>: R16 W₁ᵀW₁ − W₂W₂ᵀ, R9 a² − b², R27 Lemma 3 a² − ‖B‖², R31 Σ² − θ²; GD one-step drift. Each
/// claim is a public builder (<see cref="Invariant"/>, <see cref="GdStep"/>, <see cref="ScalarInvariant"/>,
/// <see cref="SigmaTheta"/>, <see cref="SkillInvariant"/>) with its must-fail control; <see cref="Run"/> composes them.
/// </summary>
internal sealed class ConservationCheck : ITheoryCheck
{
    public string Name => "conservation";

    public string Summary =>
        "R9, R16, R27 (Lemma 3), R31: quantities conserved under gradient flow (RK4) and the exact one-step drift eta^2 (G1'G1 - G2G2') under GD";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("n", 10, 2, 50, "samples", Integer: true),
        new("d", 4, 1, 10, "input dimension", Integer: true),
        new("p", 5, 1, 10, "hidden width", Integer: true),
        new("c", 3, 1, 6, "outputs", Integer: true),
        new("init_sd", 0.3, 0.01, 1, "init standard deviation"),
        new("t_max", 10, 0.5, 20, "gradient-flow horizon"),
        new("eta", 0.05, 0.001, 0.1, "GD learning rate (drift rows and control)"),
        new("seed", 1, 0, 1_000_000, "seed", Integer: true),
    ];

    /// <summary>Intervals of the gradient-flow grid on [0, t_max].</summary>
    public const int Points = 10;

    /// <summary>Tolerance of the RK4 rows, relative to 1 + ‖Q(0)‖_F for Q.</summary>
    public const double Tolerance = 1e-8;

    /// <summary>
    /// Share of the R16 tolerance the RK4 integrator may spend: its Richardson error estimate is held to
    /// <c>IntegratorShare · Tolerance · (1 + ‖Q(0)‖_F)</c>, so a large init gets a finer step instead of a miss.
    /// </summary>
    public const double IntegratorShare = 0.25;

    /// <summary>The seeded two-layer linear network of the values.</summary>
    public static TwoLayerLinear NetworkOf(IReadOnlyDictionary<string, double> p) =>
        TwoLayerLinear.Random(
            (int)p["n"],
            (int)p["d"],
            (int)p["p"],
            (int)p["c"],
            p["init_sd"],
            (int)p["seed"]
        );

    /// <summary>‖Q(0)‖_F, the scale of the Q tolerances.</summary>
    public static double Scale(TwoLayerLinear net) =>
        Conservation.InvariantClosedForm(net)(0).FrobeniusNorm();

    /// <summary>R16: the upper triangle of Q = W₁ᵀW₁ − W₂W₂ᵀ (constant) against RK4 on the grid of [0, t_max].</summary>
    public static IReadOnlyList<Comparison> Invariant(TwoLayerLinear net, double tmax)
    {
        var cf = Conservation.InvariantClosedForm(net);
        double q0 = cf(0).FrobeniusNorm();
        var grid = Rows.Grid(tmax, Points).ToList();
        var sim = Conservation
            .SimulateInvariant(net, grid, IntegratorShare * Tolerance * (1 + q0))
            .Q;
        int width = net.W1.ColumnCount;
        var rows = new List<Comparison>();
        foreach (var t in grid)
        {
            var qs = sim(t);
            var qc = cf(t);
            int k = 0;
            for (int i = 0; i < width; i++)
            for (int jj = i; jj < width; jj++)
                rows.Add(
                    new Comparison("Q", t, qc[i, jj], qs[i, jj], Tolerance * (1 + q0), Output: ++k)
                );
        }
        return rows;
    }

    /// <summary>GD: the exact one-step change η²(G₁ᵀG₁ − G₂G₂ᵀ) of Q against one GD step.</summary>
    public static IReadOnlyList<Comparison> GdStep(TwoLayerLinear net, double eta)
    {
        double q0 = Scale(net);
        var pred = Conservation.GdStepChangePredicted(net, eta);
        var act = Conservation.GdStepChangeSimulated(net, eta);
        int width = net.W1.ColumnCount;
        var rows = new List<Comparison>();
        int k = 0;
        for (int i = 0; i < width; i++)
        for (int jj = i; jj < width; jj++)
            rows.Add(
                new Comparison(
                    "dQ_one_gd_step",
                    eta,
                    pred[i, jj],
                    act[i, jj],
                    1e-12 * (1 + q0),
                    Output: ++k
                )
            );
        return rows;
    }

    /// <summary>GD steps of the drift control: round(t_max/η).</summary>
    public static int GdSteps(double tmax, double eta) => (int)Math.Round(tmax / eta);

    /// <summary>MUST-FAIL CONTROL: "Q is conserved under GD" against the drift accumulated over t_max/η steps.</summary>
    public static Comparison GdDriftControl(TwoLayerLinear net, double eta, double tmax) =>
        new(
            "control_Q_conserved_under_gd",
            tmax,
            0,
            Conservation.GdDrift(net, eta, GdSteps(tmax, eta)),
            Tolerance * (1 + Scale(net)),
            true
        );

    /// <summary>The unequal scalar mode of the R9 rows (spec control values): a² − b² = 0.96.</summary>
    public static readonly UnequalMode ScalarMode = new(1.0, 0.2, 1.0, 1.0);

    /// <summary>R9: a² − b² of <see cref="ScalarMode"/> against RK4 on the grid.</summary>
    public static IReadOnlyList<Comparison> ScalarInvariant(double tmax) =>
        Rows.Curve(
                "a2_minus_b2",
                Rows.Grid(tmax, Points),
                Conservation.ScalarInvariantClosedForm(ScalarMode),
                Conservation.SimulateScalarInvariant(ScalarMode),
                1e-9 * (1 + 0.96)
            )
            .ToList();

    /// <summary>MUST-FAIL CONTROL: a² − b² = 0.96 "conserved" under 3000 GD steps at η = 0.1.</summary>
    public static Comparison ScalarGdControl()
    {
        var (ga, gb) = Sigmoid.GradientDescent(1.0, 0.2, 1.0, 1.0, 0.1, 3000);
        return new Comparison(
            "control_a2_minus_b2_conserved_under_gd",
            300,
            0.96,
            ga[^1] * ga[^1] - gb[^1] * gb[^1],
            1e-9 * (1 + 0.96),
            true
        );
    }

    /// <summary>R31: Σ² − θ² of a seeded width-4 scalar network (Z = 1, S = 2) against RK4.</summary>
    public static IReadOnlyList<Comparison> SigmaTheta(int seed, double tmax)
    {
        var rng = new Rng(seed + 1);
        var sn = new ScalarNetwork(rng.Normals(4, 0.5), rng.Normals(4, 0.5), 1, 2);
        return Rows.Curve(
                "Sigma2_minus_theta2",
                Rows.Grid(tmax, Points),
                Conservation.SigmaThetaClosedForm(sn),
                Conservation.SimulateSigmaTheta(sn),
                Tolerance
            )
            .ToList();
    }

    /// <summary>R27 Lemma 3: a² − ‖B‖² of a seeded skill (a₀ = 0.3, B₀ ~ N(0, 0.09), 8 entries) against RK4.</summary>
    public static IReadOnlyList<Comparison> SkillInvariant(int seed, double tmax)
    {
        double a0 = 0.3;
        var b0 = new Rng(seed + 2).Normals(8, 0.3);
        return Rows.Curve(
                "a2_minus_normB2",
                Rows.Grid(tmax, Points),
                Conservation.SkillInvariantClosedForm(a0, b0),
                Conservation.SimulateSkillInvariant(a0, b0, 5, 1.0, seed + 3),
                Tolerance
            )
            .ToList();
    }

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int seed = (int)p["seed"];
        var net = NetworkOf(p);
        double tmax = p["t_max"],
            eta = p["eta"];
        var rows = new List<Comparison>();
        rows.AddRange(Invariant(net, tmax));
        rows.AddRange(GdStep(net, eta));
        var drift = GdDriftControl(net, eta, tmax);
        rows.Add(drift);
        rows.AddRange(ScalarInvariant(tmax));
        rows.Add(ScalarGdControl());
        rows.AddRange(SigmaTheta(seed, tmax));
        rows.AddRange(SkillInvariant(seed, tmax));
        return new TheoryReport(
            rows,
            "t (units of eta*steps)",
            [seed],
            "synthetic: seeded Gaussian X, Y (n x d, n x c) and init",
            [
                $"||Q(0)||_F = {Scale(net):G6}; GD drift after t = {tmax} at eta = {eta}: {drift.Simulated:G4}",
            ]
        );
    }
}
