using static Telescope.Experiments.Parameters.Parameter;

namespace Telescope.Experiments.Benchmarks;

/// <summary>
/// <see cref="PeerBench"/>: ours vs PyTorch on the same MLP, weights and points, each side at every thread count of
/// its own <c>threads</c> parameter (a list, so it <see cref="IBenchDefinition.OwnsThreads"/>). Results that disagree
/// fail the run (<see cref="RunFailedException"/>, naming each pair); so does a peer that cannot run.
/// </summary>
internal sealed class PeerBenchDefinition()
    : BenchDefinition<PeerBenchOptions>(
        "peer",
        "Ours vs PyTorch (Debian's python3-torch: functorch jvp, forward_ad, autograd.functional.jvp, vmap(jacrev) NTK, NTK-vector products, vmap(grad)) on the same MLP 784–256–256–10, weights and points, at each thread count; and the main job (op job): one approximation-study run as a process against a functorch script doing the same work, interleaved, with our run's per-step breakdown and its flop-limited time; checks both compute the same numbers; bench.csv with ours/peer ratios. Install the peer with scripts/install-peer.sh (or run scripts/bench-peer.sh).",
        new()
    )
{
    /// <inheritdoc />
    protected override IReadOnlyList<Parameter<PeerBenchOptions>> Typed =>
        [
            Int<PeerBenchOptions>(
                "points",
                "N for forward and JVP.",
                c => c.Points,
                (c, v) => c with { Points = v },
                Defaults,
                min: 1
            ),
            Int<PeerBenchOptions>(
                "ntk-points",
                "M of the NTK K(X_M, X_M).",
                c => c.NtkPoints,
                (c, v) => c with { NtkPoints = v },
                Defaults,
                min: 1
            ),
            Int<PeerBenchOptions>(
                "grad-points",
                "G of the per-example gradients.",
                c => c.GradPoints,
                (c, v) => c with { GradPoints = v },
                Defaults,
                min: 1
            ),
            PositiveInts<PeerBenchOptions>(
                "threads",
                $"Intra-op thread counts (a list: this bench owns {Option("threads")}); both sides are timed at each, and run.json records the largest.",
                Text(Defaults.Threads),
                (c, v) => c with { Threads = v },
                "thread counts"
            ),
            Words<PeerBenchOptions>(
                "ops",
                $"Any of {string.Join(",", PeerBench.AllOperations)}.",
                string.Join(",", Defaults.Operations),
                (c, v) => c with { Operations = v }
            ),
            Double<PeerBenchOptions>(
                "budget",
                "Seconds of timed runs per method and thread count (repeats = budget / time, within [min, max]).",
                c => c.Budget,
                (c, v) => c with { Budget = v },
                Defaults
            ),
            Int<PeerBenchOptions>(
                "rounds",
                "Rounds of ours-then-peer; each timing is the median over rounds (a slow spell of a shared machine falls on both sides).",
                c => c.Rounds,
                (c, v) => c with { Rounds = v },
                Defaults,
                min: 1
            ),
            Int<PeerBenchOptions>(
                "min-repeats",
                "Least timed repeats (3 above 0.5 s).",
                c => c.MinRepeats,
                (c, v) => c with { MinRepeats = v },
                Defaults,
                min: 1
            ),
            Int<PeerBenchOptions>(
                "max-repeats",
                "Most timed repeats.",
                c => c.MaxRepeats,
                (c, v) => c with { MaxRepeats = v },
                Defaults,
                min: 1
            ),
            Int<PeerBenchOptions>(
                "job-rounds",
                "Rounds of interleaved pairs of the main job (our study run, then the PyTorch script) at every thread count.",
                c => c.Job.Rounds,
                (c, v) => c with { Job = c.Job with { Rounds = v } },
                Defaults,
                min: 1
            ),
            Flag<PeerBenchOptions>(
                "job-study",
                "Also time our whole default approximation study (24 runs) as one process, on its default plan (the README's command); otherwise 24 runs are estimated from the per-run times.",
                (c, on) => c with { Job = c.Job with { WholeStudy = on } }
            ),
            Flag<PeerBenchOptions>(
                "no-generic",
                "Skip our slow generic methods (autograd Jacobian NTK, per-example loops).",
                (c, on) => c with { Generic = !on }
            ),
            Parameter.Path<PeerBenchOptions>(
                "python",
                "The peer's Python.",
                Defaults.Python,
                (c, v) => c with { Python = v }
            ),
        ];

    /// <inheritdoc />
    protected override IEnumerable<string> Problems(PeerBenchOptions c)
    {
        foreach (var t in c.Threads)
        foreach (var bad in StudyLimits.ThreadProblems(t))
            yield return $"{Option("threads")} {bad}";
        var unknown = c.Operations.Except(PeerBench.AllOperations).ToList();
        if (unknown.Count > 0)
            yield return $"{Option("ops")}: unknown operation(s) {string.Join(",", unknown)}: expected any of {string.Join(",", PeerBench.AllOperations)}";
        if (!(c.Budget > 0))
            yield return $"{Option("budget")} must be > 0 seconds, got {Text(c.Budget)}";
        if (c.MaxRepeats < c.MinRepeats)
            yield return $"{Option("max-repeats")} must be ≥ {Option("min-repeats")} ({c.MinRepeats}), got {c.MaxRepeats}";
    }

    /// <inheritdoc />
    protected override string Execute(
        PeerBenchOptions o,
        string outDir,
        int threads,
        TextWriter output,
        IRunObserver observer,
        CancellationToken cancel
    )
    {
        if (o.Operations.Any(op => op != "job"))
            output.WriteLine(
                $"bench peer: MLP 784–256–256–10, float32; N = {o.Points}, NTK M = {o.NtkPoints}, grads G = {o.GradPoints}; threads {Text(o.Threads)} (ours first, then the peer)"
            );
        if (o.Operations.Contains("job"))
            output.WriteLine(
                $"bench peer job: one approximation run (sgd lr {Text(o.Job.Rate)}, seed {o.Job.Seed}) as a process vs the functorch script; threads {Text(o.Threads)}, {o.Job.Rounds} interleaved rounds"
            );
        PeerBenchResult res;
        try
        {
            res = PeerBench.Run(o, outDir, output.WriteLine);
        }
        catch (Exception e) when (e is PeerMismatchException or PeerUnavailableException)
        {
            throw new RunFailedException(e.Message, e);
        }
        foreach (var g in res.Breakdown.Select(b => b.Threads).Distinct())
            output.WriteLine(
                $"breakdown at {g} thr (s): "
                    + string.Join(
                        ", ",
                        res.Breakdown.Where(b => b.Threads == g)
                            .Select(b => $"{b.Part} {b.Seconds:F2}")
                    )
            );
        output.WriteLine("\nratios ours/peer, best thread count each (< 1: ours faster):");
        foreach (var x in res.Ratios)
            output.WriteLine(
                $"  {x.Operation, -8} {x.OursMethod + " (" + x.OursThreads + ")", -26} / {x.PeerMethod + " (" + x.PeerThreads + ")", -30} {x.Ratio, 10:G4}"
            );
        output.WriteLine(
            $"agreement: {res.Agreements.Count} comparisons, worst max rel diff {res.Agreements.Max(a => a.MaxRelDiff):G3}"
        );
        foreach (var g in PeerBench.Goals(res))
            output.WriteLine("goal " + g);
        WriteManifest(
            outDir,
            o.Threads.Max(),
            res.Versions.DeepClone().AsObject(),
            observer,
            "synthetic inputs (uniform [0,1]) and targets (N(0,1)); timing only"
        );
        var path = System.IO.Path.Combine(outDir, "bench.csv");
        output.WriteLine($"wrote {path}, versions.json, run.json");
        return path;
    }
}
