using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary><c>conservation</c>: R16 W₁ᵀW₁ − W₂W₂ᵀ, R9 a² − b², R27 Lemma 3 a² − ‖B‖², R31 Σ² − θ²; GD one-step drift.</summary>
public sealed class ConservationCheck : ITheoryCheck
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

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int seed = (int)p["seed"];
        var net = TwoLayerLinear.Random(
            (int)p["n"],
            (int)p["d"],
            (int)p["p"],
            (int)p["c"],
            p["init_sd"],
            seed
        );
        double tmax = p["t_max"],
            eta = p["eta"];
        var rows = new List<Comparison>();
        var cf = Conservation.InvariantClosedForm(net);
        var sim = Conservation.SimulateInvariant(net);
        double q0 = cf(0).FrobeniusNorm();
        var grid = Rows.Grid(tmax, 10);
        int width = net.W1.ColumnCount;
        foreach (var t in grid)
        {
            var qs = sim(t);
            var qc = cf(t);
            int k = 0;
            for (int i = 0; i < width; i++)
            for (int jj = i; jj < width; jj++)
                rows.Add(
                    new Comparison("Q", t, qc[i, jj], qs[i, jj], 1e-8 * (1 + q0), Output: ++k)
                );
        }
        // GD: exact one-step change, and the accumulated drift (control: "conserved under GD")
        var pred = Conservation.GdStepChangePredicted(net, eta);
        var act = Conservation.GdStepChangeSimulated(net, eta);
        {
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
        }
        int gdSteps = (int)Math.Round(tmax / eta);
        rows.Add(
            new Comparison(
                "control_Q_conserved_under_gd",
                tmax,
                0,
                Conservation.GdDrift(net, eta, gdSteps),
                1e-8 * (1 + q0),
                true
            )
        );
        // R9 scalar a^2 - b^2 (unequal init, spec control values), R31 Sigma^2 - theta^2, R27 Lemma 3
        var mode = new UnequalMode(1.0, 0.2, 1.0, 1.0);
        rows.AddRange(
            Rows.Curve(
                "a2_minus_b2",
                grid,
                Conservation.ScalarInvariantClosedForm(mode),
                Conservation.SimulateScalarInvariant(mode),
                1e-9 * (1 + 0.96)
            )
        );
        var (ga, gb) = Sigmoid.GradientDescent(1.0, 0.2, 1.0, 1.0, 0.1, 3000);
        rows.Add(
            new Comparison(
                "control_a2_minus_b2_conserved_under_gd",
                300,
                0.96,
                ga[^1] * ga[^1] - gb[^1] * gb[^1],
                1e-9 * (1 + 0.96),
                true
            )
        );
        var rng = new Rng(seed + 1);
        var sn = new ScalarNetwork(rng.Normals(4, 0.5), rng.Normals(4, 0.5), 1, 2);
        rows.AddRange(
            Rows.Curve(
                "Sigma2_minus_theta2",
                grid,
                Conservation.SigmaThetaClosedForm(sn),
                Conservation.SimulateSigmaTheta(sn),
                1e-8
            )
        );
        double a0 = 0.3;
        var b0 = new Rng(seed + 2).Normals(8, 0.3);
        rows.AddRange(
            Rows.Curve(
                "a2_minus_normB2",
                grid,
                Conservation.SkillInvariantClosedForm(a0, b0),
                Conservation.SimulateSkillInvariant(a0, b0, 5, 1.0, seed + 3),
                1e-8
            )
        );
        return new TheoryReport(
            rows,
            "t (units of eta*steps)",
            [seed],
            "synthetic: seeded Gaussian X, Y (n x d, n x c) and init",
            [
                $"||Q(0)||_F = {q0:G6}; GD drift after t = {tmax} at eta = {eta}: {Conservation.GdDrift(net, eta, gdSteps):G4}",
            ]
        );
    }
}
