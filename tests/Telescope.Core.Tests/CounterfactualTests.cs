using System.Diagnostics;
using System.Globalization;
using Telescope.Counterfactual;

namespace Telescope.Tests;

/// <summary>Counterfactual replay, score providers and the ladder (issue 27).</summary>
public class CounterfactualTests
{
    /// <summary>A small k-class task drawn from a seeded generator (class means + Gaussian noise).</summary>
    internal static (Dataset train, Dataset test) Task(int n, int m, int d, int classes, long seed)
    {
        var rng = new Rng(seed, stream: 5);
        var mu = new double[classes, d];
        for (int c = 0; c < classes; c++)
        for (int j = 0; j < d; j++)
            mu[c, j] = rng.NextGaussian();
        Dataset Make(int rows)
        {
            var x = new double[rows * d];
            var y = new int[rows];
            for (int i = 0; i < rows; i++)
            {
                y[i] = rng.NextInt(classes);
                for (int j = 0; j < d; j++)
                    x[i * d + j] = mu[y[i], j] + 1.5 * rng.NextGaussian();
            }
            return new Dataset("task", "test task", [d], x, y, classes).Validate();
        }
        return (Make(n), Make(m));
    }

    private static ReplaySetup Setup(
        OptimizerSpec opt,
        int batch = 8,
        int epochs = 2,
        long seed = 3
    )
    {
        var (train, test) = Task(40, 6, 5, 3, 11);
        return new ReplaySetup(
            new ModelSpec(Hidden: [7]),
            train,
            test,
            opt,
            LossKind.CrossEntropy,
            batch,
            epochs,
            seed,
            CheckpointEvery: 3
        );
    }

    private static byte[] Bytes(Tensor t) =>
        t.contiguous().data<double>().ToArray().SelectMany(BitConverter.GetBytes).ToArray();

    public static TheoryData<string> Rules => new() { "sgd", "momentum", "adam" };

    private static OptimizerSpec Rule(string r) =>
        r switch
        {
            "sgd" => new(OptimizerKind.Sgd, 0.1),
            "momentum" => new(OptimizerKind.Momentum, 0.05, Momentum: 0.9),
            _ => new(OptimizerKind.Adam, 0.01),
        };

    [Theory]
    [MemberData(nameof(Rules))]
    public void ReplayWithNothingRemovedIsTheRecordedRunByteForByte(string rule)
    {
        var s = Setup(Rule(rule));
        using var run = ReplayableRun.Record(s);
        // the same run by the library's ordinary training loop (TrainingLoop + BatchSampler + Optimizer)
        using var scope = torch.NewDisposeScope();
        using var net = s.Model.Build(s.Train.Shape, s.Train.Outputs, s.Seed, s.DType, torch.CPU);
        using var opt = new Optimizer(s.Optimizer, net.Parameters.Count);
        var x = s.Train.Inputs(s.DType, torch.CPU);
        var y = s.Train.Targets(s.DType, torch.CPU);
        var l = s.Train.LabelTensor(torch.CPU);
        var loop = new TrainingLoop(
            new TrainableNetwork(net),
            opt,
            new BatchSampler(s.Train.Count, s.Batch, s.Seed),
            rows =>
            {
                var idx = HostArrays.Indices(rows);
                return new TrainingBatch(x.index_select(0, idx), f =>
                    Loss.Compute(s.Loss, f, y.index_select(0, idx), l.index_select(0, idx))
                );
            }
        );
        Assert.True(loop.Run(1, s.Steps).Succeeded);
        var reference = Bytes(ParameterVector.Flatten(net.Parameters).detach());
        Assert.Equal(reference, Bytes(run.FinalParameters));
        using var replay = run.ReplayParameters(new HashSet<int>(), fromStart: true);
        Assert.Equal(reference, Bytes(replay));
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void ReplayFromTheLastCheckpointEqualsReplayFromTheStart(string rule)
    {
        var s = Setup(Rule(rule));
        using var run = ReplayableRun.Record(s);
        // a row first touched late, so that the replay starts from a later checkpoint
        int row = Enumerable.Range(0, s.Train.Count).MaxBy(run.FirstTouch);
        Assert.True(run.FirstTouch(row) > s.CheckpointEvery);
        var removed = new HashSet<int> { row };
        using var a = run.ReplayParameters(removed);
        using var b = run.ReplayParameters(removed, fromStart: true);
        Assert.Equal(Bytes(b), Bytes(a));
        Assert.NotEqual(Bytes(run.FinalParameters), Bytes(a)); // removing the row changed the run
    }

    /// <summary>
    /// A linear model f(x) = wᵀx + c trained by full-batch GD on ½ squared loss: θ_T = Mᵀθ_0 + Σ_{s&lt;T} Mˢγb with
    /// M = I − γH, H = X̃ᵀX̃/n, b = X̃ᵀy/n (X̃ = [X, 1]), and without row j the same with X̃, y, n restricted. Every
    /// row j is removed in turn; the replay's change of every probe prediction equals the closed form's.
    /// Control: the closed form of the neighbouring row does not match.
    /// </summary>
    [Fact]
    public void RemovingARowFromALinearModelMatchesTheClosedForm()
    {
        int n = 12,
            m = 4,
            d = 3,
            T = 25;
        double gamma = 0.3;
        var rng = new Rng(7, stream: 9);
        Dataset Reg(int rows)
        {
            var x = Enumerable.Range(0, rows * d).Select(_ => rng.NextGaussian()).ToArray();
            var t = Enumerable.Range(0, rows).Select(_ => rng.NextGaussian()).ToArray();
            return new Dataset("reg", "test", [d], x, new int[rows], 1, t).Validate();
        }
        var train = Reg(n);
        var test = Reg(m);
        var s = new ReplaySetup(
            new ModelSpec(Hidden: []),
            train,
            test,
            new OptimizerSpec(OptimizerKind.Sgd, gamma),
            LossKind.Squared,
            n,
            T,
            1,
            CheckpointEvery: 5
        );
        using var run = ReplayableRun.Record(s);
        double[] w0;
        using (var net = s.Model.Build([d], 1, s.Seed, s.DType, torch.CPU))
            w0 = ParameterVector.Flatten(net.Parameters).detach().data<double>().ToArray(); // [W (1×d), c]
        double[] Closed(int skip)
        {
            int p = d + 1;
            var rows = Enumerable.Range(0, n).Where(i => i != skip).ToArray();
            double[] Xt(int i) => [.. train.X.Skip(i * d).Take(d), 1.0];
            var M = new double[p, p];
            var bvec = new double[p];
            for (int a = 0; a < p; a++)
                M[a, a] = 1;
            foreach (var i in rows)
            {
                var xi = Xt(i);
                for (int a = 0; a < p; a++)
                {
                    bvec[a] += gamma * train.TargetValues![i] * xi[a] / rows.Length;
                    for (int c = 0; c < p; c++)
                        M[a, c] -= gamma * xi[a] * xi[c] / rows.Length;
                }
            }
            double[] Mul(double[] v) =>
                Enumerable
                    .Range(0, p)
                    .Select(a => Enumerable.Range(0, p).Sum(c => M[a, c] * v[c]))
                    .ToArray();
            // θ_T = Mᵀθ_0 + Σ_{s<T} Mˢ γb (Horner: acc ← M·acc + γb, T times, from θ_0)
            var w = (double[])w0.Clone();
            var geo = new double[p];
            var pw = (double[])bvec.Clone();
            for (int q = 0; q < T; q++)
            {
                for (int a = 0; a < p; a++)
                    geo[a] += pw[a];
                pw = Mul(pw);
                w = Mul(w);
            }
            return Enumerable
                .Range(0, m)
                .Select(x =>
                    Enumerable.Range(0, d).Sum(a => (w[a] + geo[a]) * test.X[x * d + a])
                    + w[d]
                    + geo[d]
                )
                .ToArray();
        }
        var full = Closed(-1);
        for (int x = 0; x < m; x++)
            Assert.True(Math.Abs(full[x] - run.Final[x]) < 1e-10 * (1 + Math.Abs(full[x])));
        for (int j = 0; j < n; j++)
        {
            var replay = run.Replay(new HashSet<int> { j });
            var closed = Closed(j);
            var control = Closed((j + 1) % n);
            double scale = Enumerable.Range(0, m).Max(x => Math.Abs(full[x] - closed[x]));
            Assert.True(scale > 1e-6, $"row {j} changes nothing: the test would be vacuous");
            for (int x = 0; x < m; x++)
                Assert.True(
                    Math.Abs((run.Final[x] - replay[x]) - (full[x] - closed[x])) <= 1e-10 * scale,
                    $"row {j}, test {x}: replay change {run.Final[x] - replay[x]} vs closed form {full[x] - closed[x]}"
                );
            Assert.True(
                Enumerable
                    .Range(0, m)
                    .Max(x => Math.Abs((run.Final[x] - replay[x]) - (full[x] - control[x])))
                    > 1e-6 * scale,
                "the neighbouring row's closed form matched too: the test does not tell rows apart"
            );
        }
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void ExactAttributionClosesToRoundOff(string rule)
    {
        var s = Setup(Rule(rule));
        var cand = Enumerable.Range(0, 15).Select(i => i * 2).ToArray();
        using var run = ReplayableRun.Record(s, cand);
        var a = run.Attribution!;
        Assert.True(a.ClosureResidual <= 1e-10, $"closure residual {a.ClosureResidual}");
        Assert.True(a.MaxStepResidual <= 1e-10, $"step residual {a.MaxStepResidual}");
        // closure is not vacuous: the candidate columns carry a real share of f̃_T − f̃_0
        double share = Enumerable
            .Range(0, s.Test.Count)
            .Sum(x => Math.Abs(Enumerable.Range(0, cand.Length).Sum(i => a.Scores[x, i])));
        Assert.True(share > 1e-3, $"candidate share {share}");
    }

    /// <summary>Full-batch plain SGD with a small rate: A and LOO agree to first order, and the ladder's own sanity test tells a provider shifted by one row.</summary>
    [Fact]
    public void TheLadderCatchesAProviderShiftedByOneRow()
    {
        var s = Setup(new OptimizerSpec(OptimizerKind.Sgd, 0.05), batch: 40, epochs: 10);
        var cand = Enumerable.Range(0, 20).ToArray();
        using var run = ReplayableRun.Record(s, cand);
        var exact = ScoreProviders.Exact(run);
        var loo = ScoreProviders.LeaveOneOut(run, cand);
        Assert.Empty(Ladder.Sanity(exact, loo));
        Assert.Empty(Ladder.Sanity(loo, loo));
        Assert.NotEmpty(Ladder.Sanity(Ladder.Shift(exact, 1), loo));
        Assert.NotEmpty(Ladder.Sanity(Ladder.Shift(exact, -1), loo));
        var r = Ladder.PerTest(exact, loo, "pearson");
        Assert.All(r, v => Assert.True(v > 0.8, $"pearson {v}"));
        Assert.All(Ladder.PerTest(loo, loo, "spearman"), v => Assert.Equal(1.0, v, 12));
    }

    /// <summary>Pearson and Spearman against values computed by hand.</summary>
    [Fact]
    public void CorrelationsMatchHandComputations()
    {
        // a = 1..5, b = 2,1,4,3,5: Σ da·db = 8, Σda² = Σdb² = 10 → r = 0.8; ranks equal values → ρ = 0.8
        Assert.Equal(0.8, Ladder.Pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]), 14);
        Assert.Equal(0.8, Ladder.Spearman([10, 20, 30, 40, 50], [2, 1, 4, 3, 500]), 14);
        // ties: ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4]
        Assert.Equal([1, 2.5, 2.5, 4], Ladder.Ranks([1, 2, 2, 3]));
        Assert.True(double.IsNaN(Ladder.Pearson([1, 1, 1], [1, 2, 3])));
    }

    /// <summary>
    /// The library's LDS equals an independent ~20-line NumPy port run by Debian's python3 (numpy is installed
    /// when missing; the test fails, not skips, if it cannot be). Tables are exchanged as .npy.
    /// </summary>
    [Fact]
    public void LdsMatchesAnIndependentNumPyPort()
    {
        var rng = new Rng(21, stream: 3);
        int tests = 7,
            rows = 30,
            subsets = 25;
        var scores = new double[tests, rows];
        for (int x = 0; x < tests; x++)
        for (int i = 0; i < rows; i++)
            scores[x, i] = rng.NextGaussian();
        var kept = Enumerable
            .Range(0, subsets)
            .Select(_ => Enumerable.Range(0, rows).Select(_ => rng.NextDouble() < 0.5).ToArray())
            .ToList();
        var outputs = Enumerable
            .Range(0, subsets)
            .Select(j =>
                Enumerable
                    .Range(0, tests)
                    .Select(x =>
                        // a signal plus noise, with a tie at every 5th subset to exercise average ranks
                        j % 5
                        == 4
                            ? 0.25
                            : Enumerable
                                .Range(0, rows)
                                .Where(i => kept[j][i])
                                .Sum(i => scores[x, i]) + rng.NextGaussian()
                    )
                    .ToArray()
            )
            .ToList();
        var table = new ScoreTable(
            "t",
            "u",
            Enumerable.Range(0, rows).ToArray(),
            scores,
            double.NaN
        );
        var lds = Ladder.Lds(table, kept, outputs);
        var dir = Directory.CreateTempSubdirectory("lds-port-").FullName;
        try
        {
            Npy.Write(Path.Combine(dir, "scores.npy"), table.Flat(), [tests, rows]);
            Npy.Write(
                Path.Combine(dir, "kept.npy"),
                kept.SelectMany(k => k.Select(b => b ? 1.0 : 0.0)).ToArray(),
                [subsets, rows]
            );
            Npy.Write(
                Path.Combine(dir, "outputs.npy"),
                outputs.SelectMany(o => o).ToArray(),
                [subsets, tests]
            );
            File.WriteAllText(Path.Combine(dir, "lds.py"), LdsPort);
            const string python = "/usr/bin/python3";
            // NumPy is a prerequisite of the port, not an option (scripts/install-numpy.sh installs it)
            Prerequisites.EnsureInstalled(
                "NumPy",
                () => Prerequisites.Importable(python, "numpy"),
                "install-numpy.sh"
            );
            var psi = new ProcessStartInfo(python, [Path.Combine(dir, "lds.py"), dir])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(
                p.ExitCode == 0,
                $"the NumPy LDS port failed (is python3-numpy installed?): {stderr}"
            );
            var port = stdout
                .Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => double.Parse(v, CultureInfo.InvariantCulture))
                .ToArray();
            Assert.Equal(tests, port.Length);
            for (int x = 0; x < tests; x++)
                Assert.True(
                    Math.Abs(port[x] - lds[x]) <= 1e-12,
                    $"test {x}: numpy {port[x]:R} vs library {lds[x]:R}"
                );
            Assert.True(
                lds.Max() - lds.Min() > 1e-3,
                "LDS is the same for every test row: the comparison is weak"
            );
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>The LDS definition in NumPy, written from the definition (not from the library's code).</summary>
    private const string LdsPort = """
        import sys, numpy as np
        d = sys.argv[1]
        tau = np.load(d + "/scores.npy")           # [tests, rows]
        keep = np.load(d + "/kept.npy") > 0.5      # [subsets, rows]
        out = np.load(d + "/outputs.npy")          # [subsets, tests]
        def rank(v):                               # average ranks, 1-based
            order = np.argsort(v, kind="mergesort")
            r = np.empty(len(v)); sv = v[order]; i = 0
            while i < len(v):
                j = i
                while j + 1 < len(v) and sv[j + 1] == sv[i]: j += 1
                r[order[i:j + 1]] = (i + j) / 2.0 + 1; i = j + 1
            return r
        def spearman(a, b):
            ra, rb = rank(a) - rank(a).mean(), rank(b) - rank(b).mean()
            return (ra * rb).sum() / np.sqrt((ra * ra).sum() * (rb * rb).sum())
        pred = keep.astype(float) @ tau.T           # [subsets, tests]: Σ_{i∈S_j} τ(x, i)
        for x in range(tau.shape[0]):
            print(repr(float(spearman(pred[:, x], out[:, x]))))
        """;
}
