using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary><c>multilinear</c>: R18–R20, the multilinear model trained by GD (and RK4) on sampled multitask sparse parity.</summary>
public sealed class MultilinearCheck : ITheoryCheck
{
    public string Name => "multilinear";

    public string Summary =>
        "R18-R20: multilinear model trained on sampled multitask sparse parity; skill strengths follow sigmoids with rate eta*d_k/D (GD within the R12(d) bound, RK4 to 1e-8*S)";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("n_s", 8, 2, 10, "number of skills (= N basis functions)", Integer: true),
        new("alpha", 0.6, 0.1, 1.5, "skill-frequency exponent, P_s(k) ~ k^-(alpha+1)"),
        new("S", 5, 0.2, 5, "target scale"),
        new("D", 3000, 50, 20000, "training samples", Integer: true),
        new("a0", 0.01, 1e-3, 0.3, "balanced init a_k(0) = b_k(0)"),
        new("eta", 0.02, 1e-4, 0.02, "GD learning rate (needs eta*S*d_k/D <= 0.1)"),
        new("steps", 20000, 100, 100000, "GD steps (T = steps)", Integer: true),
        new("seed", 1, 0, 1_000_000, "data seed", Integer: true),
    ];

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int ns = (int)p["n_s"],
            d = (int)p["D"],
            steps = (int)p["steps"],
            seed = (int)p["seed"];
        double s = p["S"],
            a0 = p["a0"],
            eta = p["eta"],
            r0 = a0 * a0;
        if (eta * s > 0.1)
            throw new ArgumentException(
                $"eta*S = {eta * s:G4} > 0.1: outside the R12(d) GD tracking range (eta*S*d_k/D <= 0.1 for every skill)"
            );
        if (r0 >= s)
            throw new ArgumentException(
                $"a0^2 = {r0:G4} must be below S = {s:G4} (small-init premise)"
            );
        var freq = new SkillFrequencies(p["alpha"], ns);
        var task = new SparseParity(freq, Math.Max(30, 3 * ns), 3, s).Validate();
        var data = task.Sample(d, new Rng(seed));
        var counts = task.Counts(data);
        var cf = Multilinear.SkillStrengths(counts, d, ns, s, r0, eta);
        var gd = Multilinear.TrainGd(task, data, ns, a0, eta, steps);
        var rows = new List<Comparison>();
        int stride = Math.Max(1, steps / 100);
        var tol = Enumerable
            .Range(0, ns)
            .Select(k => Multilinear.GdTolerance(counts[k], d, s, r0, eta) * s)
            .ToArray();
        // worst step per skill is included so the verdict covers every step
        var worst = new int[ns];
        for (int k = 0; k < ns; k++)
        {
            double we = -1;
            for (int n = 0; n <= steps; n++)
            {
                double e = Math.Abs(gd[n][k] - cf(n)[k]);
                if (e > we)
                    (we, worst[k]) = (e, n);
            }
        }
        var pop = Multilinear.SkillStrengthsPopulationRate(freq, ns, s, r0, eta);
        for (int k = 0; k < ns; k++)
            foreach (
                int n in Enumerable.Range(0, steps + 1).Where(n => n % stride == 0 || n == worst[k])
            )
            {
                rows.Add(new Comparison("R_gd", n, cf(n)[k], gd[n][k], tol[k], Output: k + 1));
                rows.Add(
                    new Comparison(
                        "control_R_gd_population_rate",
                        n,
                        pop(n)[k],
                        gd[n][k],
                        tol[k],
                        true,
                        k + 1
                    )
                );
            }
        // R20: loss from the simulated strengths, tolerance from the per-skill GD bounds
        var loss = Multilinear.Loss(freq, counts, d, ns, s, r0, eta);
        double lossTol = Enumerable.Range(0, ns).Sum(k => freq[k + 1] * s * tol[k]);
        foreach (int n in Enumerable.Range(0, steps + 1).Where(n => n % stride == 0))
        {
            double l = Enumerable
                .Range(0, ns)
                .Sum(k => freq[k + 1] * 0.5 * (s - gd[n][k]) * (s - gd[n][k]));
            rows.Add(new Comparison("loss_gd", n, loss(n), l, lossTol));
        }
        // RK4 gradient flow on the same sampled data: floating-point agreement
        var gf = Multilinear.SimulateGradientFlow(task, data, ns, a0, eta);
        foreach (var t in Rows.Grid(steps, 50))
        {
            var rs = gf(t);
            var rc = cf(t);
            for (int k = 0; k < ns; k++)
                rows.Add(new Comparison("R_gf", t, rc[k], rs[k], 1e-8 * s, Output: k + 1));
            double lgf = Enumerable
                .Range(0, ns)
                .Sum(k => freq[k + 1] * 0.5 * (s - rs[k]) * (s - rs[k]));
            rows.Add(new Comparison("loss_gf", t, loss(t), lgf, 1e-8 * s * s));
        }
        return new TheoryReport(
            rows,
            "T (GD steps; the flow keeps eta)",
            [seed],
            $"synthetic: multitask sparse parity, n_s = {ns}, n_b = {task.Nb}, m = 3, D = {d} samples (seed {seed})",
            [
                "d_k = (" + string.Join(", ", counts) + ")",
                "GD tolerance per skill (R12(d), /S) = ("
                    + string.Join(", ", tol.Select(x => (x / s).ToString("G3")))
                    + ")",
            ]
        );
    }
}
