using System.Diagnostics;
using Telescope.Data;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Training;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <c>telescope bench batched-runs</c>: R small runs of one MLP (default the attribution ladder's 784–128–64–10,
/// float64, batch 64, softmax cross-entropy, seeds 0…R−1) trained as batched tensor programs
/// (<see cref="BatchedRuns.Train"/>) against the same R runs one after another by the library's single-run path
/// (<see cref="BatchedRuns.TrainAlone"/>), timed in the same process. The result is <c>throughput_ratio</c> =
/// sequential seconds / batched seconds (goal ≥ 4), with <c>max_relative_difference</c> = the largest
/// <c>‖θ_batched − θ_alone‖_∞ / ‖θ_alone‖_∞</c> over runs and parameter tensors (the equality the tests pin at
/// 1e-12). Rounds alternate the two sides (<see cref="Timing.Interleaved"/>); the ratio is the median of per-round
/// ratios. The same ratio of process CPU seconds (<c>cpu_throughput_ratio</c>) is printed beside it: on a shared machine
/// it is the steadier of the two. A third side in the same rounds, <see cref="GemmProbe"/>, times the plan's matrix
/// products alone (scaled from R × min(T, 40) run-steps): <c>throughput_ratio_ceiling</c> = sequential seconds / probe
/// seconds is the most any batched program doing those products could reach, <c>batched_over_gemm_probe</c> how close
/// the batched one is to it. Printed, never asserted.
/// </summary>
internal static class BatchedRunsBench
{
    /// <summary>The first <paramref name="rows"/> MNIST digits of the loader's 10,000, taken digit by digit in turn (10 classes, 784 pixels in [0,1]).</summary>
    public static Dataset Mnist10(int rows, Action<string>? log = null)
    {
        var dir = Mnist.EnsureDigits(log);
        var digits = Enumerable.Range(0, 10).Select(k => Mnist.LoadDigit(dir, k)).ToArray();
        var x = new double[rows * 784];
        var y = new int[rows];
        var taken = new int[10];
        for (int i = 0; i < rows; i++)
        {
            int k = i % 10;
            if ((taken[k] + 1) * 784 > digits[k].Length)
                throw new ArgumentException(
                    $"MNIST has too few images of digit {k} for {rows} rows"
                );
            Array.Copy(digits[k], taken[k] * 784, x, i * 784, 784);
            taken[k]++;
            y[i] = k;
        }
        return new Dataset(
            "mnist10",
            $"{Mnist.SourceName}: first {rows} images, digits in turn, 10 classes",
            [784],
            x,
            y,
            10
        ).Validate();
    }

    /// <summary>A synthetic 10-class stand-in of the same shape (a Gaussian mixture in [0,1]^784); labelled synthetic.</summary>
    public static Dataset Synthetic10(int rows)
    {
        var rng = new Rng(0, stream: 21);
        var mu = new double[10 * 784];
        for (int i = 0; i < mu.Length; i++)
            mu[i] = rng.NextDouble();
        var x = new double[rows * 784];
        var y = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            y[i] = rng.NextInt(10);
            for (int j = 0; j < 784; j++)
                x[i * 784 + j] = Math.Clamp(mu[y[i] * 784 + j] + 0.3 * rng.NextGaussian(), 0, 1);
        }
        return new Dataset(
            "synthetic10",
            "synthetic: 10-class Gaussian mixture in [0,1]^784 (MNIST-shaped stand-in); NOT real data",
            [784],
            x,
            y,
            10
        ).Validate();
    }

    private static OptimizerSpec Spec(BatchedRunsBenchConfig c) =>
        new(OptimizerSpec.ParseKind(c.Optimizer), c.LearningRate);

    /// <summary>
    /// The plan of R runs with one optimiser: <c>seeds</c>, run r with init and data-order seed r; <c>replays</c> (the
    /// attribution ladder's leave-one-out retrains), all with seed 0, run 0 on every row and run r &gt; 0 without
    /// training row r − 1.
    /// </summary>
    public static BatchedPlan Plan(BatchedRunsBenchConfig c) =>
        new(
            new ModelSpec(ModelKind.Mlp, c.Hidden),
            c.Steps,
            c.BatchSize,
            LossKind.CrossEntropy,
            Enumerable
                .Range(0, c.Runs)
                .Select(r =>
                    c.Share == "replays"
                        ? new BatchedRun(0, 0, Spec(c)) { Removed = r == 0 ? null : [r - 1] }
                        : new BatchedRun(r, r, Spec(c))
                )
                .ToArray(),
            c.GroupSize
        );

    /// <summary>Run; observations to <paramref name="sink"/>.</summary>
    public static IReadOnlyDictionary<string, double> Run(
        IObservationSink sink,
        BatchedRunsBenchConfig c,
        Dataset train,
        Action<string>? log = null
    )
    {
        var plan = Plan(c);
        var r = new Dictionary<string, double>();
        void Put(string q, double v)
        {
            r[q] = v;
            sink.Write(new Observation(q, v));
            log?.Invoke($"{q, -34} {v, 12:G5}");
        }

        // warm-up (JIT, allocator) on a small plan, untimed
        var warm = plan with { Runs = plan.Runs.Take(2).ToArray(), Steps = Math.Min(3, c.Steps) };
        foreach (var w in BatchedRuns.Train(warm, train))
            w.Dispose();
        BatchedRuns.TrainAlone(warm, 0, train).Dispose();

        BatchedRunResult[]? batched = null,
            alone = null;
        var cpu = new double[3][];
        cpu[0] = new double[c.Rounds];
        cpu[1] = new double[c.Rounds];
        cpu[2] = new double[c.Rounds];
        int[] round = [0, 0, 0];
        int probeSteps = Math.Min(plan.Steps, GemmProbeSteps);
        double probeScale = plan.Steps / (double)probeSteps;
        int[] widths = [784, .. c.Hidden, 10];
        double Cpu() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
        var times = Timing.Interleaved(
            [
                () =>
                {
                    using var scope = torch.NewDisposeScope();
                    double c0 = Cpu();
                    Replace(ref batched, BatchedRuns.Train(plan, train));
                    cpu[0][round[0]++] = Cpu() - c0;
                },
                () =>
                {
                    using var scope = torch.NewDisposeScope();
                    double c0 = Cpu();
                    Replace(
                        ref alone,
                        Enumerable
                            .Range(0, plan.Runs.Count)
                            .Select(i => BatchedRuns.TrainAlone(plan, i, train))
                            .ToArray()
                    );
                    cpu[1][round[1]++] = Cpu() - c0;
                },
                () =>
                {
                    double c0 = Cpu();
                    GemmProbe(
                        widths,
                        plan.BatchSize,
                        (long)plan.Runs.Count * probeSteps,
                        plan.DType
                    );
                    cpu[2][round[2]++] = Cpu() - c0;
                },
            ],
            c.Rounds,
            warmup: 0
        );
        double worst = 0;
        int failed = 0;
        for (int i = 0; i < plan.Runs.Count; i++)
        {
            if (batched![i].Parameters is not { } a || alone![i].Parameters is not { } b)
            {
                failed++;
                continue;
            }
            using var scope = torch.NewDisposeScope();
            for (int j = 0; j < a.Length; j++)
                worst = Math.Max(
                    worst,
                    a[j].sub(b[j]).abs().max().item<double>()
                        / Math.Max(b[j].abs().max().item<double>(), double.Epsilon)
                );
        }
        Put("runs", plan.Runs.Count);
        Put("steps", plan.Steps);
        Put("group_size", c.GroupSize);
        Put("seconds_batched", Timing.MedianOf(times[0]));
        Put("seconds_sequential", Timing.MedianOf(times[1]));
        Put(
            "run_steps_per_second_batched",
            plan.Runs.Count * (double)plan.Steps / Timing.MedianOf(times[0])
        );
        Put(
            "run_steps_per_second_sequential",
            plan.Runs.Count * (double)plan.Steps / Timing.MedianOf(times[1])
        );
        // the GEMM probe timed R × min(T, 40) run-steps: scaled to the plan's R × T
        var gemm = PutRatios(Put, times, cpu, probeScale);
        Put(
            "gemm_gflops_per_second",
            GemmFlops(widths, plan.BatchSize)
                * plan.Runs.Count
                * plan.Steps
                / Timing.MedianOf(gemm)
                / 1e9
        );
        Put("max_relative_difference", worst);
        Put("failed_runs", failed);
        Put("load_average_1min", LoadAverage());
        foreach (var x in batched!.Concat(alone!))
            x.Dispose();
        return r;
    }

    /// <summary>
    /// The rows every batched bench reports from its three interleaved sides — 0 batched, 1 one after another, 2 the GEMM
    /// probe, whose times are scaled by <paramref name="probeScale"/> to the whole plan: the throughput ratio
    /// (sequential ÷ batched, wall and CPU), the probe's seconds, batched ÷ probe, and the ceiling sequential ÷ probe
    /// (no batched program beats the probe). Returns the probe's scaled wall times.
    /// </summary>
    internal static double[] PutRatios(
        Action<string, double> put,
        double[][] times,
        double[][] cpu,
        double probeScale
    )
    {
        put("throughput_ratio", Timing.MedianRatio(times[1], times[0]));
        put("cpu_seconds_batched", Timing.MedianOf(cpu[0]));
        put("cpu_seconds_sequential", Timing.MedianOf(cpu[1]));
        put("cpu_throughput_ratio", Timing.MedianRatio(cpu[1], cpu[0]));
        var gemm = times[2].Select(x => x * probeScale).ToArray();
        var gemmCpu = cpu[2].Select(x => x * probeScale).ToArray();
        put("seconds_gemm_probe", Timing.MedianOf(gemm));
        put("cpu_seconds_gemm_probe", Timing.MedianOf(gemmCpu));
        put("batched_over_gemm_probe", Timing.MedianRatio(times[0], gemm));
        put("throughput_ratio_ceiling", Timing.MedianRatio(times[1], gemm));
        put("cpu_throughput_ratio_ceiling", Timing.MedianRatio(cpu[1], gemmCpu));
        return gemm;
    }

    /// <summary>The most steps per run the GEMM probe times (it is scaled to the plan's steps).</summary>
    public const int GemmProbeSteps = 40;

    /// <summary>
    /// The float64 matrix products of <paramref name="runSteps"/> training steps of an MLP with Dense widths
    /// <paramref name="widths"/> (<c>[d, h₁, …, k]</c>) on batches of <paramref name="batch"/> rows, and nothing else:
    /// per Dense layer l the forward <c>a_l W_lᵀ</c>, the weight gradient <c>ρ_lᵀ a_l</c> and (l &gt; 1) the input
    /// gradient <c>ρ_l W_l</c>, each an <c>addmm_</c> into a tensor made once (the fastest form measured). Its time is
    /// the flop-limited time of that training: no batched or sequential program doing the same products is faster.
    /// </summary>
    public static void GemmProbe(
        IReadOnlyList<int> widths,
        int batch,
        long runSteps,
        torch.ScalarType dtype
    )
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        int layers = widths.Count - 1;
        var a = widths.Select(n => torch.rand([batch, n], dtype)).ToArray();
        var w = Enumerable
            .Range(0, layers)
            .Select(l => torch.rand([widths[l + 1], widths[l]], dtype))
            .ToArray();
        var gw = w.Select(x => torch.empty_like(x)).ToArray();
        var z = Enumerable
            .Range(0, layers)
            .Select(l => torch.empty([batch, widths[l + 1]], dtype))
            .ToArray();
        var da = Enumerable
            .Range(0, layers)
            .Select(l => torch.empty([batch, widths[l]], dtype))
            .ToArray();
        var wt = w.Select(x => x.t()).ToArray();
        var at = a.Select(x => x.t()).ToArray();
        for (long s = 0; s < runSteps; s++)
        for (int l = 0; l < layers; l++)
        {
            z[l].addmm_(a[l], wt[l], 0f, 1f);
            gw[l].addmm_(at[l + 1], a[l], 0f, 1f);
            if (l > 0)
                da[l].addmm_(a[l + 1], w[l], 0f, 1f);
        }
    }

    private static void Replace(ref BatchedRunResult[]? slot, BatchedRunResult[] fresh)
    {
        foreach (var x in slot ?? [])
            x.Dispose();
        slot = fresh;
    }

    /// <summary>Floating-point operations of one run-step's matrix products in <see cref="GemmProbe"/> (2·m·n·k each).</summary>
    public static double GemmFlops(IReadOnlyList<int> widths, int batch)
    {
        double f = 0;
        for (int l = 0; l + 1 < widths.Count; l++)
            f += 2.0 * batch * widths[l] * widths[l + 1] * (l > 0 ? 3 : 2);
        return f;
    }

    /// <summary>The 1-minute load average (Linux), NaN if unknown: how busy the machine was.</summary>
    public static double LoadAverage()
    {
        try
        {
            var s = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(s, CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }
}
