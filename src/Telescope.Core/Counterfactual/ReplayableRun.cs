using Telescope.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Counterfactual;

/// <summary>
/// One training run that can be replayed with training rows removed (issue 27). Immutable; use <c>with</c>.
/// The run: a network built from <see cref="Model"/> at <see cref="Seed"/>, mini-batches of <see cref="Batch"/>
/// rows drawn by <see cref="BatchSampler"/> (seed <see cref="Seed"/>) for <see cref="Epochs"/> epochs, the
/// library's <see cref="Optimizer"/> on the mean <see cref="Loss"/> of each batch, CPU.
/// <para>
/// The probe measurement of a test row x is the scalar <c>f(x) = f_θ(x)_{y_x}</c>, the output at x's label (the
/// true-class logit; the single output when k = 1). Every score and replay in this namespace is about that scalar.
/// </para>
/// </summary>
/// <param name="Model">Architecture.</param>
/// <param name="Train">Training rows (the rows batches index, 0..n−1).</param>
/// <param name="Test">Probe rows.</param>
/// <param name="Optimizer">Update rule.</param>
/// <param name="Loss">Training loss.</param>
/// <param name="Batch">Batch size.</param>
/// <param name="Epochs">Epochs.</param>
/// <param name="Seed">Initialisation and batch-order seed.</param>
/// <param name="DType">float64 (exactness) or float32.</param>
/// <param name="CheckpointEvery">Keep θ and the optimiser state every this-many steps (in memory) so that a replay starts from the last checkpoint before the first step that touches a removed row.</param>
public sealed record ReplaySetup(
    ModelSpec Model,
    Dataset Train,
    Dataset Test,
    OptimizerSpec Optimizer,
    LossKind Loss,
    int Batch,
    int Epochs,
    long Seed,
    ScalarType DType = ScalarType.Float64,
    int CheckpointEvery = 10
)
{
    /// <summary>Steps per epoch: ⌈n/b⌉ (the last batch of an epoch may be smaller).</summary>
    public int StepsPerEpoch => (Train.Count + Math.Min(Batch, Train.Count) - 1) / Math.Min(Batch, Train.Count);

    /// <summary>T = epochs · ⌈n/b⌉.</summary>
    public long Steps => (long)Epochs * StepsPerEpoch;

    /// <summary>Every problem of the setup (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (Batch <= 0)
            yield return $"batch size must be positive, got {Batch}";
        if (Epochs <= 0)
            yield return $"epochs must be positive, got {Epochs}";
        if (CheckpointEvery <= 0)
            yield return $"checkpoint interval must be positive, got {CheckpointEvery}";
        if (Test.Count == 0)
            yield return "no test rows to probe";
        foreach (var p in Optimizer.Problems())
            yield return p;
    }
}

/// <summary>
/// A recorded run (<see cref="Record"/>): its batch schedule B_1..B_T, in-memory checkpoints, the final probe
/// predictions, θ snapshots at requested steps and, optionally, exact attribution for candidate rows. Replays
/// (<see cref="Replay"/>) retrain with rows removed.
/// <para>
/// <b>Mask semantics.</b> A replay with removed set R uses the same θ_0 and the same sampled batches; at step t the
/// loss is the mean over the remaining rows <c>B_t \ R</c> only, <c>G_t = (1/|B_t \ R|) Σ_{i∈B_t\R} ∇ℓ(z_i; θ_{t−1})</c>
/// (the batch is not refilled, later batches are not re-drawn), and the optimiser steps with that G_t and the
/// recorded γ_t. When no row of B_t remains, G_t = 0 and the optimiser still steps (momentum and Adam's moments carry
/// on; plain SGD leaves θ unchanged). With R = ∅ a replay is the recorded run, byte for byte.
/// </para>
/// </summary>
public sealed class ReplayableRun : IDisposable
{
    private readonly Dictionary<long, Checkpoint> _checkpoints;
    private readonly Dictionary<long, Tensor[]> _snapshots;
    private readonly int[] _firstTouch;

    internal sealed record Checkpoint(long Step, Tensor[] Theta, Tensor?[] Buffers, Tensor?[] SecondMoments);

    /// <summary>The setup.</summary>
    public ReplaySetup Setup { get; }

    /// <summary>B_t for t = 1..T (index t − 1).</summary>
    public IReadOnlyList<int[]> Schedule { get; }

    /// <summary>γ_t for t = 1..T (index t − 1).</summary>
    public IReadOnlyList<double> Rates { get; }

    /// <summary>f_T(x) per test row (the probe measurement).</summary>
    public double[] Final { get; }

    /// <summary>f_0(x) per test row.</summary>
    public double[] Initial { get; }

    /// <summary>θ_T, flattened (CPU).</summary>
    public Tensor FinalParameters { get; }

    /// <summary>Exact attribution for the candidate rows, when asked for.</summary>
    public ExactAttribution? Attribution { get; }

    private ReplayableRun(
        ReplaySetup setup,
        List<int[]> schedule,
        List<double> rates,
        Dictionary<long, Checkpoint> checkpoints,
        Dictionary<long, Tensor[]> snapshots,
        double[] initial,
        double[] final,
        Tensor finalTheta,
        ExactAttribution? attribution
    )
    {
        Setup = setup;
        Schedule = schedule;
        Rates = rates;
        _checkpoints = checkpoints;
        _snapshots = snapshots;
        Initial = initial;
        Final = final;
        FinalParameters = finalTheta;
        Attribution = attribution;
        _firstTouch = Enumerable.Repeat(int.MaxValue, setup.Train.Count).ToArray();
        for (int t = schedule.Count; t >= 1; t--)
            foreach (var i in schedule[t - 1])
                _firstTouch[i] = t;
    }

    /// <summary>Steps whose θ_t was kept (<see cref="Record"/>'s snapshot steps).</summary>
    public IReadOnlyCollection<long> SnapshotSteps => _snapshots.Keys;

    /// <summary>θ_t at a kept snapshot step (CPU tensors owned by the run).</summary>
    public IReadOnlyList<Tensor> SnapshotAt(long t) =>
        _snapshots.TryGetValue(t, out var s)
            ? s
            : throw new ArgumentException($"θ_{t} was not kept (kept: {string.Join(", ", _snapshots.Keys.Order())})");

    /// <summary>The first step t whose batch contains row i (int.MaxValue when none).</summary>
    public int FirstTouch(int i) => _firstTouch[i];

    /// <summary>The last kept checkpoint at or before step <c>first − 1</c> (a replay or propagation that first differs at step <paramref name="first"/> starts there).</summary>
    internal Checkpoint CheckpointBefore(long first) =>
        _checkpoints[_checkpoints.Keys.Where(s => s <= Math.Min(first - 1, Setup.Steps)).Max()];

    /// <summary>
    /// Train the run once, recording its schedule, checkpoints, θ at <paramref name="snapshotSteps"/> (step 0 allowed) and,
    /// with <paramref name="candidates"/>, the exact attribution of those training rows (<see cref="ExactAttribution"/>).
    /// </summary>
    public static ReplayableRun Record(
        ReplaySetup setup,
        IReadOnlyList<int>? candidates = null,
        IReadOnlySet<long>? snapshotSteps = null,
        Action<long>? progress = null,
        CancellationToken cancel = default
    )
    {
        var problems = setup.Problems().ToList();
        if (problems.Count > 0)
            throw new ArgumentException(string.Join("; ", problems));
        var schedule = new List<int[]>();
        var rates = new List<double>();
        var checkpoints = new Dictionary<long, Checkpoint>();
        var snapshots = new Dictionary<long, Tensor[]>();
        using var scope = torch.NewDisposeScope();
        using var ctx = new Trainer(setup);
        var sampler = new BatchSampler(setup.Train.Count, setup.Batch, setup.Seed);
        double[] initial = ctx.Probe();
        using var tracker = candidates is null ? null : new ExactAttributionTracker(ctx, candidates);
        void Keep(long t)
        {
            if (t % setup.CheckpointEvery == 0)
                checkpoints[t] = ctx.Save(t);
            if (snapshotSteps?.Contains(t) ?? false)
                snapshots[t] = Own(ctx.Net.Snapshot().Select(p => p.cpu().clone()).ToArray());
        }
        Keep(0);
        for (long t = 1; t <= setup.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var step = torch.NewDisposeScope();
            var rows = sampler.Next();
            var prev = tracker is null ? null : ctx.Net.Snapshot();
            double rate = ctx.Step(rows, null);
            schedule.Add(rows);
            rates.Add(rate);
            tracker?.Step(t, rate, prev!, rows);
            Keep(t);
            progress?.Invoke(t);
        }
        var final = ctx.Probe();
        var theta = ParameterVector.Flatten(ctx.Net.Parameters).detach().cpu().clone();
        theta.DetachFromDisposeScope();
        return new ReplayableRun(
            setup,
            schedule,
            rates,
            checkpoints,
            snapshots,
            initial,
            final,
            theta,
            tracker?.Result(final, initial)
        );
    }

    /// <summary>
    /// f_T(x) per test row of the run retrained without the rows in <paramref name="removed"/> (mask semantics in the
    /// class summary), starting from the last checkpoint at or before the step before the first step that touches a
    /// removed row. Thread-safe: each call builds its own network and optimiser.
    /// </summary>
    public double[] Replay(IReadOnlySet<int> removed, CancellationToken cancel = default) =>
        ReplayCore(removed, cancel).probe;

    /// <summary>θ_T of the replay without <paramref name="removed"/>, flattened (CPU, owned by the caller).</summary>
    public Tensor ReplayParameters(IReadOnlySet<int> removed, bool fromStart = false)
    {
        var (_, theta) = ReplayCore(removed, default, fromStart);
        return theta;
    }

    private (double[] probe, Tensor theta) ReplayCore(
        IReadOnlySet<int> removed,
        CancellationToken cancel,
        bool fromStart = false
    )
    {
        foreach (var i in removed)
            if (i < 0 || i >= Setup.Train.Count)
                throw new ArgumentOutOfRangeException(
                    nameof(removed),
                    $"training row {i} outside 0..{Setup.Train.Count - 1}"
                );
        int first = removed.Count == 0 ? int.MaxValue : removed.Min(i => _firstTouch[i]);
        if (first == int.MaxValue && !fromStart)
        {
            // nothing removed is ever used: the replay is the recorded run
            var copy = FinalParameters.clone();
            copy.DetachFromDisposeScope();
            return ((double[])Final.Clone(), copy);
        }
        long start = fromStart
            ? 0
            : _checkpoints.Keys.Where(s => s <= Math.Min(first - 1, Setup.Steps)).Max();
        using var scope = torch.NewDisposeScope();
        using var ctx = new Trainer(Setup);
        ctx.Load(_checkpoints[start]);
        for (long t = start + 1; t <= Setup.Steps; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var step = torch.NewDisposeScope();
            var rows = Schedule[(int)t - 1];
            ctx.Step(removed.Count == 0 ? rows : rows.Where(i => !removed.Contains(i)).ToArray(), null);
        }
        var theta = ParameterVector.Flatten(ctx.Net.Parameters).detach().cpu().clone();
        theta.DetachFromDisposeScope();
        return (ctx.Probe(), theta);
    }

    private static Tensor[] Own(Tensor[] ts)
    {
        foreach (var t in ts)
            t.DetachFromDisposeScope();
        return ts;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var c in _checkpoints.Values)
            foreach (var t in c.Theta.Concat(c.Buffers).Concat(c.SecondMoments))
                t?.Dispose();
        foreach (var s in _snapshots.Values)
            foreach (var t in s)
                t.Dispose();
        FinalParameters.Dispose();
    }

    /// <summary>The network, data tensors and optimiser of one training or replay.</summary>
    internal sealed class Trainer : IDisposable
    {
        public readonly ReplaySetup S;
        public readonly Network Net;
        public readonly Optimizer Opt;
        public readonly Tensor XTrain,
            YTrain,
            LTrain,
            XTest,
            LTest,
            TestSelect; // [m, k] one-hot of the measured output

        public Trainer(ReplaySetup s)
        {
            S = s;
            var dev = torch.CPU;
            Net = s.Model.Build(s.Train.Shape, s.Train.Outputs, s.Seed, s.DType, dev);
            Opt = new Optimizer(s.Optimizer, Net.Parameters.Count);
            XTrain = Own(s.Train.Inputs(s.DType, dev));
            YTrain = Own(s.Train.Targets(s.DType, dev));
            LTrain = Own(s.Train.LabelTensor(dev));
            XTest = Own(s.Test.Inputs(s.DType, dev));
            LTest = Own(s.Test.LabelTensor(dev));
            int k = Net.Outputs;
            var sel = new double[s.Test.Count * k];
            for (int i = 0; i < s.Test.Count; i++)
                sel[i * k + (k == 1 ? 0 : s.Test.Labels[i])] = 1;
            TestSelect = Own(HostArrays.ToTensor(sel, [s.Test.Count, k], dtype: s.DType, device: dev));
        }

        private static Tensor Own(Tensor t)
        {
            t.DetachFromDisposeScope();
            return t;
        }

        /// <summary>One optimiser step on the mean loss over <paramref name="rows"/> (G = 0 when empty); returns γ_t.</summary>
        public double Step(int[] rows, CancellationToken? _)
        {
            foreach (var p in Net.Parameters)
                p.grad?.zero_();
            if (rows.Length > 0)
            {
                var idx = HostArrays.Indices(rows);
                var f = Net.Forward(XTrain.index_select(0, idx));
                var loss = Training.Loss.Compute(
                    S.Loss,
                    f,
                    YTrain.index_select(0, idx),
                    LTrain.index_select(0, idx)
                );
                loss.backward();
            }
            return Opt.Apply(Net.Parameters);
        }

        /// <summary>The probe measurement f(x) per test row at the current θ.</summary>
        public double[] Probe()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            return Net.Forward(XTest)
                .mul(TestSelect)
                .sum(1)
                .to_type(ScalarType.Float64)
                .contiguous()
                .data<double>()
                .ToArray();
        }

        public Checkpoint Save(long t)
        {
            using var noGrad = torch.no_grad();
            Tensor? C(Tensor? x)
            {
                var c = x?.detach().clone();
                c?.DetachFromDisposeScope();
                return c;
            }
            return new Checkpoint(
                t,
                Net.Parameters.Select(p => C(p)!).ToArray(),
                Opt.Operators.Select(o => C(o.Buffer)).ToArray(),
                Opt.SecondMoments.Select(C).ToArray()
            );
        }

        public void Load(Checkpoint c)
        {
            Net.Load(c.Theta);
            Opt.Restore(c.Step, c.Buffers, c.SecondMoments);
        }

        public void Dispose()
        {
            foreach (var t in new[] { XTrain, YTrain, LTrain, XTest, LTest, TestSelect })
                t.Dispose();
            Opt.Dispose();
            Net.Dispose();
        }
    }
}

/// <summary>
/// A way to run many replays of one recorded run: the seam where a batched many-runs engine plugs in. Returns
/// f_T(x) per removal set and test row, in the order of <c>removals</c>.
/// </summary>
public interface IReplayEngine
{
    /// <summary>f_T per removal set (rows) and test row (columns).</summary>
    double[][] Run(
        ReplayableRun run,
        IReadOnlyList<IReadOnlySet<int>> removals,
        Action<int>? progress = null,
        CancellationToken cancel = default
    );
}

/// <summary>Replays one after another, or <see cref="Parallel"/> at once on separate threads (same results).</summary>
public sealed record SequentialReplays(int Parallel = 1) : IReplayEngine
{
    /// <inheritdoc />
    public double[][] Run(
        ReplayableRun run,
        IReadOnlyList<IReadOnlySet<int>> removals,
        Action<int>? progress = null,
        CancellationToken cancel = default
    )
    {
        var result = new double[removals.Count][];
        int done = 0;
        System.Threading.Tasks.Parallel.For(
            0,
            removals.Count,
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Parallel), CancellationToken = cancel },
            j =>
            {
                result[j] = run.Replay(removals[j], cancel);
                progress?.Invoke(Interlocked.Increment(ref done));
            }
        );
        return result;
    }
}
