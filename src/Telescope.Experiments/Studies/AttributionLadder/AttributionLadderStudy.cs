using System.Diagnostics;
using Telescope.Counterfactual;
using Telescope.Data;
using Telescope.Hosting;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Telescoping;
using Telescope.Training;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.AttributionLadder;

/// <summary>The two sizes of the attribution ladder: a small embedded default and the issue's full protocol.</summary>
internal enum AttributionLadderPreset
{
    /// <summary>Small enough for a shared 2-core machine (declared smaller than the issue's protocol).</summary>
    Default,

    /// <summary>Issue 27's protocol: 5,000 rows, 3 epochs, batch 64, 200 candidates × every test row, 5 seeds, 100 LDS subsets, SGD/Adam/momentum.</summary>
    Issue,
}

/// <summary>Configuration of the attribution ladder (issue 27). Immutable; use <c>with</c>.</summary>
internal sealed record AttributionLadderConfig
{
    /// <summary>Training rows n (MNIST, ten classes).</summary>
    public int Train { get; init; } = 1000;

    /// <summary>Test rows m (the probe points; every one is scored).</summary>
    public int Test { get; init; } = 20;

    /// <summary>Candidate training rows c (the first c training rows; the score tables' columns and the LOO replays).</summary>
    public int Candidates { get; init; } = 60;

    /// <summary>LDS subsets M: random halves of the candidates (every other row always kept), one replay each, the same masks for every provider, seed and optimiser.</summary>
    public int Subsets { get; init; } = 40;

    /// <summary>Training seeds (initialisation and batch order; the data split is fixed by data seed 0).</summary>
    public IReadOnlyList<long> Seeds { get; init; } = [0, 1];

    /// <summary>Optimisers (sgd, momentum, adam, …).</summary>
    public IReadOnlyList<string> Optimizers { get; init; } = ["sgd", "adam", "momentum"];

    /// <summary>Hidden widths (dattri's LOO example: 128, 64).</summary>
    public int[] Hidden { get; init; } = [128, 64];

    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 3;

    /// <summary>Batch size.</summary>
    public int Batch { get; init; } = 64;

    /// <summary>Learning rate of plain SGD.</summary>
    public double SgdRate { get; init; } = 0.05;

    /// <summary>Learning rate of heavy-ball momentum (μ = 0.9: the same effective rate γ/(1−μ) as SGD's).</summary>
    public double MomentumRate { get; init; } = 0.005;

    /// <summary>Learning rate of Adam (β = 0.9, 0.999).</summary>
    public double AdamRate { get; init; } = 1e-3;

    /// <summary>TracInCP checkpoint counts k.</summary>
    public IReadOnlyList<int> TracInCheckpoints { get; init; } = [1, 3, 10];

    /// <summary>In-memory checkpoint interval of the recorded run (replays start from the last one before a removed row is first used).</summary>
    public int CheckpointEvery { get; init; } = 5;

    /// <summary>Replays run at once by the sequential engine (threads; 1 = one after another).</summary>
    public int ParallelReplays { get; init; } = 1;

    /// <summary>The influence function's curvature (default: the library's, EK-FAC — this study's network is always an MLP, which it supports).</summary>
    public InfluenceCurvature Influence { get; init; } = ScoreProviders.InfluenceCurvatureDefault;

    /// <summary>The replay engine of the LOO and LDS retrains (auto: batched for this study's MLPs; the same f_T to round-off).</summary>
    public ReplayEngineChoice Engine { get; init; } = ReplayEngineChoice.Auto;

    /// <summary>The engine the LOO and LDS replays of <paramref name="optimizer"/> run on.</summary>
    public IReplayEngine EngineFor(string optimizer) =>
        ReplayEngines.For(
            new ModelSpec(Hidden: Hidden),
            Spec(optimizer),
            ScalarType.Float64,
            Engine,
            ParallelReplays
        );

    /// <summary>The preset's configuration.</summary>
    public static AttributionLadderConfig For(AttributionLadderPreset p) =>
        p switch
        {
            AttributionLadderPreset.Issue => new AttributionLadderConfig
            {
                Train = 5000,
                Test = 50,
                Candidates = 200,
                Subsets = 100,
                Seeds = [0, 1, 2, 3, 4],
                CheckpointEvery = 10,
            },
            _ => new AttributionLadderConfig(),
        };

    /// <summary>The optimiser spec of a short name.</summary>
    public OptimizerSpec Spec(string name) =>
        OptimizerSpec.ParseKind(name) switch
        {
            OptimizerKind.Sgd => new(OptimizerKind.Sgd, SgdRate),
            OptimizerKind.Momentum => new(OptimizerKind.Momentum, MomentumRate, Momentum: 0.9),
            OptimizerKind.Adam => new(OptimizerKind.Adam, AdamRate),
            var k => throw new ArgumentException(
                $"optimizer '{name}' ({k}) is not part of the attribution ladder: use sgd, momentum or adam"
            ),
        };

    // the option that sets an optimiser's γ
    private static string RateOption(OptimizerKind k) =>
        k switch
        {
            OptimizerKind.Momentum => Option("momentum-lr"),
            OptimizerKind.Adam => Option("adam-lr"),
            _ => Option("sgd-lr"),
        };

    /// <summary>Every problem (empty when valid).</summary>
    public IEnumerable<string> Problems()
    {
        if (Train < 2 || Train + Test > 10000)
            yield return $"{Option("train")} must be ≥ 2 and train + test ≤ 10000 (MNIST's digits), got {Train} + {Test}";
        if (Test < 1)
            yield return $"{Option("test")} must be ≥ 1, got {Test}";
        if (Candidates < 3 || Candidates > Train)
            yield return $"{Option("candidates")} must be in 3..train ({Train}), got {Candidates}";
        if (Subsets < 3)
            yield return $"{Option("subsets")} must be ≥ 3 (LDS is a rank correlation over subsets), got {Subsets}";
        if (Epochs < 1 || Batch < 1)
            yield return $"{Option("epochs")} and {Option("batch")} must be positive, got {Epochs} and {Batch}";
        if (Hidden.Any(h => h < 1))
            yield return $"{Option("hidden")} widths must be positive";
        if (TracInCheckpoints.Any(k => k < 1))
            yield return $"{Option("tracin")} checkpoint counts must be positive";
        if (ParallelReplays < 1)
            yield return $"{Option("parallel-replays")} must be ≥ 1";
        if (CheckpointEvery < 1)
            yield return $"{Option("replay-checkpoint")} must be ≥ 1";
        foreach (var o in Optimizers)
        {
            string? bad = null;
            try
            {
                Spec(o);
            }
            catch (ArgumentException e)
            {
                bad = e.Message;
            }
            if (bad is not null)
                yield return bad;
            else if (Spec(o).Problems().FirstOrDefault() is { } rate)
                yield return $"{RateOption(Spec(o).Kind)}: {rate}";
        }
        // bound the work before it starts: widths, threads, checkpoint counts, then replays × steps
        long steps = (long)Epochs * ((Train + Batch - 1) / Batch);
        foreach (
            var p in StudyLimits.AtMost(
                (Option("hidden"), Hidden.Length == 0 ? 0 : Hidden.Max(), StudyLimits.MaxWidth),
                (Option("hidden") + " layers", Hidden.Length, StudyLimits.MaxLayers),
                (Option("parallel-replays"), ParallelReplays, StudyLimits.MaxThreads),
                (
                    Option("tracin"),
                    TracInCheckpoints.Count == 0 ? 0 : TracInCheckpoints.Max(),
                    steps
                )
            )
        )
            yield return p;
        long replays = (long)Seeds.Count * Optimizers.Count * (Candidates + Subsets);
        if (replays * steps > 50_000_000)
            yield return $"{replays} replays × {steps} steps exceed the bound of 5e7 replayed steps";
    }
}

/// <summary>
/// The attribution ground-truth ladder (issue 27) on an MNIST MLP: per optimiser and seed, one recorded run, the
/// score tables of every provider (exact every-step A, TracInCP k, gradient dot product, exact LOO by replay) over
/// the test rows × candidate rows, LDS replays on shared random half-subsets of the candidates, and the ladder
/// (Pearson/Spearman vs LOO, LDS, each with a bootstrap interval over test rows).
/// </summary>
internal sealed class AttributionLadderStudy : IStudy
{
    private readonly AttributionLadderConfig _cfg;
    private readonly Action<string>? _log;
    private (Dataset train, Dataset test)? _data;
    private readonly object _lock = new();

    /// <summary>A validated study.</summary>
    public AttributionLadderStudy(AttributionLadderConfig cfg, Action<string>? log = null)
    {
        ConfigProblems.ThrowIfAny(cfg.Problems());
        _cfg = cfg;
        _log = log;
    }

    /// <summary>The configuration.</summary>
    public AttributionLadderConfig Configuration => _cfg;

    /// <inheritdoc />
    public string Name => "attribution-ladder";

    /// <inheritdoc />
    public string DataSource =>
        $"{Mnist.SourceName}: ten classes, 784 pixels; split by data seed 0";

    /// <inheritdoc />
    public IReadOnlyList<string> ParameterNames =>
        ["optimizer", "provider", "metric", "train_example", "subset"];

    /// <inheritdoc />
    public bool RunsInParallel => true; // each optimiser × seed run has its own network, replays and checkpoints

    private long StepsPerRun => (long)_cfg.Epochs * ((_cfg.Train + _cfg.Batch - 1) / _cfg.Batch);

    /// <inheritdoc />
    public System.Text.Json.Nodes.JsonObject Config =>
        new()
        {
            ["data_source"] = DataSource,
            ["train"] = _cfg.Train,
            ["test"] = _cfg.Test,
            ["candidates"] = $"training rows 0..{_cfg.Candidates - 1}",
            ["subsets"] = _cfg.Subsets,
            ["seeds"] = new System.Text.Json.Nodes.JsonArray(
                _cfg.Seeds.Select(s => (System.Text.Json.Nodes.JsonNode)s).ToArray()
            ),
            ["optimizers"] = new System.Text.Json.Nodes.JsonArray(
                _cfg.Optimizers.Select(o =>
                        (System.Text.Json.Nodes.JsonNode)_cfg.Spec(o).ToString()
                    )
                    .ToArray()
            ),
            ["model"] =
                $"MLP 784–{string.Join('–', _cfg.Hidden)}–10, ReLU, float64, softmax cross-entropy",
            ["epochs"] = _cfg.Epochs,
            ["batch"] = _cfg.Batch,
            ["tracin_checkpoints"] = string.Join(",", _cfg.TracInCheckpoints),
            ["checkpoint_every"] = _cfg.CheckpointEvery,
            ["parallel_replays"] = _cfg.ParallelReplays,
            ["replay_engine"] = new System.Text.Json.Nodes.JsonObject(
                _cfg.Optimizers.Select(o =>
                    KeyValuePair.Create(
                        o,
                        (System.Text.Json.Nodes.JsonNode?)ReplayEngines.Describe(_cfg.EngineFor(o))
                    )
                )
            ),
            ["measurement"] = "f(x) = the true-class logit of test row x",
            ["sign"] =
                "positive = including the training row raised f(x); LOO(x, i) = f_T(x) − f_T^{−i}(x)",
            ["mask"] =
                "replays use θ_0 and the recorded batches; removed rows are masked out, batch mean over the remaining rows (empty batch: G = 0, the optimiser still steps)",
            ["lds"] =
                "Spearman over subsets of Σ_{i∈S_j} τ(x,i) vs f_T^{S_j}(x), S_j a random half of the candidates (non-candidates always kept); one deterministic replay per subset and seed",
            ["linear_response"] =
                $"δθ propagated through the recorded steps with exact Hessian–vector products, exact in the removal (ε = {ScoreProviders.LinearResponseWeight}); under sgd and momentum only (Adam's step is not linear in the gradient)",
            ["influence"] = InfluenceText(_cfg.Influence),
            ["influence_curvature"] = ScoreProviders.InfluenceWord(_cfg.Influence),
            ["intervals"] =
                $"95% percentile bootstrap over test rows, {Ladder.BootstrapResamples} resamples",
        };

    /// <summary>What the influence provider computes with curvature <paramref name="c"/>, for run.json.</summary>
    internal static string InfluenceText(InfluenceCurvature c) =>
        $"{ScoreProviders.InfluenceName(c)}: −∇f(x)ᵀ(C + λI)⁻¹∇ℓ(z_i)/n at θ_T, λ = {ScoreProviders.InfluenceDamping}, "
        + c switch
        {
            InfluenceCurvature.EKFac =>
                "C the EK-FAC approximation of the Gauss–Newton matrix (1/n) Σ_j J_jᵀ H_j J_j (George et al. 2018, as in Kronfluence): per Dense layer (Q_S ⊗ Q_A) diag(Λ*) (Q_S ⊗ Q_A)ᵀ, Q_A, Q_S the eigenvectors of the inputs' (bias 1 appended) and the back-propagated output-Hessian factors' second moments (H_j = L_j L_jᵀ exactly, every column of L_j, no sampling), Λ* the exact eigenvalue correction; solved in closed form (closure_residual: the largest ‖(C + λI)u − ∇f‖/‖∇f‖ over test rows, round-off)",
            InfluenceCurvature.GaussNewton =>
                $"C the Gauss–Newton matrix (1/n) Σ_j J_jᵀ H_j J_j of the mean training loss (H_j the softmax cross-entropy's output Hessian; positive semi-definite), CG ≤ {ScoreProviders.InfluenceIterations} iterations to relative residual {ScoreProviders.InfluenceTolerance} (closure_residual: the largest CG residual)",
            _ =>
                $"C the Hessian of the mean training loss (exact Hessian–vector products; indefinite at a trained θ_T), CG ≤ {ScoreProviders.InfluenceIterations} iterations to relative residual {ScoreProviders.InfluenceTolerance} (closure_residual: the largest CG residual)",
        };

    /// <inheritdoc />
    public IReadOnlyList<StudyRun> Runs() =>
        [
            .. from o in _cfg.Optimizers
            from seed in _cfg.Seeds
            select new StudyRun(
                new RunKey(Name, $"{o}-s{seed}", seed, [new("optimizer", o)]),
                StepsPerRun,
                c =>
                    RunOne(
                        o,
                        seed,
                        c.Sink,
                        c.Progress,
                        c.Cancel,
                        c.CheckpointEvery > 0 ? c.Checkpoints : null
                    )
            ),
        ];

    private (Dataset train, Dataset test) Data()
    {
        lock (_lock)
            return _data ??= Mnist.TenClass(_cfg.Train, _cfg.Test, 0, _log);
    }

    /// <summary>The LDS masks: subset j keeps candidate i when <c>kept[j][i]</c> (a random half, data seed 0, stream 31).</summary>
    public static bool[][] Masks(int subsets, int candidates)
    {
        var rng = new Rng(0, stream: 31);
        return Enumerable
            .Range(0, subsets)
            .Select(_ =>
            {
                var perm = rng.Permutation(candidates);
                var keep = new bool[candidates];
                foreach (var i in perm[..(candidates / 2)])
                    keep[i] = true;
                return keep;
            })
            .ToArray();
    }

    private TrajectoryResult RunOne(
        string optimizer,
        long seed,
        IObservationSink sink,
        Action<long> progress,
        CancellationToken cancel,
        ICheckpointStore? store = null
    )
    {
        var clock = Stopwatch.StartNew();
        // resumable: the finished providers and replays are checkpointed (nothing is written to the sink before the end)
        var done = store?.TryLoadLatest() is { } bytes
            ? LadderProgress.Read(bytes)
            : new LadderProgress();
        long saves = done.Saves;
        void Save()
        {
            if (store is null)
                return;
            done.Saves = ++saves;
            store.Save(saves, done.Write());
        }
        var (train, test) = Data();
        var setup = new ReplaySetup(
            new ModelSpec(Hidden: _cfg.Hidden),
            train,
            test,
            _cfg.Spec(optimizer),
            LossKind.CrossEntropy,
            _cfg.Batch,
            _cfg.Epochs,
            seed,
            ScalarType.Float64,
            _cfg.CheckpointEvery
        );
        var cand = Enumerable.Range(0, _cfg.Candidates).ToArray();
        var snaps = _cfg
            .TracInCheckpoints.SelectMany(k => ScoreProviders.TracInSteps(setup.Steps, k))
            .Append(setup.Steps)
            .ToHashSet();
        using var run = ReplayableRun.Record(setup, cand, snaps, progress, cancel);
        double recordSeconds = clock.Elapsed.TotalSeconds;
        var engine = ReplayEngines.For(setup, _cfg.Engine, _cfg.ParallelReplays);
        // the providers in order; each one computed once and checkpointed (a resumed run re-records θ, then skips them)
        var makers = new List<(string stage, Func<ScoreTable> make)>
        {
            ("cheap", () => ScoreProviders.Exact(run)),
        };
        makers.AddRange(
            _cfg.TracInCheckpoints.Select(k =>
                ("cheap", (Func<ScoreTable>)(() => ScoreProviders.TracIn(run, cand, k)))
            )
        );
        makers.Add(("cheap", () => ScoreProviders.GradDot(run, cand)));
        if (ScoreProviders.LinearResponseApplies(setup.Optimizer))
            makers.Add(
                ("linear_response", () => ScoreProviders.LinearResponse(run, cand, cancel: cancel))
            );
        makers.Add(
            ("influence", () =>
                ScoreProviders.InfluenceFunction(
                    run,
                    cand,
                    cancel: cancel,
                    curvature: _cfg.Influence
                )
            )
        );
        for (int k = done.Tables.Count; k < makers.Count; k++)
        {
            cancel.ThrowIfCancellationRequested();
            double t0 = clock.Elapsed.TotalSeconds;
            done.Tables.Add(makers[k].make());
            done.Seconds[makers[k].stage] =
                done.Seconds.GetValueOrDefault(makers[k].stage) + clock.Elapsed.TotalSeconds - t0;
            Save();
        }
        var providers = done.Tables;
        double responseSeconds = done.Seconds.GetValueOrDefault("linear_response");
        double influenceSeconds = done.Seconds.GetValueOrDefault("influence");
        // the LOO replays, then the LDS replays, in chunks of the batched engine's group size (the same groups as one call)
        var masks = Masks(_cfg.Subsets, _cfg.Candidates);
        var removals = cand.Select(i => (IReadOnlySet<int>)new HashSet<int> { i })
            .Concat(masks.Select(k => (IReadOnlySet<int>)cand.Where(i => !k[i]).ToHashSet()))
            .ToList();
        int chunk =
            engine is BatchedReplays b && b.GroupSize > 0
                ? b.GroupSize
                : BatchedPlan.DefaultGroupSize;
        while (done.Outputs.Count < removals.Count)
        {
            cancel.ThrowIfCancellationRequested();
            double t0 = clock.Elapsed.TotalSeconds;
            int from = done.Outputs.Count;
            int stageEnd = from < cand.Length ? cand.Length : removals.Count; // a chunk never spans LOO and LDS
            var part = removals.Skip(from).Take(Math.Min(chunk, stageEnd - from)).ToList();
            done.Outputs.AddRange(engine.Run(run, part, null, cancel));
            string stage = from < cand.Length ? "loo" : "lds";
            done.Seconds[stage] =
                done.Seconds.GetValueOrDefault(stage) + clock.Elapsed.TotalSeconds - t0;
            Save();
        }
        double looSeconds = done.Seconds.GetValueOrDefault("loo");
        double ldsSeconds = done.Seconds.GetValueOrDefault("lds");
        var scoresLoo = new double[setup.Test.Count, cand.Length];
        for (int i = 0; i < cand.Length; i++)
        for (int x = 0; x < setup.Test.Count; x++)
            scoresLoo[x, i] = run.Final[x] - done.Outputs[i][x];
        var loo = new ScoreTable("loo", ScoreProviders.LogitUnit, cand, scoresLoo, double.NaN);
        var outputs = done.Outputs.Skip(cand.Length).ToArray();

        // tables
        foreach (var t in providers.Append(loo))
        {
            for (int x = 0; x < t.Tests; x++)
            for (int i = 0; i < t.Rows; i++)
                sink.Write(
                    new Observation("score", t.Scores[x, i], setup.Steps, "test", x)
                        .At("provider", t.Provider)
                        .At("train_example", t.Candidates[i])
                );
            if (double.IsFinite(t.ClosureResidual))
                sink.Write(
                    new Observation("closure_residual", t.ClosureResidual, setup.Steps).At(
                        "provider",
                        t.Provider
                    )
                );
            if (t.SolverIterations is { } its)
                sink.Write(
                    new Observation("solver_iterations", its, setup.Steps).At(
                        "provider",
                        t.Provider
                    )
                );
        }
        for (int j = 0; j < masks.Length; j++)
        {
            for (int x = 0; x < test.Count; x++)
                sink.Write(
                    new Observation("lds_output", outputs[j][x], setup.Steps, "test", x).At(
                        "subset",
                        j
                    )
                );
            for (int i = 0; i < cand.Length; i++)
                sink.Write(
                    new Observation("lds_kept", masks[j][i] ? 1 : 0)
                        .At("subset", j)
                        .At("train_example", cand[i])
                );
        }
        for (int x = 0; x < test.Count; x++)
        {
            sink.Write(new Observation("f_final", run.Final[x], setup.Steps, "test", x));
            sink.Write(new Observation("f_initial", run.Initial[x], 0, "test", x));
            sink.Write(new Observation("label", test.Labels[x], 0, "test", x));
        }
        // the ladder
        foreach (var p in providers)
        {
            foreach (var e in Ladder.Entries(p, loo, masks, outputs, seed))
            {
                sink.Write(
                    new Observation($"ladder", e.Estimate, setup.Steps)
                        .At("provider", e.Provider)
                        .At("metric", e.Metric)
                );
                sink.Write(
                    new Observation($"ladder_low", e.Low, setup.Steps)
                        .At("provider", e.Provider)
                        .At("metric", e.Metric)
                );
                sink.Write(
                    new Observation($"ladder_high", e.High, setup.Steps)
                        .At("provider", e.Provider)
                        .At("metric", e.Metric)
                );
            }
            var problems = Ladder.Sanity(p, loo).ToList();
            sink.Write(
                new Observation("sanity_misaligned", problems.Count, setup.Steps).At(
                    "provider",
                    p.Provider
                )
            );
        }
        // LOO itself against the LDS outputs (how additive the true effects are on these subsets)
        foreach (
            var e in Ladder.Entries(loo, loo, masks, outputs, seed).Where(e => e.Metric == "lds")
        )
        {
            sink.Write(
                new Observation("ladder", e.Estimate, setup.Steps)
                    .At("provider", "loo")
                    .At("metric", "lds")
            );
            sink.Write(
                new Observation("ladder_low", e.Low, setup.Steps)
                    .At("provider", "loo")
                    .At("metric", "lds")
            );
            sink.Write(
                new Observation("ladder_high", e.High, setup.Steps)
                    .At("provider", "loo")
                    .At("metric", "lds")
            );
        }
        var a = run.Attribution!;
        sink.Write(
            new Observation("max_step_residual", a.MaxStepResidual, setup.Steps).At(
                "provider",
                "exact-A"
            )
        );
        // seconds_* are wall times (not reproducible bytes); after a resume they add the interrupted attempt's finished stages
        sink.Write(new Observation("seconds_record", recordSeconds, setup.Steps));
        sink.Write(
            new Observation(
                "seconds_cheap_providers",
                done.Seconds.GetValueOrDefault("cheap"),
                setup.Steps
            )
        );
        sink.Write(new Observation("seconds_linear_response", responseSeconds, setup.Steps));
        sink.Write(new Observation("seconds_influence", influenceSeconds, setup.Steps));
        sink.Write(new Observation("seconds_loo", looSeconds, setup.Steps));
        sink.Write(new Observation("seconds_lds", ldsSeconds, setup.Steps));
        sink.Write(new Observation("replays", cand.Length + masks.Length, setup.Steps));
        double acc = 0;
        return new TrajectoryResult(
            setup.Steps,
            null,
            null,
            new Dictionary<string, double>
            {
                ["test/f_final_mean"] = run.Final.Average(),
                ["seconds"] = clock.Elapsed.TotalSeconds + acc,
            }
        );
    }
}

/// <summary>
/// What an interrupted attribution run has finished: the provider tables in order, the replays' f_T in order
/// (LOO removals, then LDS subsets) and the seconds per stage. The checkpoint payload of one optimiser-seed run; the
/// host seals it with the run's fingerprint, so a resume under another configuration is refused.
/// </summary>
internal sealed class LadderProgress
{
    private const string Magic = "ATTRIBUTION-LADDER-PROGRESS-1";

    public long Saves;
    public List<ScoreTable> Tables { get; } = [];
    public List<double[]> Outputs { get; } = [];
    public Dictionary<string, double> Seconds { get; } = [];

    public byte[] Write()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(Magic);
            w.Write(Saves);
            w.Write(Tables.Count);
            foreach (var t in Tables)
            {
                w.Write(t.Provider);
                w.Write(t.Unit);
                w.Write(t.ClosureResidual);
                w.Write(t.SolverIterations ?? -1);
                w.Write(t.Candidates.Count);
                foreach (var c in t.Candidates)
                    w.Write(c);
                w.Write(t.Tests);
                foreach (var v in t.Scores)
                    w.Write(v);
            }
            w.Write(Outputs.Count);
            foreach (var o in Outputs)
            {
                w.Write(o.Length);
                foreach (var v in o)
                    w.Write(v);
            }
            w.Write(Seconds.Count);
            foreach (var (k, v) in Seconds)
            {
                w.Write(k);
                w.Write(v);
            }
        }
        return ms.ToArray();
    }

    public static LadderProgress Read(byte[] bytes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        if (r.ReadString() != Magic)
            throw new InvalidDataException("not an attribution-ladder checkpoint");
        var p = new LadderProgress { Saves = r.ReadInt64() };
        int tables = r.ReadInt32();
        for (int k = 0; k < tables; k++)
        {
            string name = r.ReadString(),
                unit = r.ReadString();
            double closure = r.ReadDouble();
            int its = r.ReadInt32();
            var cand = new int[r.ReadInt32()];
            for (int i = 0; i < cand.Length; i++)
                cand[i] = r.ReadInt32();
            int tests = r.ReadInt32();
            var s = new double[tests, cand.Length];
            for (int x = 0; x < tests; x++)
            for (int i = 0; i < cand.Length; i++)
                s[x, i] = r.ReadDouble();
            p.Tables.Add(
                new ScoreTable(name, unit, cand, s, closure)
                {
                    SolverIterations = its < 0 ? null : its,
                }
            );
        }
        int outputs = r.ReadInt32();
        for (int j = 0; j < outputs; j++)
        {
            var o = new double[r.ReadInt32()];
            for (int x = 0; x < o.Length; x++)
                o[x] = r.ReadDouble();
            p.Outputs.Add(o);
        }
        int secs = r.ReadInt32();
        for (int k = 0; k < secs; k++)
            p.Seconds[r.ReadString()] = r.ReadDouble();
        return p;
    }
}
