using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>multilinear</c>: R18–R20, the multilinear model trained by GD (and RK4) on sampled multitask sparse parity. The
/// claims are the public builders <see cref="Gd"/> and <see cref="Flow"/> over <see cref="SetupOf"/>; <see cref="Run"/>
/// composes them.
/// </summary>
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

    /// <summary>The sampled problem of the values: skill frequencies, the task, its D samples and the counts d_k.</summary>
    public sealed record Setup(
        SkillFrequencies Freq,
        SparseParity Task,
        ParitySample[] Data,
        int[] Counts,
        int Ns,
        int D,
        double S,
        double A0,
        double Eta,
        int Steps
    )
    {
        /// <summary>Balanced init strength r₀ = a₀².</summary>
        public double R0 => A0 * A0;

        /// <summary>Per-skill GD tolerance (R12(d) bound times S).</summary>
        public double[] GdTolerance =>
            Enumerable
                .Range(0, Ns)
                .Select(k => Multilinear.GdTolerance(Counts[k], D, S, R0, Eta) * S)
                .ToArray();

        /// <summary>L from strengths R_k: Σ_k P_s(k) ½ (S − R_k)².</summary>
        public double LossOf(double[] r) =>
            Enumerable.Range(0, Ns).Sum(k => Freq[k + 1] * 0.5 * (S - r[k]) * (S - r[k]));
    }

    /// <summary>The premises (η·S ≤ 0.1, a₀² &lt; S) and the seeded sample of the values.</summary>
    public static Setup SetupOf(IReadOnlyDictionary<string, double> p)
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
        return new Setup(freq, task, data, task.Counts(data), ns, d, s, a0, eta, steps);
    }

    /// <summary>
    /// Why the population-rate control is not informative on this setup, or null when it is: the control can be told
    /// apart from the claim only where its closed form (rate η P_s(k)) and the claim's (rate η d_k/D) differ by more
    /// than twice the GD tolerance at some step (then a claim within tolerance forces the control out of it). At short
    /// horizons, or where d_k/D ≈ P_s(k) for every skill, both stay within 2 tolerances of each other.
    /// </summary>
    public static string? PopulationRateControlUninformative(Setup u)
    {
        var cf = Multilinear.SkillStrengths(u.Counts, u.D, u.Ns, u.S, u.R0, u.Eta);
        var pop = Multilinear.SkillStrengthsPopulationRate(u.Freq, u.Ns, u.S, u.R0, u.Eta);
        var tol = u.GdTolerance;
        double worst = 0;
        // over the steps that carry a control row in Gd (every steps/100-th)
        for (int n = 0; n <= u.Steps; n += Math.Max(1, u.Steps / 100))
        {
            var (c, q) = (cf(n), pop(n));
            for (int k = 0; k < u.Ns; k++)
                worst = Math.Max(worst, Math.Abs(c[k] - q[k]) / tol[k]);
        }
        return worst > 2
            ? null
            : $"control_R_gd_population_rate: control not informative here: the population-rate and d_k/D closed forms differ by at most {worst:G3} GD tolerances over the {u.Steps} steps' control rows (more than 2 are needed to tell them apart)";
    }

    /// <summary>
    /// R19 (+R12(d)) and R20 under GD: R_k(n) of the closed form (rate η d_k/D) against GD every steps/100 steps and at
    /// each skill's worst step, each followed by the must-fail control with the population rate η P_s(k) (left out where
    /// <see cref="PopulationRateControlUninformative"/> says it cannot be told apart); then the loss
    /// from the GD strengths within the summed per-skill bounds.
    /// </summary>
    public static IReadOnlyList<Comparison> Gd(Setup u)
    {
        int ns = u.Ns,
            steps = u.Steps;
        var cf = Multilinear.SkillStrengths(u.Counts, u.D, ns, u.S, u.R0, u.Eta);
        var gd = Multilinear.TrainGd(u.Task, u.Data, ns, u.A0, u.Eta, steps);
        var rows = new List<Comparison>();
        int stride = Math.Max(1, steps / 100);
        var tol = u.GdTolerance;
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
        var pop = Multilinear.SkillStrengthsPopulationRate(u.Freq, ns, u.S, u.R0, u.Eta);
        bool control = PopulationRateControlUninformative(u) is null;
        for (int k = 0; k < ns; k++)
            foreach (
                int n in Enumerable.Range(0, steps + 1).Where(n => n % stride == 0 || n == worst[k])
            )
            {
                rows.Add(new Comparison("R_gd", n, cf(n)[k], gd[n][k], tol[k], Output: k + 1));
                if (control)
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
        var loss = Multilinear.Loss(u.Freq, u.Counts, u.D, ns, u.S, u.R0, u.Eta);
        double lossTol = Enumerable.Range(0, ns).Sum(k => u.Freq[k + 1] * u.S * tol[k]);
        foreach (int n in Enumerable.Range(0, steps + 1).Where(n => n % stride == 0))
            rows.Add(new Comparison("loss_gd", n, loss(n), u.LossOf(gd[n]), lossTol));
        return rows;
    }

    /// <summary>R19/R20 under RK4 gradient flow on the same sampled data: floating-point agreement (1e-8 S, 1e-8 S²).</summary>
    public static IReadOnlyList<Comparison> Flow(Setup u)
    {
        var cf = Multilinear.SkillStrengths(u.Counts, u.D, u.Ns, u.S, u.R0, u.Eta);
        var loss = Multilinear.Loss(u.Freq, u.Counts, u.D, u.Ns, u.S, u.R0, u.Eta);
        var gf = Multilinear.SimulateGradientFlow(u.Task, u.Data, u.Ns, u.A0, u.Eta);
        var rows = new List<Comparison>();
        foreach (var t in Rows.Grid(u.Steps, 50))
        {
            var rs = gf(t);
            var rc = cf(t);
            for (int k = 0; k < u.Ns; k++)
                rows.Add(new Comparison("R_gf", t, rc[k], rs[k], 1e-8 * u.S, Output: k + 1));
            rows.Add(new Comparison("loss_gf", t, loss(t), u.LossOf(rs), 1e-8 * u.S * u.S));
        }
        return rows;
    }

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        var u = SetupOf(p);
        int seed = (int)p["seed"];
        var rows = new List<Comparison>();
        rows.AddRange(Gd(u));
        rows.AddRange(Flow(u));
        string? uninformative = PopulationRateControlUninformative(u);
        return new TheoryReport(
            rows,
            "T (GD steps; the flow keeps eta)",
            [seed],
            $"synthetic: multitask sparse parity, n_s = {u.Ns}, n_b = {u.Task.Nb}, m = 3, D = {u.D} samples (seed {seed})",
            [
                "d_k = (" + string.Join(", ", u.Counts) + ")",
                "GD tolerance per skill (R12(d), /S) = ("
                    + string.Join(", ", u.GdTolerance.Select(x => (x / u.S).ToString("G3")))
                    + ")",
                .. (uninformative is null ? Array.Empty<string>() : [uninformative]),
            ],
            Uninformative: uninformative is null ? null : ["control_R_gd_population_rate"]
        );
    }
}
