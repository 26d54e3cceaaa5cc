using Telescope.Theory;

namespace Telescope.Theory.Checks;

using Rng = Telescope.Theory.Rng;

/// <summary>
/// <c>scaling</c>: R21–R24 exponents (time, data, parameters, compute) with the finite-n_s completion, and R22's
/// increment. Each law is a public builder of <see cref="Comparison"/>s over its <see cref="SkillFrequencies"/> (the
/// spec windows, tolerances and GD windows are declared here only); <see cref="Run"/> composes them.
/// </summary>
public sealed class ScalingCheck : ITheoryCheck
{
    /// <inheritdoc/>
    public string Name => "scaling";

    /// <inheritdoc/>
    public string Summary =>
        "R21-R24: time, data, parameter and compute-optimal scaling exponents of the multilinear model (with the L_C completion), GD time law, data increment (Errata E9)";

    /// <inheritdoc/>
    public IReadOnlyList<ParamSpec> Parameters { get; } =
    [
        new(
            "alpha",
            0,
            AlphaMin,
            AlphaMax,
            "one alpha in [0.1, 1.5]; 0 = the spec's set 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5",
            Also: 0
        ),
        new(
            "n_s",
            200000,
            100000,
            1000000,
            "number of skills (>= 1e5: below it the parameter fit's window [10, n_s/100] bends the slope by up to 0.028 at alpha = 1.5)",
            Integer: true
        ),
        new("S", 5, 0.2, 5, "target scale"),
        new(
            "a0",
            0.01,
            1e-3,
            0.03,
            "balanced init a_k(0) = b_k(0) (<= 0.03: the laws' prefactors are the R0 -> 0 limit; at a0 = 0.1, S = 0.2, alpha = 0.1 they are 7 % off)"
        ),
        new(
            "tolerance",
            0.02,
            0.02,
            0.05,
            "exponent tolerance (spec: 0.02; the fits resolve the exponents to 0.014 at n_s >= 1e5, not below)"
        ),
        new("seed", 1, 0, 1_000_000, "seed of the Monte Carlo one-shot check", Integer: true),
    ];

    /// <summary>The theorem's range of α (the parameter's 0 selects <see cref="SpecAlphas"/>).</summary>
    public const double AlphaMin = 0.1,
        AlphaMax = 1.5;

    /// <summary>Largest α at which the fits without the completion L_C are off (the must-fail control's range).</summary>
    public const double CompletionControlAlpha = 0.2;

    /// <summary>The spec's set of α (parameter alpha = 0).</summary>
    public static IReadOnlyList<double> SpecAlphas { get; } = [0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5];

    /// <summary>Spec R21 (b): (α, n_s, k_max) windows for discrete GD.</summary>
    public static IReadOnlyList<(double Alpha, int Ns, int KMax)> GdWindows { get; } =
    [(0.3, 2000, 100), (0.5, 2000, 100), (0.8, 1000, 50), (1.0, 1000, 40), (1.5, 500, 20)];

    /// <summary>Gradient-flow rate of the exponent fits (time in units of η).</summary>
    public const double Eta = 1.0;

    /// <summary>R22 increment: the A of the quadrature, the α and D of the rows (controls at the first D).</summary>
    public const double IncrementA = 0.5;

    /// <inheritdoc cref="IncrementA"/>
    public static IReadOnlyList<double> IncrementAlphas { get; } = [0.3, 0.6, 1.0];

    /// <inheritdoc cref="IncrementA"/>
    public static IReadOnlyList<double> IncrementDs { get; } = [20.0, 50.0, 100.0];

    /// <summary>R22 one-shot learner: α and n_s of the sampled model, data set sizes D, data sets per D.</summary>
    public const double OneShotAlpha = 0.6;

    /// <inheritdoc cref="OneShotAlpha"/>
    public const int OneShotNs = 100,
        OneShotSamples = 400;

    /// <inheritdoc cref="OneShotAlpha"/>
    public static IReadOnlyList<int> OneShotDs { get; } = [10, 30, 100, 300, 1000];

    /// <summary>A law's rows: its exponent and its prefactor ratio (1 = the closed-form prefactor).</summary>
    public sealed record LawRows(Comparison Exponent, Comparison Prefactor);

    /// <summary>The time law's rows plus its must-fail control (exponent −α).</summary>
    public sealed record TimeRows(
        Comparison Exponent,
        Comparison Prefactor,
        Comparison MinusAlphaControl
    );

    /// <summary>The compute-optimal exponents (L*, N*, T*) plus the must-fail control N* ~ C^(1/2).</summary>
    public sealed record ComputeRows(
        IReadOnlyList<Comparison> Exponents,
        Comparison OneHalfControl
    );

    /// <summary>An R22 increment row and its must-fail control (thesis Eq 4.33).</summary>
    public sealed record IncrementRows(Comparison Increment, Comparison ThesisControl);

    private static double[] TimeLoss(SkillFrequencies freq, double s, double r0, double[] ts) =>
        ts.Select(t => Scaling.TimeLoss(freq, s, r0, Eta, t)).ToArray();

    private static Comparison ExponentRow(ExponentFit f, double alpha, double tol) =>
        new(f.Law + "_exponent", alpha, f.ClosedForm, f.Measured, tol);

    /// <summary>
    /// R21: time exponent −α/(α+1) fitted on ln(L + L_C) within <paramref name="tol"/>; prefactor with I_α(K) within 5 %
    /// from the window's second point (at T = 10τ₁ the sum is too discrete); control: the exponent −α.
    /// </summary>
    public static TimeRows TimeScaling(SkillFrequencies freq, double s, double r0, double tol)
    {
        double al = freq.Alpha;
        var ft = Scaling.FitTime(freq, s, r0, Eta, ts => TimeLoss(freq, s, r0, ts));
        double integral = Scaling.PrefactorIntegral(al, s / r0 - 1);
        double worst = ft
            .X.Zip(ft.Y)
            .Skip(1)
            .Max(xy =>
                Math.Abs(xy.Second / Scaling.TimeLaw(freq, s, r0, Eta, xy.First, integral) - 1)
            );
        return new TimeRows(
            ExponentRow(ft, al, tol),
            new Comparison("time_prefactor_ratio", al, 1, 1 + worst, 0.05),
            new Comparison("control_time_exponent_minus_alpha", al, -al, ft.Measured, tol, true)
        );
    }

    /// <summary>Must-fail control of R21 (rejected at α ≤ <see cref="CompletionControlAlpha"/>): the time exponent fitted without the completion L_C.</summary>
    public static Comparison TimeScalingWithoutCompletionControl(
        SkillFrequencies freq,
        double s,
        double r0,
        double tol
    )
    {
        var nt = Scaling.FitTime(
            freq,
            s,
            r0,
            Eta,
            ts => TimeLoss(freq, s, r0, ts),
            completion: false
        );
        return new Comparison(
            "control_time_exponent_without_completion",
            freq.Alpha,
            nt.ClosedForm,
            nt.Measured,
            tol,
            true
        );
    }

    /// <summary>
    /// R22: data exponent −α/(α+1) with the completion; prefactor Γ(α/(α+1)) within 3 %, with the init factor
    /// (1 − R₀/S)² that E_D[L] carries (Eq 4.27: each unseen skill keeps ½(S − R₀)²). The law's S² is the R₀ → 0
    /// limit; at R₀/S = 0.05 (a₀ = 0.1, S = 0.2, inside the ranges) it alone is 10 % off.
    /// </summary>
    public static LawRows DataScaling(SkillFrequencies freq, double s, double r0, double tol)
    {
        var fd = Scaling.FitData(freq, s, r0);
        double init = (1 - r0 / s) * (1 - r0 / s);
        double worst = fd
            .X.Zip(fd.Y)
            .Max(xy => Math.Abs(xy.Second / (init * Scaling.DataLaw(freq, s, xy.First)) - 1));
        return new LawRows(
            ExponentRow(fd, freq.Alpha, tol),
            new Comparison("data_prefactor_ratio", freq.Alpha, 1, 1 + worst, 0.03)
        );
    }

    /// <summary>R23: parameter exponent −α with the completion; prefactor (N + 1/2)^−α within 0.5 %.</summary>
    public static LawRows ParameterScaling(SkillFrequencies freq, double s, double tol)
    {
        var fp = Scaling.FitParameters(freq, s);
        double worst = fp
            .X.Zip(fp.Y)
            .Max(xy => Math.Abs(xy.Second / Scaling.ParameterLaw(freq, s, (int)xy.First) - 1));
        return new LawRows(
            ExponentRow(fp, freq.Alpha, tol),
            new Comparison("parameter_prefactor_ratio", freq.Alpha, 1, 1 + worst, 0.005)
        );
    }

    /// <summary>R24: compute-optimal exponents of L*, N*, T*; control: N* ~ C^(1/2).</summary>
    public static ComputeRows ComputeScaling(SkillFrequencies freq, double s, double r0, double tol)
    {
        var fc = Scaling.FitCompute(freq, s, r0, Eta);
        return new ComputeRows(
            fc.Select(f => ExponentRow(f, freq.Alpha, tol)).ToList(),
            new Comparison(
                "control_compute_N_exponent_one_half",
                freq.Alpha,
                0.5,
                fc[1].Measured,
                tol,
                true
            )
        );
    }

    /// <summary>
    /// R21 (b): the time-law fit of discrete GD (η = 0.1/(p₁S), balanced init a0) on the decoupled model with n_s skills,
    /// 10 points up to the emergence of skill k_max (one of <see cref="GdWindows"/>).
    /// </summary>
    public static ExponentFit FitTimeGd(double alpha, int ns, int kMax, double s, double a0)
    {
        var freq = new SkillFrequencies(alpha, ns);
        double etaGd = 0.1 / (freq[1] * s);
        return Scaling.FitTime(
            freq,
            s,
            a0 * a0,
            Eta,
            ts => Scaling.TimeLossGd(freq, s, a0, etaGd, ts),
            points: 10,
            kMax: kMax
        );
    }

    /// <summary>R21 (b): discrete GD on the decoupled model recovers the time exponent on a window (<see cref="FitTimeGd"/>).</summary>
    public static Comparison TimeScalingGd(
        double alpha,
        int ns,
        int kMax,
        double s,
        double a0,
        double tol
    )
    {
        var fit = FitTimeGd(alpha, ns, kMax, s, a0);
        return new Comparison("time_exponent_gd", alpha, fit.ClosedForm, fit.Measured, tol);
    }

    /// <summary>
    /// R22 increment (Errata E9): −α/((α+1)D + 2α + 1) against quadrature of the continuum integral at A, tolerance
    /// 1e-4 relative; control: the thesis form −α/(1 + (α+1)D).
    /// </summary>
    public static IncrementRows DataIncrement(double alpha, double a, double d)
    {
        double inc = Scaling.DataIncrementByQuadrature(alpha, a, d);
        double cf = Scaling.DataIncrement(alpha, d);
        return new IncrementRows(
            new Comparison("data_increment", d, cf, inc, 1e-4 * Math.Abs(cf)).At("alpha", alpha),
            new Comparison(
                "control_data_increment_thesis",
                d,
                Scaling.DataIncrementThesisEq433(alpha, d),
                inc,
                1e-4 * Math.Abs(cf),
                true
            ).At("alpha", alpha)
        );
    }

    /// <summary>
    /// R22 one-shot learner: the mean loss over <paramref name="samples"/> data sets of size <paramref name="d"/> drawn
    /// with <paramref name="rng"/> against E_D[L], tolerance 4 standard errors.
    /// </summary>
    public static Comparison OneShotLoss(
        SkillFrequencies freq,
        double s,
        double r0,
        int d,
        Rng rng,
        int samples = OneShotSamples
    )
    {
        var ls = Enumerable
            .Range(0, samples)
            .Select(_ => Scaling.OneShotLoss(freq, s, r0, d, rng))
            .ToArray();
        double mean = ls.Average();
        double se = Math.Sqrt(ls.Sum(x => (x - mean) * (x - mean)) / (ls.Length - 1) / ls.Length);
        return new Comparison(
            "one_shot_expected_loss",
            d,
            Scaling.ExpectedDataLoss(freq, s, r0, d),
            mean,
            4 * se + 1e-12
        );
    }

    /// <inheritdoc/>
    public TheoryReport Run(IReadOnlyDictionary<string, double> p)
    {
        double a = p["alpha"];
        IReadOnlyList<double> alphas = a == 0 ? SpecAlphas : [a];
        int ns = (int)p["n_s"];
        double s = p["S"],
            r0 = p["a0"] * p["a0"],
            tol = p["tolerance"];
        var rows = new List<Comparison>();
        foreach (var al in alphas)
        {
            var freq = new SkillFrequencies(al, ns);
            var time = TimeScaling(freq, s, r0, tol);
            var data = DataScaling(freq, s, r0, tol);
            var parameters = ParameterScaling(freq, s, tol);
            var compute = ComputeScaling(freq, s, r0, tol);
            rows.AddRange([
                time.Exponent,
                data.Exponent,
                parameters.Exponent,
                .. compute.Exponents,
            ]);
            rows.AddRange([time.Prefactor, data.Prefactor, parameters.Prefactor]);
            if (al <= CompletionControlAlpha)
                rows.Add(TimeScalingWithoutCompletionControl(freq, s, r0, tol));
            // a control is informative only where its closed form is more than 2 tolerances from the claim's (then
            // a claim within tolerance forces the control out of it); at small alpha neither is
            if (al == AlphaMax || alphas.Count == 1)
                if (
                    Math.Abs(compute.OneHalfControl.ClosedForm - compute.Exponents[1].ClosedForm)
                    > 2 * tol
                )
                    rows.Add(compute.OneHalfControl);
            if (Math.Abs(time.MinusAlphaControl.ClosedForm - time.Exponent.ClosedForm) > 2 * tol)
                rows.Add(time.MinusAlphaControl);
        }
        var uninformative = new[]
        {
            "control_compute_N_exponent_one_half",
            "control_time_exponent_minus_alpha",
        }
            .Where(c => !rows.Any(r => r.Quantity == c))
            .ToList();
        foreach (var (al, gns, kmax) in GdWindows.Where(w => alphas.Contains(w.Alpha)))
            rows.Add(TimeScalingGd(al, gns, kmax, s, p["a0"], tol));
        foreach (var al in IncrementAlphas)
        foreach (var dd in IncrementDs)
        {
            var inc = DataIncrement(al, IncrementA, dd);
            rows.Add(inc.Increment);
            if (dd == IncrementDs[0])
                rows.Add(inc.ThesisControl);
        }
        var small = new SkillFrequencies(OneShotAlpha, OneShotNs);
        var rng = new Rng((int)p["seed"]);
        foreach (int dd in OneShotDs)
            rows.Add(OneShotLoss(small, s, r0, dd, rng));
        return new TheoryReport(
            rows,
            "alpha (exponent rows); D (data_increment and one_shot rows)",
            [(long)p["seed"]],
            $"synthetic: closed-form per-skill sums with n_s = {ns}; GD on the decoupled model (spec windows); sampled data sets for the one-shot check",
            [
                $"exponent fits on ln(L + L_C), windows of spec R21-R24; tolerance {tol}",
                .. uninformative.Select(c =>
                    $"{c}: control not informative here: its exponent is within 2 tolerances ({2 * tol:G3}) of the claim's at alpha = {string.Join(", ", alphas)}"
                ),
            ],
            Uninformative: uninformative.Count == 0 ? null : uninformative
        );
    }
}
