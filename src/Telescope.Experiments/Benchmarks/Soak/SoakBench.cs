using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Telescoping;
using Telescope.Training;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <c>telescope bench soak</c>: record a long trajectory of a small model, streaming every recorded
/// row to disk, and sample the process's resident memory as it goes. Memory must stay flat: the
/// result is <c>rss_growth_ratio</c> = max RSS over the second half of the run / RSS at 10% of the run
/// (goal ≤ 1.1), measured in the same run.
/// </summary>
internal static class SoakBench
{
    /// <summary>Run; rows of the trajectory go to <paramref name="trajectorySink"/>, memory samples and ratios to <paramref name="sink"/>.</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        IObservationSink trajectorySink,
        int steps = 100_000,
        int recordEvery = 10,
        int sampleEvery = 1000,
        Action<long>? progress = null
    )
    {
        var (train, test) = BinaryDigits.Synthetic(200, 100, 0, d: 16);
        using var net = new ModelSpec(ModelKind.Mlp, [32, 32]).Build(
            train.Shape,
            1,
            0,
            torch.ScalarType.Float64,
            torch.CPU
        );
        var cfg = new TrajectoryConfig(
            steps,
            50,
            LossKind.Squared,
            new OptimizerSpec(OptimizerKind.Momentum, 0.01),
            0,
            recordEvery
        );
        var samples = new List<(long step, double rss, double managed)>();
        var result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, trajectorySink, t =>
        {
            if (t % sampleEvery == 0 || t == steps)
            {
                double rss = Timing.ResidentMiB();
                double managed = GC.GetTotalMemory(false) / 1048576.0;
                samples.Add((t, rss, managed));
                sink.Write(new Observation("rss_mib", rss, t));
                sink.Write(new Observation("managed_heap_mib", managed, t));
            }
            progress?.Invoke(t);
        });
        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
        }
        double baseline = samples.First(s => s.step >= steps / 10).rss;
        Put("steps", result.StepsCompleted);
        Put("rss_at_10pct_mib", baseline);
        Put("rss_max_second_half_mib", samples.Where(s => s.step >= steps / 2).Max(s => s.rss));
        Put("rss_end_mib", samples[^1].rss);
        Put("rss_growth_ratio", samples.Where(s => s.step >= steps / 2).Max(s => s.rss) / baseline);
        Put("peak_resident_mib", Timing.PeakResidentMiB());
        return r;
    }
}
