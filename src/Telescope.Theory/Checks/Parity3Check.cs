using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary><c>parity3</c>: R33, the weight-shared ReLU network on 3-bit parity — corrected ODEs (Errata E13) vs the network.</summary>
public sealed class Parity3Check : ITheoryCheck
{
    public string Name => "parity3";

    public string Summary =>
        "R33: weight-shared ReLU network on 3-bit parity; corrected ODEs for (alpha^2, beta^2, gamma^2, c) against finite differences of the network and its RK4 trajectory (thesis C.15-C.18 as control)";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("S", 1, 0.5, 2, "target scale"),
        new("init", 0.01, 0.005, 0.1, "alpha(0) = beta(0) = gamma(0); c(0) = 0"),
        new("t_max", 6, 3, 12, "horizon (eta = 1)"),
        new("seed", 1, 0, 1_000_000, "seed of the random gradient-check points", Integer: true),
    ];

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double s = p["S"],
            init = p["init"],
            tmax = p["t_max"];
        int seed = (int)p["seed"];
        var rows = new List<Comparison>();
        var rng = new Rng(seed);
        string[] names = ["d_alpha2_dt", "d_beta2_dt", "d_gamma2_dt", "dc_dt"];
        for (int i = 0; i < 20; i++)
        {
            double a = 0.1 + 1.4 * rng.Uniform(),
                b = 0.1 + 1.4 * rng.Uniform(),
                g = 0.1 + 1.4 * rng.Uniform(),
                c = -1 + 2 * rng.Uniform();
            var fd = Parity3.FlowByFiniteDifferences(a, b, g, c, s, 1.0);
            double[] q = [a * a, b * b, g * g, c];
            var cf = Parity3.Flow(q, s, 1.0);
            var th = Parity3.FlowThesis(q, s, 1.0);
            for (int k = 0; k < 4; k++)
            {
                rows.Add(new Comparison(names[k], i, cf[k], fd[k], 1e-6 * (1 + Math.Abs(fd[k]))));
                rows.Add(
                    new Comparison(
                        "control_thesis_" + names[k],
                        i,
                        th[k],
                        fd[k],
                        1e-6 * (1 + Math.Abs(fd[k])),
                        true
                    )
                );
            }
        }
        // trajectory: RK4 on the corrected ODEs vs RK4 on the network (finite-difference gradient), same steps
        string[] traj = ["alpha2", "beta2", "gamma2", "c"];
        Derivative ode = (_, y, dy) =>
        {
            var d = Parity3.Flow(y, s, 1.0);
            Array.Copy(d, dy, 4);
        };
        int steps = (int)(1000 * tmax);
        foreach (var t in Rows.Grid(tmax, 30))
        {
            if (t == 0)
                continue;
            int n = Math.Max(1, (int)Math.Round(steps * t / tmax));
            var cf = Rk4.Integrate(ode, [init * init, init * init, init * init, 0.0], t, n);
            var sim = Parity3.Simulate(s, 1.0, init, t, n);
            for (int k = 0; k < 4; k++)
                rows.Add(new Comparison(traj[k], t, cf[k], sim[k], 1e-6 * (1 + Math.Abs(sim[k]))));
        }
        var end = Parity3.Simulate(s, 1.0, init, tmax, steps);
        var ep = Parity3.EndPoint(s);
        for (int k = 0; k < 4; k++)
            rows.Add(new Comparison("end_point_" + traj[k], tmax, ep[k], end[k], 1e-3));
        return new TheoryReport(
            rows,
            "gradient rows: random point index; trajectory rows: t (eta = 1)",
            [seed],
            "synthetic: the 8 points of {0,1}^3, sum loss",
            [
                "end point (alpha^2, beta^2, gamma^2, c) -> (2S, 2S, 2S, -S); mode strengths (1/2, 1/4, 1/4)",
            ]
        );
    }
}
