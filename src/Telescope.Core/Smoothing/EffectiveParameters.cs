using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Smoothing;

/// <summary>
/// Effective parameters of a linear smoother <c>f̂(x) = s(x)·y + c(x)</c> (Curth, Jeffares &amp; van der
/// Schaar 2023; spec §3.4): <c>p(I₀) = (n/|I₀|) Σ_{j∈I₀} ‖s(x_j)‖²</c>, with n the number of training
/// labels (fixed; A17). So <c>p_train = ‖S[0:n]‖_F²</c> and <c>p_test = (n/m) Σ_test ‖s(x_j)‖²</c>.
/// This is not trace(S). Larger p = less smoothing across labels = more complexity.
/// </summary>
public static class EffectiveParameters
{
    /// <summary>p over the rows of <paramref name="rows"/> <c>[|I₀|, n]</c>, with n = number of training labels.</summary>
    public static double Of(Tensor rows, int n)
    {
        if (rows.shape[0] == 0)
            return double.NaN;
        return (double)n
            / rows.shape[0]
            * rows.to_type(ScalarType.Float64).Squared().sum().item<double>();
    }

    /// <summary>(p_train, p_test) from the stacked smoother <c>S [N, n]</c> whose first n rows are the training points.</summary>
    public static (double train, double test) Split(Tensor s)
    {
        int n = (int)s.shape[1];
        long m = s.shape[0] - n;
        if (m < 0)
            throw new ArgumentException(
                $"S has {s.shape[0]} rows but {n} training columns: the first n rows must be the training points"
            );
        return (Of(s.narrow(0, 0, n), n), m == 0 ? double.NaN : Of(s.narrow(0, n, m), n));
    }
}
