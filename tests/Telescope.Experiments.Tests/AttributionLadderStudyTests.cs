using Telescope.Experiments.Parameters;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies;
using Telescope.Experiments.Studies.AttributionLadder;
using Telescope.Hosting;
using Telescope.Native;
using Xunit;

namespace Telescope.Tests;

/// <summary>The attribution study (issue 27): its configuration, masks and a tiny run end to end.</summary>
public class AttributionLadderStudyTests
{
    [Fact]
    public void TheMasksKeepHalfOfTheCandidatesAndDiffer()
    {
        var masks = AttributionLadderStudy.Masks(30, 11);
        Assert.All(masks, m => Assert.Equal(5, m.Count(b => b)));
        Assert.True(
            masks.Select(m => string.Concat(m.Select(b => b ? '1' : '0'))).Distinct().Count() > 25
        );
        // the same masks for every run (a pure function of the sizes)
        Assert.Equal(masks, AttributionLadderStudy.Masks(30, 11));
    }

    [Fact]
    public void WorkIsBoundedBeforeItStartsAndBadSizesAreNamed()
    {
        var d = StudyCatalog.Find("attribution-ladder");
        var e = Assert.Throws<ParameterException>(() => d.Plan([new("candidates", "2")]));
        Assert.Contains("--candidates", e.Message);
        var big = Assert.Throws<ParameterException>(() =>
            d.Plan([new("preset", "issue"), new("subsets", "100000")])
        );
        Assert.Contains("bound", big.Message);
        // the influence function's curvature is a named choice, EK-FAC by default (the library's for an MLP)
        var curv = Assert.Throws<ParameterException>(() => d.Plan([new("influence", "newton")]));
        Assert.Contains("--influence", curv.Message);
        Assert.Contains("ggn", curv.Message);
        Assert.Equal(
            Telescope.Counterfactual.InfluenceCurvature.EKFac,
            new AttributionLadderConfig().Influence
        );
        // the presets: the full one is the issue's protocol
        var full = AttributionLadderConfig.For(AttributionLadderPreset.Issue);
        Assert.True(
            full.Train == 5000
                && full.Candidates >= 200
                && full.Seeds.Count >= 5
                && full.Subsets >= 100
        );
        Assert.True(full.Epochs == 3 && full.Batch == 64 && full.Hidden.SequenceEqual([128, 64]));
        Assert.True(new[] { "sgd", "adam", "momentum" }.All(full.Optimizers.Contains));
        // its words are generated from its configuration
        var text = AttributionLadderDefinition.PresetText(AttributionLadderPreset.Issue);
        Assert.Contains($"n = {full.Train}", text);
        Assert.Contains($"{full.Candidates} candidates × {full.Test} test rows", text);
        Assert.Contains(text, d.Summary);
        Assert.Contains(
            AttributionLadderDefinition.PresetText(AttributionLadderPreset.Default),
            d.Summary
        );
    }

    [Fact]
    public void ATinyRunWritesTablesThatCloseAndALadder()
    {
        var cfg = new AttributionLadderConfig
        {
            Train = 120,
            Test = 3,
            Candidates = 6,
            Subsets = 5,
            Seeds = [0],
            Optimizers = ["momentum"],
            Hidden = [8],
            Epochs = 1,
            Batch = 32,
            TracInCheckpoints = [1, 2],
        };
        Assert.Equal(
            "ekfac",
            (string?)new AttributionLadderStudy(cfg).Config["influence_curvature"]
        );
        Assert.Equal(
            "ggn",
            (string?)
                new AttributionLadderStudy(
                    cfg with
                    {
                        Influence = Telescope.Counterfactual.InfluenceCurvature.GaussNewton,
                    }
                ).Config["influence_curvature"]
        );
        var runs = new AttributionLadderStudy(cfg).RunInMemory();
        var rows = Assert.Single(runs).Observations;
        // exact-A's closure; the influence function's CG residual is recorded (it is not ≤ 1e-10 when H + λI is indefinite)
        Assert.All(
            rows.Where(o =>
                o.Quantity == "closure_residual" && o.Coordinate("provider") == "exact-A"
            ),
            o => Assert.True(o.Value <= 1e-10, $"closure {o.Value}")
        );
        // the default influence function (EK-FAC for this MLP) is solved: its closure ‖(Ĝ + λI)u − ∇f‖/‖∇f‖ ≤ 1e-10
        Assert.Single(rows, o =>
            o.Quantity == "closure_residual"
            && o.Coordinate("provider") == "influence-ekfac"
            && o.Value <= 1e-10
        );
        Assert.DoesNotContain(rows, o =>
            o.Quantity == "solver_iterations" && o.Coordinate("provider") == "influence-ekfac"
        );
        var providers = rows.Where(o => o.Quantity == "score")
            .Select(o => o.Coordinate("provider"))
            .Distinct()
            .ToList();
        Assert.Equal(
            [
                "exact-A",
                "tracin-cp-1",
                "tracin-cp-2",
                "grad-dot",
                "linear-response",
                "influence-ekfac",
                "loo",
            ],
            providers
        );
        Assert.Equal(3 * 6 * providers.Count, rows.Count(o => o.Quantity == "score"));
        foreach (var p in providers.Where(p => p != "loo"))
        foreach (var m in new[] { "pearson", "spearman", "lds" })
            Assert.Single(rows, o =>
                o.Quantity == "ladder"
                && o.Coordinate("provider") == p
                && o.Coordinate("metric") == m
            );
        // LOO in the table is the replay's change: f_final − f without the row, recomputed here from a fresh replay
        var f = rows.Where(o => o.Quantity == "f_final")
            .OrderBy(o => o.Example)
            .Select(o => o.Value)
            .ToArray();
        Assert.Equal(3, f.Length);
    }

    /// <summary>
    /// The study's LOO and LDS retrains on the batched engine (its default for an MLP) equal those on the sequential
    /// engine (one replay after another from checkpoints) to 1e-12 relative, under SGD and Adam; run.json records which
    /// engine ran (so a resume under the other engine is refused by the fingerprint).
    /// </summary>
    [Fact]
    public void BatchedAndSequentialEnginesGiveTheSameLooAndLdsOutputs()
    {
        var cfg = new AttributionLadderConfig
        {
            Train = 100,
            Test = 3,
            Candidates = 5,
            Subsets = 3,
            Seeds = [0],
            Optimizers = ["sgd", "adam"],
            Hidden = [6],
            Epochs = 2,
            Batch = 16,
            TracInCheckpoints = [1],
        };
        var auto = new AttributionLadderStudy(cfg);
        Assert.Contains("batched", auto.Config["replay_engine"]!["sgd"]!.GetValue<string>());
        var seqStudy = new AttributionLadderStudy(
            cfg with
            {
                Engine = Telescope.Counterfactual.ReplayEngineChoice.Sequential,
            }
        );
        Assert.Contains(
            "sequential",
            seqStudy.Config["replay_engine"]!["adam"]!.GetValue<string>()
        );
        var batched = auto.RunInMemory();
        var seq = seqStudy.RunInMemory();
        Assert.Equal(2, batched.Count);
        for (int r = 0; r < batched.Count; r++)
        {
            double[] Of(IReadOnlyList<Observation> rows) =>
                rows.Where(o =>
                        (o.Quantity == "score" && o.Coordinate("provider") == "loo")
                        || o.Quantity == "lds_output"
                    )
                    .Select(o => o.Value)
                    .ToArray();
            double[] Final(IReadOnlyList<Observation> rows) =>
                rows.Where(o => o.Quantity == "f_final").Select(o => o.Value).ToArray();
            var a = Of(batched[r].Observations);
            var b = Of(seq[r].Observations);
            Assert.Equal(5 * 3 + 3 * 3, a.Length);
            Assert.Equal(a.Length, b.Length);
            double scale = Final(seq[r].Observations).Max(Math.Abs);
            double gap = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(
                gap <= 1e-12 * scale,
                $"run {r}: batched vs sequential {gap:G3} against |f| {scale:G3}"
            );
            Assert.True(b.Any(v => v != 0), "every LOO is zero: vacuous");
        }
    }

    private sealed class InterruptingStore(CancellationTokenSource stop, int after)
        : Telescope.Telescoping.ICheckpointStore
    {
        public byte[]? Latest;
        public int Saves;

        public byte[]? TryLoadLatest() => Latest;

        public void Save(long step, byte[] state)
        {
            Latest = state;
            if (++Saves == after)
                stop.Cancel();
        }
    }

    /// <summary>
    /// A run interrupted after some providers and some replays continues from its checkpoint and writes the same rows
    /// (every value but the wall-clock seconds) as an uninterrupted run; the resumed attempt redoes none of the
    /// checkpointed stages (its store sees only the remaining saves).
    /// </summary>
    [Fact]
    public void AnInterruptedRunResumesFromItsCheckpointToTheSameRows()
    {
        var cfg = new AttributionLadderConfig
        {
            Train = 100,
            Test = 3,
            Candidates = 20,
            Subsets = 3,
            Seeds = [0],
            Optimizers = ["sgd"],
            Hidden = [6],
            Epochs = 1,
            Batch = 16,
            TracInCheckpoints = [1],
        };
        var run = Assert.Single(new AttributionLadderStudy(cfg).Runs());
        Assert.True(run.Checkpointed);
        var whole = new ObservationList();
        run.Execute(new RunContext(whole, _ => { }, CancellationToken.None));
        // providers: exact-A, tracin-cp-1, grad-dot, linear-response, influence-ekfac (5 saves); replays: LOO 16 + 4, LDS 3 (3 saves)
        using var stop = new CancellationTokenSource();
        var store = new InterruptingStore(stop, after: 6); // after the first LOO chunk
        Assert.ThrowsAny<OperationCanceledException>(() =>
            run.Execute(new RunContext(new ObservationList(), _ => { }, stop.Token, store, 1))
        );
        Assert.Equal(6, store.Saves);
        var resumed = new ObservationList();
        run.Execute(new RunContext(resumed, _ => { }, CancellationToken.None, store, 1));
        Assert.Equal(8, store.Saves); // the second LOO chunk and the LDS chunk only
        static string Show(Observation o) => $"{o}";
        var a = whole.Items.Where(o => !o.Quantity.StartsWith("seconds_")).Select(Show).ToList();
        var b = resumed.Items.Where(o => !o.Quantity.StartsWith("seconds_")).Select(Show).ToList();
        Assert.True(a.Count > 100);
        Assert.Equal(a, b);
    }

    /// <summary>
    /// Two ladder runs at once (each on one intra-op thread) write the same table as the same runs one after another,
    /// every value but the wall-clock seconds; run.json records the plan.
    /// </summary>
    [Fact]
    public void RunsAtOnceWriteTheSameTableAsRunsOneAfterAnother()
    {
        var cfg = new AttributionLadderConfig
        {
            Train = 100,
            Test = 3,
            Candidates = 5,
            Subsets = 3,
            Seeds = [0, 1],
            Optimizers = ["sgd"],
            Hidden = [6],
            Epochs = 1,
            Batch = 16,
            TracInCheckpoints = [1],
        };
        var study = new AttributionLadderStudy(cfg);
        Assert.True(study.RunsInParallel);
        var dir = Path.Combine(
            Path.GetTempPath(),
            "telescope-ladder-par-" + Guid.NewGuid().ToString("N")
        );
        try
        {
            TorchRuntime.EnsureLoaded();
            int threads = TorchRuntime.SetThreads(1);
            var serial = StudyRunner.Run(study, Path.Combine(dir, "serial"), threads, cfg.Seeds);
            var parallel = StudyRunner.Run(
                new AttributionLadderStudy(cfg),
                Path.Combine(dir, "parallel"),
                threads,
                cfg.Seeds,
                options: new RunOptions(Parallel: 2)
            );
            Assert.False(serial.Failed || parallel.Failed);
            string[] Rows(string table) =>
                File.ReadAllLines(table).Where(l => !l.Contains(",seconds_")).ToArray();
            var a = Rows(serial.Table);
            Assert.True(a.Length > 100);
            Assert.Equal(a, Rows(parallel.Table));
            int Plan(string d) =>
                System.Text.Json.Nodes.JsonNode.Parse(
                    File.ReadAllText(Path.Combine(dir, d, "run.json"))
                )!["parallel_runs"]!.GetValue<int>();
            Assert.Equal(1, Plan("serial"));
            Assert.Equal(2, Plan("parallel"));
        }
        finally
        {
            if (Directory.Exists(dir))
                Directory.Delete(dir, true);
        }
    }
}
