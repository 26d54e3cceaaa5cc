using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>gamma-plus</c>: R29–R32, exact γ(t) (corrected rate 2Ω), γ₊, its lower bound, the conserved Σ² − θ², laziness.
/// Each claim is a public builder over a <see cref="Setup"/> (the network and its RK4 simulator); <see cref="Run"/>
/// composes them in the table's order. Every growing quantity (γ reaches hundreds near the a + b = 0 saddle, Σ grows
/// with p·sd²/Z) has the relative tolerance <c>tol · max(1, |closed form|)</c>.
/// </summary>
public sealed class GammaPlusCheck : ITheoryCheck
{
    public string Name => "gamma-plus";

    public string Summary =>
        "R29-R32: exact gamma(t) of the width-p scalar network (rate 2*Omega/Z, thesis prints 4), gamma_plus, gamma_plus >= S/Sigma0, Sigma^2 - theta^2, laziness bound";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("p", 4, 1, 8, "width", Integer: true),
        new("Z", 1, 0.5, 10, "output scale"),
        new("S", 2, 0.2, 4, "target scale"),
        new("init_sd", 0.5, 0.05, 1.5, "init standard deviation of a_i(0), b_i(0)"),
        new("seed", 1, 0, 1_000_000, "seed of the initialisation", Integer: true),
    ];

    /// <summary>Intervals of the trajectory grid on [0, <see cref="Setup.Horizon"/>].</summary>
    public const int Points = 100;

    /// <summary>Every this-many grid point carries the a, b and Σ² − θ² rows.</summary>
    public const int Stride = 5;

    /// <summary>Relative tolerance of the trajectory rows (RK4 against the closed form).</summary>
    public const double Tolerance = 1e-8;

    /// <summary>Relative tolerance of γ₊ and absolute tolerance of Σ(∞) = Ω at the finite horizon <see cref="Setup.Far"/>.</summary>
    public const double LimitTolerance = 1e-6;

    /// <summary>
    /// The network and its RK4 simulator. The simulator continues from its last query (a query before it restarts
    /// from 0), so rows agree with the closed form whatever the order but their last digits depend on it: the table is
    /// <see cref="Run"/>'s order over one setup.
    /// </summary>
    public sealed record Setup(ScalarNetwork Net, Func<double, double[]> Sim)
    {
        /// <summary>The trajectory horizon 12Z/(2Ω).</summary>
        public double Horizon => 12 * Net.Z / (2 * Net.Omega);

        /// <summary>The long horizon 40Z/(2Ω) of the limit rows.</summary>
        public double Far => 40 * Net.Z / (2 * Net.Omega);

        /// <summary><see cref="Points"/> + 1 times on [0, <see cref="Horizon"/>].</summary>
        public double[] Grid => Rows.Grid(Horizon, Points);

        /// <summary>Every <see cref="Stride"/>-th time of <see cref="Grid"/>.</summary>
        public double[] Coarse => Grid.Where((_, n) => n % Stride == 0).ToArray();

        /// <summary>The component with the largest |a_j(0) + b_j(0)|, whose ratio gives the simulated γ.</summary>
        public int J => Enumerable.Range(0, Net.P).MaxBy(i => Math.Abs(Net.A0[i] + Net.B0[i]));

        /// <summary>γ from the simulation: ((a_j + b_j)(t) / (a_j + b_j)(0))² for <see cref="J"/>.</summary>
        public double GammaSimulated(double t)
        {
            int j = J;
            var y = Sim(t);
            double r = (y[j] + y[Net.P + j]) / (Net.A0[j] + Net.B0[j]);
            return r * r;
        }
    }

    /// <summary>The seeded network of the values (a_i(0), b_i(0) ~ N(0, init_sd²)) with a fresh simulator.</summary>
    public static Setup SetupOf(IReadOnlyDictionary<string, double> p)
    {
        var rng = new Rng((int)p["seed"]);
        int width = (int)p["p"];
        var net = new ScalarNetwork(
            rng.Normals(width, p["init_sd"]),
            rng.Normals(width, p["init_sd"]),
            p["Z"],
            p["S"]
        );
        return new Setup(net, LazyRich.Simulate(net));
    }

    /// <summary>R30: γ(t) (Theorem 1, rate 2Ω/Z) against RK4 on the grid.</summary>
    public static IReadOnlyList<Comparison> Gamma(Setup s) =>
        Rows.Curve(
                "gamma",
                s.Grid,
                LazyRich.Gamma(s.Net),
                s.GammaSimulated,
                Tolerance,
                relative: true
            )
            .ToList();

    /// <summary>R30: θ(t) and Σ(t) against RK4 on the grid.</summary>
    public static IReadOnlyList<Comparison> Moments(Setup s) =>
        [
            .. Rows.Curve(
                "theta",
                s.Grid,
                LazyRich.Theta(s.Net),
                t => LazyRich.Moments(s.Net, s.Sim(t)).Theta,
                Tolerance,
                relative: true
            ),
            .. Rows.Curve(
                "Sigma",
                s.Grid,
                LazyRich.Sigma(s.Net),
                t => LazyRich.Moments(s.Net, s.Sim(t)).Sigma,
                Tolerance,
                relative: true
            ),
        ];

    /// <summary>R30: every parameter a_i(t), b_i(t) of the closed-form state against RK4 on the coarse grid.</summary>
    public static IReadOnlyList<Comparison> State(Setup s)
    {
        var state = LazyRich.State(s.Net);
        int width = s.Net.P;
        var rows = new List<Comparison>();
        for (int i = 0; i < width; i++)
        {
            int k = i;
            rows.AddRange(
                Rows.Curve(
                    "a",
                    s.Coarse,
                    t => state(t)[k],
                    t => s.Sim(t)[k],
                    Tolerance,
                    output: k + 1,
                    relative: true
                )
            );
            rows.AddRange(
                Rows.Curve(
                    "b",
                    s.Coarse,
                    t => state(t)[width + k],
                    t => s.Sim(t)[width + k],
                    Tolerance,
                    output: k + 1,
                    relative: true
                )
            );
        }
        return rows;
    }

    /// <summary>R31: γ₊ = lim γ (relative) and Σ(∞) = Ω at the long finite horizon.</summary>
    public static IReadOnlyList<Comparison> Limit(Setup s)
    {
        double far = s.Far,
            gp = LazyRich.GammaPlus(s.Net);
        return
        [
            new("gamma_plus", far, gp, s.GammaSimulated(far), Rows.Relative(LimitTolerance, gp)),
            new(
                "Sigma_inf_equals_Omega",
                far,
                s.Net.Omega,
                LazyRich.Moments(s.Net, s.Sim(far)).Sigma,
                LimitTolerance
            ),
        ];
    }

    /// <summary>R31: Σ² − θ² conserved along RK4 (relative to the conserved value).</summary>
    public static IReadOnlyList<Comparison> Conserved(Setup s) =>
        Rows.Curve(
                "Sigma2_minus_theta2",
                s.Coarse,
                _ => LazyRich.ConservedSigma2MinusTheta2(s.Net),
                t =>
                {
                    var (th, sg) = LazyRich.Moments(s.Net, s.Sim(t));
                    return sg * sg - th * th;
                },
                Tolerance,
                relative: true
            )
            .ToList();

    /// <summary>R31 lower bound γ₊ ≥ S/Σ₀ (simulated side S/Σ₀, bound side γ₊).</summary>
    public static Comparison LowerBound(ScalarNetwork net) =>
        new(
            "S_over_Sigma0_at_most_gamma_plus",
            0,
            LazyRich.GammaPlus(net),
            LazyRich.GammaPlusLowerBound(net),
            1e-12,
            Relation: Relation.AtMost
        );

    /// <summary>R32 laziness: the deviation is at most 0.25 |ln γ₊|.</summary>
    public static Comparison Laziness(ScalarNetwork net) =>
        new(
            "laziness_deviation_at_most_bound",
            0,
            0.25 * Math.Abs(Math.Log(LazyRich.GammaPlus(net))),
            LazyRich.LazinessDeviation(net),
            0,
            Relation: Relation.AtMost
        );

    /// <summary>MUST-FAIL CONTROL (Errata E1): thesis Eq 6.12's rate 4Ω against the same simulated γ.</summary>
    public static IReadOnlyList<Comparison> ThesisRateControl(Setup s) =>
        Rows.Curve(
                "control_gamma_thesis_4omega",
                s.Grid,
                LazyRich.GammaThesisEq612(s.Net),
                s.GammaSimulated,
                Tolerance,
                control: true,
                relative: true
            )
            .ToList();

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        var s = SetupOf(p);
        var net = s.Net;
        var rows = new List<Comparison>();
        rows.AddRange(Gamma(s));
        rows.AddRange(Moments(s));
        rows.AddRange(State(s));
        rows.AddRange(Limit(s));
        rows.AddRange(Conserved(s));
        rows.Add(LowerBound(net));
        var laziness = Laziness(net);
        rows.Add(laziness);
        rows.AddRange(ThesisRateControl(s));
        return new TheoryReport(
            rows,
            "t (units of eta*steps*E[x^2])",
            [(int)p["seed"]],
            "synthetic: population loss, seeded Gaussian initialisation",
            [
                $"S0 = {net.S0:G6}, Sigma0 = {net.Sigma0:G6}, Omega = {net.Omega:G6}, gamma_plus = {LazyRich.GammaPlus(net):G6}, S/Sigma0 = {LazyRich.GammaPlusLowerBound(net):G6}, laziness dev = {laziness.Simulated:G4}",
            ]
        );
    }
}
