using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary><c>gamma-plus</c>: R29–R32, exact γ(t) (corrected rate 2Ω), γ₊, its lower bound, the conserved Σ² − θ², laziness.</summary>
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

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int width = (int)p["p"],
            seed = (int)p["seed"];
        var rng = new Rng(seed);
        var net = new ScalarNetwork(
            rng.Normals(width, p["init_sd"]),
            rng.Normals(width, p["init_sd"]),
            p["Z"],
            p["S"]
        );
        var rows = new List<Comparison>();
        var state = LazyRich.State(net);
        var sim = LazyRich.Simulate(net);
        // gamma from the simulation: ((a_j + b_j)(t) / (a_j + b_j)(0))^2 for the component with the largest |a_j + b_j|
        int j = Enumerable.Range(0, width).MaxBy(i => Math.Abs(net.A0[i] + net.B0[i]));
        double gammaSim(double t)
        {
            var y = sim(t);
            double r = (y[j] + y[width + j]) / (net.A0[j] + net.B0[j]);
            return r * r;
        }
        double horizon = 12 * net.Z / (2 * net.Omega);
        var grid = Rows.Grid(horizon, 100);
        rows.AddRange(
            Rows.Curve("gamma", grid, LazyRich.Gamma(net), gammaSim, 1e-8, relative: true)
        );
        rows.AddRange(
            Rows.Curve(
                "theta",
                grid,
                LazyRich.Theta(net),
                t => LazyRich.Moments(net, sim(t)).Theta,
                1e-8,
                relative: true
            )
        );
        rows.AddRange(
            Rows.Curve(
                "Sigma",
                grid,
                LazyRich.Sigma(net),
                t => LazyRich.Moments(net, sim(t)).Sigma,
                1e-8,
                relative: true
            )
        );
        for (int i = 0; i < width; i++)
        {
            int k = i;
            rows.AddRange(
                Rows.Curve(
                    "a",
                    grid.Where((_, n) => n % 5 == 0),
                    t => state(t)[k],
                    t => sim(t)[k],
                    1e-8,
                    output: k + 1,
                    relative: true
                )
            );
            rows.AddRange(
                Rows.Curve(
                    "b",
                    grid.Where((_, n) => n % 5 == 0),
                    t => state(t)[width + k],
                    t => sim(t)[width + k],
                    1e-8,
                    output: k + 1,
                    relative: true
                )
            );
        }
        // R31: gamma_plus = lim gamma, Sigma(inf) = Omega at a long finite horizon (tolerance 1e-6), Sigma^2 - theta^2 conserved
        double far = 40 * net.Z / (2 * net.Omega);
        rows.Add(
            new Comparison(
                "gamma_plus",
                far,
                LazyRich.GammaPlus(net),
                gammaSim(far),
                Rows.Relative(1e-6, LazyRich.GammaPlus(net))
            )
        );
        rows.Add(
            new Comparison(
                "Sigma_inf_equals_Omega",
                far,
                net.Omega,
                LazyRich.Moments(net, sim(far)).Sigma,
                1e-6
            )
        );
        rows.AddRange(
            Rows.Curve(
                "Sigma2_minus_theta2",
                grid.Where((_, n) => n % 5 == 0),
                _ => LazyRich.ConservedSigma2MinusTheta2(net),
                t =>
                {
                    var (th, sg) = LazyRich.Moments(net, sim(t));
                    return sg * sg - th * th;
                },
                1e-8,
                relative: true
            )
        );
        // R31 lower bound gamma_plus >= S/Sigma0 (simulated side: S/Sigma0; bound side: gamma_plus)
        rows.Add(
            new Comparison(
                "S_over_Sigma0_at_most_gamma_plus",
                0,
                LazyRich.GammaPlus(net),
                LazyRich.GammaPlusLowerBound(net),
                1e-12,
                Relation: Relation.AtMost
            )
        );
        // R32 laziness: dev <= 0.25 |ln gamma_plus|
        double dev = LazyRich.LazinessDeviation(net);
        rows.Add(
            new Comparison(
                "laziness_deviation_at_most_bound",
                0,
                0.25 * Math.Abs(Math.Log(LazyRich.GammaPlus(net))),
                dev,
                0,
                Relation: Relation.AtMost
            )
        );
        // Control: thesis Eq 6.12 (rate 4 Omega)
        rows.AddRange(
            Rows.Curve(
                "control_gamma_thesis_4omega",
                grid,
                LazyRich.GammaThesisEq612(net),
                gammaSim,
                1e-8,
                control: true,
                relative: true
            )
        );
        return new TheoryReport(
            rows,
            "t (units of eta*steps*E[x^2])",
            [seed],
            "synthetic: population loss, seeded Gaussian initialisation",
            [
                $"S0 = {net.S0:G6}, Sigma0 = {net.Sigma0:G6}, Omega = {net.Omega:G6}, gamma_plus = {LazyRich.GammaPlus(net):G6}, S/Sigma0 = {LazyRich.GammaPlusLowerBound(net):G6}, laziness dev = {dev:G4}",
            ]
        );
    }
}
