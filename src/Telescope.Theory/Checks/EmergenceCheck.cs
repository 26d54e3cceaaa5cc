using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary><c>emergence</c>: R14 stage-like ε* (corrected), R26 time emergence with B (corrected), R28 parameter emergence.</summary>
public sealed class EmergenceCheck : ITheoryCheck
{
    public string Name => "emergence";

    public string Summary =>
        "R14, R26, R28: stage-like threshold eps* = 1/(1 + K^((l_i - l_i+1)/(l_i + l_i+1))), time emergence with calibration B (first power), parameter emergence r/N_c";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("alpha", 0.6, 0.1, 1.5, "skill-frequency exponent"),
        new("K", 1e4, 10, 1e12, "initial odds S/R0 - 1 for the stage-like rows"),
        new("S", 5, 0.2, 10, "target scale"),
        new("B", 1.0 / 22, 0.01, 1, "calibration constant of R26"),
        new("P", 0.4, 0.01, 1, "skill frequency of the R26 rows"),
        new("a0", 0.01, 1e-3, 0.1, "init of R26 / R28"),
        new("N_c", 4, 1, 8, "basis functions per skill (R28)", Integer: true),
    ];

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double al = p["alpha"],
            k = p["K"],
            s = p["S"];
        var rows = new List<Comparison>();
        // R14: consecutive skills k, k+1 with lambda_k = P_s(k) (n_s = 10); bisection on RK4 hitting times
        var freq = new SkillFrequencies(al, 10);
        double r0 = s / (k + 1);
        for (int i = 1; i <= 6; i++)
        {
            var mi = new BalancedMode(s, freq[i], r0);
            var mn = new BalancedMode(s, freq[i + 1], r0);
            double cf = Emergence.StageLikeThreshold(k, freq[i], freq[i + 1]);
            double sim = Emergence.StageLikeThresholdByBisection(
                mi,
                mn,
                Emergence.HittingTimeSimulated
            );
            rows.Add(new Comparison("eps_star", i, cf, sim, 1e-6 * cf));
            rows.Add(
                new Comparison(
                    "control_eps_star_thesis_eq_3_13",
                    i,
                    Emergence.StageLikeThresholdThesisEq313(k, freq[i], freq[i + 1]),
                    sim,
                    1e-6 * cf,
                    true
                )
            );
        }
        // R26: calibrated skill vs RK4; B^2 control
        double b = p["B"],
            pp = p["P"],
            a0 = p["a0"],
            eta = 1.0;
        var cfB = Emergence.CalibratedSkill(pp, s, b, a0, eta);
        var simB = Emergence.SimulateCalibratedSkill(pp, s, b, a0, eta);
        double rate = 2 * eta * pp * b * s;
        double horizon = (Math.Log(s / (b * a0 * a0)) + 10) / rate;
        var grid = Rows.Grid(horizon, 100);
        rows.AddRange(Rows.Curve("R_over_S_calibrated", grid, cfB, simB, 1e-8));
        if (b < 1)
            rows.AddRange(
                Rows.Curve(
                    "control_R_over_S_thesis_B2",
                    grid,
                    Emergence.CalibratedSkillThesisB2(pp, s, b, a0, eta),
                    simB,
                    1e-8,
                    control: true
                )
            );
        // R28: parameter emergence, n_s = 5 skills, N = 1 .. 3 N_c + 1
        int nc = (int)p["N_c"];
        var f5 = new SkillFrequencies(al, 5);
        for (int n = 1; n <= 3 * nc + 1; n++)
        {
            int q = (n - 1) / nc + 1;
            for (int kk = 1; kk <= Math.Min(5, q + 1); kk++)
            {
                double sim = Emergence.SimulateParameterEmergence(
                    n,
                    nc,
                    kk,
                    f5[kk],
                    s,
                    1.0,
                    a0,
                    400,
                    40000
                );
                rows.Add(
                    new Comparison(
                        "R_over_S_parameter_emergence",
                        n,
                        Emergence.ParameterEmergenceStrength(n, nc, kk),
                        sim,
                        1e-3,
                        Output: kk
                    )
                );
                int r = n - (q - 1) * nc;
                if (kk == q && r < nc)
                    rows.Add(
                        new Comparison(
                            "control_R_over_S_squared",
                            n,
                            Emergence.ParameterEmergenceStrengthSquared(n, nc, kk),
                            sim,
                            1e-3,
                            true,
                            kk
                        )
                    );
            }
        }
        return new TheoryReport(
            rows,
            "eps_star rows: skill index k; R26 rows: T (steps, eta = 1); R28 rows: N (basis functions)",
            [],
            "synthetic: population dynamics (no sampling)",
            [
                $"R14 with K = {k:G4}, lambda_k = P_s(k) (alpha = {al}, n_s = 10); R28 with N_c = {nc}, horizon T = 400 (40 000 RK4 steps)",
            ]
        );
    }
}
