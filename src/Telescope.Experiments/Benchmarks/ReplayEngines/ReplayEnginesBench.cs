using System.Diagnostics;
using Telescope.Counterfactual;
using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Training;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <c>telescope bench replay-engines</c>: R leave-one-out replays of one recorded run of the attribution ladder's MLP
/// (784–128–64–10, float64, batch 64, softmax cross-entropy, MNIST by <see cref="Mnist.TenClass"/> with data seed 0,
/// training rows 0…R−1 removed one at a time) through the two <see cref="IReplayEngine"/>s, timed in the same process:
/// <see cref="SequentialReplays"/> (one after another, each from the last checkpoint before its row is first used) and
/// <see cref="BatchedReplays"/> (batched tensor programs sharing one data order, each from θ_0). The result is
/// <c>throughput_ratio</c> = sequential seconds / batched seconds, with <c>max_relative_difference</c> = the largest
/// <c>|f_T^batched − f_T^sequential|</c> over replays and test rows relative to the largest <c>|f_T|</c> (the equality
/// the tests pin at 1e-12). Rounds alternate the two sides; the ratio is the median of per-round ratios; the ratio of
/// process CPU seconds is printed beside it. A third side, <see cref="BatchedRunsBench.GemmProbe"/> of the batched
/// engine's matrix products (R replays × T steps), gives <c>throughput_ratio_ceiling</c> = sequential / probe seconds:
/// the most a batched engine doing those products from θ_0 could reach. Under a linear update rule (not Adam/AdamW) the
/// linear response of the same R rows is timed too, its Hessian–vector products per column vs batched
/// (<c>linear_response_speedup</c>, <see cref="HessianProducts"/>). Printed, never asserted.
/// </summary>
internal static class ReplayEnginesBench
{
    /// <summary>The recorded run's setup.</summary>
    public static ReplaySetup Setup(ReplayEnginesBenchConfig c, Dataset train, Dataset test) =>
        new(
            new ModelSpec(Hidden: c.Hidden),
            train,
            test,
            new OptimizerSpec(OptimizerSpec.ParseKind(c.Optimizer), c.LearningRate),
            LossKind.CrossEntropy,
            c.BatchSize,
            c.Epochs,
            0,
            torch.ScalarType.Float64,
            c.CheckpointEvery
        );

    /// <summary>Run; observations to <paramref name="sink"/>.</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        ReplayEnginesBenchConfig c,
        Dataset train,
        Dataset test,
        Action<string>? log = null
    )
    {
        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
            log?.Invoke($"{q, -34} {v, 12:G5}");
        }
        using var scope = torch.NewDisposeScope();
        var clock = Stopwatch.StartNew();
        using var run = ReplayableRun.Record(Setup(c, train, test));
        double record = clock.Elapsed.TotalSeconds;
        var removals = Enumerable
            .Range(0, c.Replays)
            .Select(i => (IReadOnlySet<int>)new HashSet<int> { i })
            .ToList();
        IReplayEngine sequential = new SequentialReplays(1);
        IReplayEngine batched = new BatchedReplays(c.GroupSize);
        // warm-up (JIT, allocator), untimed
        sequential.Run(run, removals.Take(1).ToList());
        batched.Run(run, removals.Take(2).ToList());
        double[][]? fs = null,
            fb = null;
        var cpu = new[] { new double[c.Rounds], new double[c.Rounds], new double[c.Rounds] };
        int[] round = [0, 0, 0];
        int[] widths = [784, .. c.Hidden, 10];
        int probeSteps = (int)Math.Min(run.Setup.Steps, BatchedRunsBench.GemmProbeSteps);
        double probeScale = run.Setup.Steps / (double)probeSteps;
        double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var times = Timing.Interleaved(
            [
                () =>
                {
                    double c0 = Cpu();
                    fb = batched.Run(run, removals);
                    cpu[0][round[0]++] = Cpu() - c0;
                },
                () =>
                {
                    double c0 = Cpu();
                    fs = sequential.Run(run, removals);
                    cpu[1][round[1]++] = Cpu() - c0;
                },
                () =>
                {
                    double c0 = Cpu();
                    BatchedRunsBench.GemmProbe(
                        widths,
                        c.BatchSize,
                        (long)removals.Count * probeSteps,
                        torch.ScalarType.Float64
                    );
                    cpu[2][round[2]++] = Cpu() - c0;
                },
            ],
            c.Rounds,
            warmup: 0
        );
        double scale = fs!.SelectMany(v => v).Max(Math.Abs);
        double worst = 0;
        for (int j = 0; j < removals.Count; j++)
        for (int x = 0; x < test.Count; x++)
            worst = Math.Max(worst, Math.Abs(fb![j][x] - fs[j][x]) / scale);
        Put("replays", removals.Count);
        Put("steps", run.Setup.Steps);
        Put("group_size", c.GroupSize);
        Put("seconds_record", record);
        Put("seconds_batched", Timing.MedianOf(times[0]));
        Put("seconds_sequential", Timing.MedianOf(times[1]));
        // the GEMM probe timed R × min(T, 40) run-steps (the batched engine's products: every replay from θ_0), scaled to R × T
        BatchedRunsBench.PutRatios(Put, times, cpu, probeScale);
        Put("max_relative_difference", worst);
        if (ScoreProviders.LinearResponseApplies(run.Setup.Optimizer))
            PutLinearResponse(Put, run, c);
        Put("load_average_1min", BatchedRunsBench.LoadAverage());
        return r;
    }

    /// <summary>
    /// Provider (c) on the same run for rows 0…R−1: <see cref="ScoreProviders.LinearResponse"/> with H_t applied per
    /// column (double backward, the baseline) and batched (one forward-over-reverse pass per step), interleaved rounds:
    /// <c>linear_response_speedup</c> = per-column seconds / batched seconds (median of per-round ratios) and the
    /// largest |batched − per-column| score relative to the largest |score|.
    /// </summary>
    private static void PutLinearResponse(
        Action<string, double> put,
        ReplayableRun run,
        ReplayEnginesBenchConfig c
    )
    {
        var cand = Enumerable.Range(0, c.Replays).ToArray();
        ScoreTable? batched = null,
            perColumn = null;
        var times = Timing.Interleaved(
            [
                () =>
                    batched = ScoreProviders.LinearResponse(
                        run,
                        cand,
                        products: HessianProducts.Batched
                    ),
                () =>
                    perColumn = ScoreProviders.LinearResponse(
                        run,
                        cand,
                        products: HessianProducts.PerColumn
                    ),
            ],
            c.Rounds,
            warmup: 0
        );
        var a = batched!.Scores;
        var b = perColumn!.Scores;
        double scale = b.Cast<double>().Max(Math.Abs);
        double worst = 0;
        for (int x = 0; x < b.GetLength(0); x++)
        for (int q = 0; q < b.GetLength(1); q++)
            worst = Math.Max(worst, Math.Abs(a[x, q] - b[x, q]) / scale);
        put("seconds_linear_response_batched", Timing.MedianOf(times[0]));
        put("seconds_linear_response_per_column", Timing.MedianOf(times[1]));
        put("linear_response_speedup", Timing.MedianRatio(times[1], times[0]));
        put("linear_response_max_relative_difference", worst);
    }
}
