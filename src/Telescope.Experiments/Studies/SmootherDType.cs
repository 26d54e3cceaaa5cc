using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Studies;

/// <summary>
/// The smoother studies' one dtype: float64 (S, c and f̃ accumulate over thousands of steps; spec §0). The
/// parameter exists so the requirement is stated where users look, and float32 is refused by name.
/// </summary>
internal static class SmootherDType
{
    /// <summary>The <c>dtype</c> parameter: float64 accepted, float32 refused with the reason.</summary>
    public static Parameter<T> Parameter<T>() =>
        Only<T>(
            "dtype",
            "float64 only (the smoother studies accumulate S, c and f̃ over thousands of steps; spec §0).",
            "float64",
            ["float32"],
            "the smoother studies run in float64 only (S, c and f̃ accumulate over thousands of steps; spec §0)"
        );
}
