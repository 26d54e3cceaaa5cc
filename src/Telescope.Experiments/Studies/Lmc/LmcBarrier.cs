using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>One point of the linear path between two children: α, test loss and test error.</summary>
internal readonly record struct PathPoint(double Alpha, double Loss, double Error);

/// <summary>
/// The barriers of one pair of children: the largest gap between the path's error (loss) and the straight line
/// between the endpoints, and the gap at α = ½ (NaN when the α grid has no ½).
/// </summary>
internal readonly record struct PairBarrier(
    double ErrorMax,
    double ErrorHalf,
    double LossMax,
    double LossHalf
);

/// <summary>
/// Linear mode connectivity: the test loss and error along <c>α·θ_a + (1−α)·θ_b</c> (BN statistics interpolated
/// like weights, spec [CHOICE]) on an equally spaced α grid, and the barriers of the path.
/// </summary>
internal static class LmcBarrier
{
    /// <summary>
    /// Evaluate the path between states <paramref name="a"/> (α = 1) and <paramref name="b"/> (α = 0) at
    /// <paramref name="alphas"/> equally spaced α, loading each mix into <paramref name="probe"/>.
    /// </summary>
    public static PathPoint[] Path(
        nn.Module<Tensor, Tensor> probe,
        IReadOnlyDictionary<string, Tensor> a,
        IReadOnlyDictionary<string, Tensor> b,
        int alphas,
        Tensor x,
        Tensor y
    )
    {
        var path = new PathPoint[alphas];
        for (int k = 0; k < alphas; k++)
        {
            double alpha = (double)k / (alphas - 1);
            using var scope = torch.NewDisposeScope();
            probe.load_state_dict(SmallCnn.Interpolate(a, b, alpha));
            var (l, e) = LmcTraining.Evaluate(probe, x, y);
            path[k] = new PathPoint(alpha, l, e);
        }
        return path;
    }

    /// <summary>The barriers of a path whose endpoints are α = 0 (first point) and α = 1 (last point).</summary>
    public static PairBarrier Barriers(PathPoint[] path)
    {
        var (e1, e0) = (path[^1].Error, path[0].Error);
        var (l1, l0) = (path[^1].Loss, path[0].Loss);
        double ErrGap(int k) => path[k].Error - (path[k].Alpha * e1 + (1 - path[k].Alpha) * e0);
        double LossGap(int k) => path[k].Loss - (path[k].Alpha * l1 + (1 - path[k].Alpha) * l0);
        int half = Array.FindIndex(path, p => Math.Abs(p.Alpha - 0.5) < 1e-9);
        return new PairBarrier(
            Enumerable.Range(0, path.Length).Max(ErrGap),
            half >= 0 ? ErrGap(half) : double.NaN,
            Enumerable.Range(0, path.Length).Max(LossGap),
            half >= 0 ? LossGap(half) : double.NaN
        );
    }
}
