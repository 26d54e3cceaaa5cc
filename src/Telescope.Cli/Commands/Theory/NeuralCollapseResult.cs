using Telescope.Theory;

namespace Telescope.Cli.Commands.Theory;

/// <summary><c>neural-collapse</c>: R17, the UFM end point HHᵀ → √(C/n)YYᵀ, WᵀW → √(n/C)I (NC1–NC3).</summary>
public sealed class NeuralCollapseResult : ITheoryResult
{
    public string Name => "neural-collapse";

    public string Summary =>
        "R17: unconstrained features model from small init collapses: HH' -> sqrt(C/n) YY', W'W -> sqrt(n/C) I, NC1-NC3 metrics <= 20 (p - C + 1) sigma^2 (spec: 20 sigma^2, too tight for p > C)";

    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new("C", 3, 2, 4, "classes", Integer: true),
        new("m", 4, 1, 5, "examples per class", Integer: true),
        new("p", 6, 2, 8, "feature dimension (p >= C)", Integer: true),
        new("sigma", 0.01, 1e-3, 0.03, "init standard deviation"),
        new("seed", 1, 0, 1_000_000, "seed", Integer: true),
    ];

    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        int c = (int)p["C"],
            m = (int)p["m"],
            width = (int)p["p"],
            seed = (int)p["seed"];
        if (width < c)
            throw new ArgumentException($"p = {width} must be at least C = {c} (premise of R17)");
        var rows = new List<Comparison>();
        double sigma = p["sigma"];
        foreach (double sg in new[] { sigma / 10, sigma / 3, sigma })
        {
            var pr = new UfmProblem(c, m, width, sg, seed).Validate();
            var (h, w) = NeuralCollapse.Train(pr);
            var mt = NeuralCollapse.Metrics(pr, h, w);
            double tol = NeuralCollapse.Tolerance(sg, width, c);
            foreach (var (name, v) in mt.Named())
                rows.Add(new Comparison(name, sg, 0, v, tol));
            rows.Add(new Comparison("final_loss", sg, 0, mt.Loss, 1e-10));
            var hh = h * h.Transpose();
            var gl = NeuralCollapse.GramLimit(pr);
            rows.Add(
                new Comparison("HHt_same_class_entry", sg, gl[0, 0], hh[0, 0], tol * gl[0, 0])
            );
            var wtw = w.TransposeThisAndMultiply(w);
            rows.Add(
                new Comparison(
                    "WtW_diagonal_entry",
                    sg,
                    Math.Sqrt((double)pr.N / c),
                    wtw[0, 0],
                    tol * Math.Sqrt((double)pr.N / c)
                )
            );
        }
        // Control: sigma = 1 is outside the range; collapse at the range's tolerance 20 * 0.03^2 fails
        var big = new UfmProblem(c, m, width, 1.0, seed);
        var (hb, wb) = NeuralCollapse.Train(big);
        var mb = NeuralCollapse.Metrics(big, hb, wb);
        rows.Add(
            new Comparison(
                "control_nc1_sigma_1",
                1.0,
                0,
                mb.Nc1,
                NeuralCollapse.Tolerance(0.03, width, c),
                true
            )
        );
        rows.Add(
            new Comparison(
                "control_gram_error_sigma_1",
                1.0,
                0,
                mb.GramError,
                NeuralCollapse.Tolerance(0.03, width, c),
                true
            )
        );
        return new TheoryReport(
            rows,
            "sigma (init scale; end point at the spec horizon sqrt(nC)(ln(1/sigma^2) + 10))",
            [seed],
            "synthetic: one-hot balanced labels, seeded N(0, sigma^2) init",
            [
                $"n = {c * m}; tolerance 20 (p - C + 1) sigma^2 per metric (corrected from the spec's 20 sigma^2)",
            ],
            LogX: true
        );
    }
}
