using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>parity3</c>: R33, the weight-shared ReLU network on 3-bit parity — corrected ODEs (Errata E13) vs the network.
/// The claims are the public builders <see cref="Gradients"/>, <see cref="Trajectory"/> and <see cref="EndPoint"/>;
/// <see cref="Run"/> composes them.
/// </summary>
internal sealed class Parity3Check : ITheoryCheck
{
    public string Name => "parity3";

    public string Summary =>
        "R33: weight-shared ReLU network on 3-bit parity; corrected ODEs for (alpha^2, beta^2, gamma^2, c) against finite differences of the network and its RK4 trajectory (thesis C.15-C.18 as control)";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("S", 1, 0.5, 2, "target scale"),
        new("init", 0.01, 0.005, 0.1, "alpha(0) = beta(0) = gamma(0); c(0) = 0"),
        new(
            "t_max",
            6,
            3,
            12,
            "horizon of the trajectory rows (eta = 1); the end point is taken where the closed form has converged"
        ),
        new("seed", 1, 0, 1_000_000, "seed of the random gradient-check points", Integer: true),
    ];

    /// <summary>Random (α, β, γ, c) points of the gradient rows.</summary>
    public const int GradientPoints = 20;

    /// <summary>Relative tolerance of the gradient and trajectory rows: 1e-6·(1 + |simulated|).</summary>
    public const double Tolerance = 1e-6;

    /// <summary>Tolerance of the end point (2S, 2S, 2S, −S) at the horizon.</summary>
    public const double EndTolerance = 1e-3;

    /// <summary>RK4 steps per unit time (η = 1).</summary>
    public const int StepsPerUnit = 1000;

    /// <summary>Intervals of the trajectory grid on [0, t_max].</summary>
    public const int TrajectoryPoints = 30;

    /// <summary>Names of the gradient rows, one per component of (α², β², γ², c).</summary>
    public static readonly IReadOnlyList<string> FlowNames =
    [
        "d_alpha2_dt",
        "d_beta2_dt",
        "d_gamma2_dt",
        "dc_dt",
    ];

    /// <summary>Names of the trajectory rows.</summary>
    public static readonly IReadOnlyList<string> StateNames = ["alpha2", "beta2", "gamma2", "c"];

    private static double Tol(double x) => Tolerance * (1 + Math.Abs(x));

    /// <summary>
    /// R33 gradient rows at <see cref="GradientPoints"/> seeded points α, β, γ ∈ [0.1, 1.5], c ∈ [−1, 1]: the
    /// corrected ODEs against central finite differences of the network's loss, each followed by its must-fail control
    /// (thesis Eq C.15–C.18, <c>Control</c> rows) against the same differences.
    /// </summary>
    public static IReadOnlyList<Comparison> Gradients(double s, int seed)
    {
        var rows = new List<Comparison>();
        var rng = new Rng(seed);
        for (int i = 0; i < GradientPoints; i++)
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
                rows.Add(new Comparison(FlowNames[k], i, cf[k], fd[k], Tol(fd[k])));
                rows.Add(
                    new Comparison(
                        "control_thesis_" + FlowNames[k],
                        i,
                        th[k],
                        fd[k],
                        Tol(fd[k]),
                        true
                    )
                );
            }
        }
        return rows;
    }

    /// <summary>
    /// R33 trajectory rows: RK4 on the ODE <paramref name="flow"/> (the corrected <see cref="Parity3.Flow"/> in the
    /// check; a misprinted one for a control) against RK4 on the network, same steps, on the grid of (0, t_max].
    /// </summary>
    public static IReadOnlyList<Comparison> Trajectory(
        double s,
        double init,
        double tmax,
        Func<double[], double, double, double[]>? flow = null
    )
    {
        var f = flow ?? Parity3.Flow;
        var rows = new List<Comparison>();
        Derivative ode = (_, y, dy) =>
        {
            var d = f(y, s, 1.0);
            Array.Copy(d, dy, 4);
        };
        int steps = (int)(StepsPerUnit * tmax);
        foreach (var t in Rows.Grid(tmax, TrajectoryPoints))
        {
            if (t == 0)
                continue;
            int n = Math.Max(1, (int)Math.Round(steps * t / tmax));
            var cf = Rk4.Integrate(ode, [init * init, init * init, init * init, 0.0], t, n);
            var sim = Parity3.Simulate(s, 1.0, init, t, n);
            for (int k = 0; k < 4; k++)
                rows.Add(new Comparison(StateNames[k], t, cf[k], sim[k], Tol(sim[k])));
        }
        return rows;
    }

    /// <summary>RK4 steps per unit time of the end-point run (its 1e-3 tolerance needs far fewer than the trajectory's).</summary>
    public const int EndStepsPerUnit = 100;

    /// <summary>Longest end-point time searched; a closed form not converged by then is a premise failure.</summary>
    public const double EndTimeCap = 400;

    /// <summary>
    /// The end-point time from the closed form's own time scale: the first multiple of ½ at which RK4 on the corrected
    /// ODEs, from α² = β² = γ² = init², c = 0, is within <see cref="EndTolerance"/>/10 of (2S, 2S, 2S, −S) in every
    /// component. It grows like ln(1/init²)/S (the escape from the small init) plus the relaxation time near the end
    /// point, so a fixed horizon cannot serve every (S, init) of the declared ranges.
    /// </summary>
    public static double EndTime(double s, double init)
    {
        Derivative ode = (_, y, dy) => Array.Copy(Parity3.Flow(y, s, 1.0), dy, 4);
        double[] y = [init * init, init * init, init * init, 0.0];
        var ep = Parity3.EndPoint(s);
        const double chunk = 0.5;
        for (double t = chunk; t <= EndTimeCap; t += chunk)
        {
            y = Rk4.Integrate(ode, y, chunk, (int)(EndStepsPerUnit * chunk));
            if (Enumerable.Range(0, 4).All(k => Math.Abs(y[k] - ep[k]) <= EndTolerance / 10))
                return t;
        }
        throw new ArgumentException(
            $"the corrected ODEs do not reach the end point within t = {EndTimeCap} (S = {s}, init = {init})"
        );
    }

    /// <summary>
    /// R33 end point: RK4 on the network at <see cref="EndTime"/> (the closed form converged there) against
    /// (2S, 2S, 2S, −S) within <see cref="EndTolerance"/>.
    /// </summary>
    public static IReadOnlyList<Comparison> EndPoint(double s, double init)
    {
        double tEnd = EndTime(s, init);
        var end = Parity3.Simulate(s, 1.0, init, tEnd, (int)Math.Ceiling(EndStepsPerUnit * tEnd));
        var ep = Parity3.EndPoint(s);
        return Enumerable
            .Range(0, 4)
            .Select(k => new Comparison(
                "end_point_" + StateNames[k],
                tEnd,
                ep[k],
                end[k],
                EndTolerance
            ))
            .ToList();
    }

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double s = p["S"],
            init = p["init"],
            tmax = p["t_max"];
        int seed = (int)p["seed"];
        var rows = new List<Comparison>();
        rows.AddRange(Gradients(s, seed));
        rows.AddRange(Trajectory(s, init, tmax));
        rows.AddRange(EndPoint(s, init));
        return new TheoryReport(
            rows,
            "gradient rows: random point index; trajectory rows: t (eta = 1)",
            [seed],
            "synthetic: the 8 points of {0,1}^3, sum loss",
            [
                "end point (alpha^2, beta^2, gamma^2, c) -> (2S, 2S, 2S, -S), compared at the time the corrected ODEs are within 1e-4 of it; mode strengths (1/2, 1/4, 1/4)",
            ]
        );
    }
}
