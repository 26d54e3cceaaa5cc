using Telescope.Theory;

namespace Telescope.Theory.Checks;

/// <summary><c>min-norm</c>: R4, gradient flow from zero init reaches F⁺y; from w(0) ≠ 0 it keeps the null-space part.</summary>
public sealed class MinNormCheck : ITheoryCheck
{
    public string Name => "min-norm";

    public string Summary =>
        "R4 (+R27 end point): gradient flow on over-parameterised least squares reaches F+y from zero init, F+y + (I - F+F) w(0) otherwise";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("n", 5, 1, 10, "samples (rows of F)", Integer: true),
        new("p", 9, 5, 40, "features (p >= n + 4)", Integer: true),
        new("init_sd", 0.5, 0.01, 2, "standard deviation of the non-zero init"),
        new("seed", 3, 0, 1_000_000, "seed", Integer: true),
    ];

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int n = (int)p["n"],
            width = (int)p["p"],
            seed = (int)p["seed"];
        if (width < n + 4)
            throw new ArgumentException(
                $"p = {width} must be at least n + 4 = {n + 4}: over-parameterised (R4 needs p > n) and well conditioned, since RK4 to the horizon 30/lambda_min costs about 1500*kappa(FF') steps"
            );
        var rows = new List<Comparison>();
        var zero = MinNormProblem.Random(n, width, 0.0, seed);
        var rand = MinNormProblem.Random(n, width, p["init_sd"], seed);
        foreach (var (pr, tag) in new[] { (zero, "zero_init"), (rand, "random_init") })
        {
            var cf = MinNorm.Trajectory(pr);
            var sim = MinNorm.Simulate(pr);
            double h = MinNorm.Horizon(pr);
            foreach (var t in Rows.Grid(h, 40))
            {
                var wc = cf(t);
                var ws = sim(t);
                for (int i = 0; i < width; i++)
                    rows.Add(new Comparison("w_" + tag, t, wc[i], ws[i], 1e-8, Output: i + 1));
            }
            var end = MinNorm.EndPoint(pr);
            var wsEnd = sim(h);
            for (int i = 0; i < width; i++)
                rows.Add(new Comparison("w_inf_" + tag, i + 1, end[i], wsEnd[i], 1e-8));
            if (pr == rand)
            {
                var pinv = MinNorm.PseudoInverseSolution(pr);
                for (int i = 0; i < width; i++)
                    rows.Add(
                        new Comparison(
                            "control_pinv_with_nonzero_init",
                            i + 1,
                            pinv[i],
                            wsEnd[i],
                            1e-8,
                            true
                        )
                    );
            }
        }
        return new TheoryReport(
            rows,
            "t (units of eta*steps); w_inf rows: coordinate index",
            [seed],
            "synthetic: seeded Gaussian F (n x p), y",
            [$"horizon 30/(smallest non-zero eigenvalue of F'F/n) = {MinNorm.Horizon(zero):G6}"]
        );
    }
}
