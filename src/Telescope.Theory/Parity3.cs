namespace Telescope.Theory;

/// <summary>
/// The weight-shared ReLU network on 3-bit parity (spec R33, thesis app. C.4, Eq C.7–C.18 corrected, Errata E13).
/// Inputs: the 8 points of {0,1}³ in the order 000, 001, …, 111; targets y = S·(−1)^{x₁+x₂+x₃};
/// <c>f(x) = wᵀReLU(Wx + b) + c</c> with W rows (−α, α, −α), (−β, β, −β), (γ, −γ, γ), b = (0, β, −γ), w = (−2α, β, γ).
/// Sum loss <c>L = ½Σₓ(f(x) − y(x))²</c>, gradient flow dθ/dt = −η∇L (t in units of η·steps).
/// State vectors are [α², β², γ², c] for the closed-form ODEs.
/// </summary>
public static class Parity3
{
    /// <summary>The 8 inputs in the order 000 … 111 (x₁ is the most significant bit).</summary>
    public static double[][] Inputs { get; } =
        Enumerable
            .Range(0, 8)
            .Select(i => new double[] { (i >> 2) & 1, (i >> 1) & 1, i & 1 })
            .ToArray();

    /// <summary>Network output at x for parameters (α, β, γ, c), evaluated from the ReLU network itself.</summary>
    public static double Output(double alpha, double beta, double gamma, double c, double[] x)
    {
        double h1 = Math.Max(0, -alpha * x[0] + alpha * x[1] - alpha * x[2]);
        double h2 = Math.Max(0, -beta * x[0] + beta * x[1] - beta * x[2] + beta);
        double h3 = Math.Max(0, gamma * x[0] - gamma * x[1] + gamma * x[2] - gamma);
        return -2 * alpha * h1 + beta * h2 + gamma * h3 + c;
    }

    /// <summary>Sum loss ½Σₓ(f(x) − S·(−1)^{x₁+x₂+x₃})².</summary>
    public static double Loss(double alpha, double beta, double gamma, double c, double s)
    {
        double l = 0;
        foreach (var x in Inputs)
        {
            double y = s * (((int)(x[0] + x[1] + x[2]) & 1) == 0 ? 1 : -1);
            double r = Output(alpha, beta, gamma, c, x) - y;
            l += 0.5 * r * r;
        }
        return l;
    }

    /// <summary>
    /// R33 corrected ODEs (Errata E13): <c>d(α²)/dt = 8ηα²(S − 2α² + 2β² + c)</c>,
    /// <c>d(β²)/dt = 4ηβ²(S + 4α² − 7β² − 5c)</c>, <c>d(γ²)/dt = 4ηγ²(S − γ² − c)</c>,
    /// <c>dc/dt = −η(−2α² + 5β² + γ² + 8c)</c>, on [α², β², γ², c] (valid for α, β, γ &gt; 0).
    /// </summary>
    public static double[] Flow(double[] q, double s, double eta)
    {
        double a2 = q[0],
            b2 = q[1],
            g2 = q[2],
            c = q[3];
        return
        [
            8 * eta * a2 * (s - 2 * a2 + 2 * b2 + c),
            4 * eta * b2 * (s + 4 * a2 - 7 * b2 - 5 * c),
            4 * eta * g2 * (s - g2 - c),
            -eta * (-2 * a2 + 5 * b2 + g2 + 8 * c),
        ];
    }

    /// <summary>
    /// MUST-FAIL CONTROL: thesis Eq C.15–C.18 as printed: <c>2ηα²(−S − (−2α² + 2β² + c))</c>,
    /// <c>−ηβ²(S − (−2α² + 5β² + 5c))</c>, <c>−ηγ²(S − (γ² + c))</c>, <c>−η(2α² − 5β² − γ² − 8c)</c>.
    /// </summary>
    public static double[] FlowThesis(double[] q, double s, double eta)
    {
        double a2 = q[0],
            b2 = q[1],
            g2 = q[2],
            c = q[3];
        return
        [
            2 * eta * a2 * (-s - (-2 * a2 + 2 * b2 + c)),
            -eta * b2 * (s - (-2 * a2 + 5 * b2 + 5 * c)),
            -eta * g2 * (s - (g2 + c)),
            -eta * (2 * a2 - 5 * b2 - g2 - 8 * c),
        ];
    }

    /// <summary>
    /// Simulation of the flow on [α², β², γ², c] from the network itself: central finite differences (step h) of the
    /// loss in (α, β, γ, c), dθ/dt = −η∂L/∂θ, converted by d(α²)/dt = 2α·dα/dt (and likewise for β, γ).
    /// </summary>
    public static double[] FlowByFiniteDifferences(
        double alpha,
        double beta,
        double gamma,
        double c,
        double s,
        double eta,
        double h = 1e-6
    )
    {
        double D(Func<double, double> f, double x) => (f(x + h) - f(x - h)) / (2 * h);
        double ga = D(a => Loss(a, beta, gamma, c, s), alpha);
        double gb = D(b => Loss(alpha, b, gamma, c, s), beta);
        double gg = D(g => Loss(alpha, beta, g, c, s), gamma);
        double gc = D(x => Loss(alpha, beta, gamma, x, s), c);
        return
        [
            2 * alpha * (-eta * ga),
            2 * beta * (-eta * gb),
            2 * gamma * (-eta * gg),
            -eta * gc,
        ];
    }

    /// <summary>End point of the corrected flow (R33): α² = β² = γ² = 2S, c = −S; mode strengths (½, ¼, ¼).</summary>
    public static double[] EndPoint(double s) => [2 * s, 2 * s, 2 * s, -s];

    /// <summary>
    /// Simulation of the trajectory: RK4 on the network parameters (α, β, γ, c) with the finite-difference gradient of the
    /// ReLU network's loss, from α = β = γ = <paramref name="init"/>, c = 0; returns [α², β², γ², c] at t.
    /// </summary>
    public static double[] Simulate(double s, double eta, double init, double t, int steps)
    {
        Derivative f = (_, y, dy) =>
        {
            var q = FlowByFiniteDifferences(y[0], y[1], y[2], y[3], s, eta);
            dy[0] = q[0] / (2 * y[0]);
            dy[1] = q[1] / (2 * y[1]);
            dy[2] = q[2] / (2 * y[2]);
            dy[3] = q[3];
        };
        var end = Rk4.Integrate(f, [init, init, init, 0.0], t, steps);
        return [end[0] * end[0], end[1] * end[1], end[2] * end[2], end[3]];
    }
}
