using System.Diagnostics;
using Telescope.Experiments.Benchmarks;
using Telescope.Tensors;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// <c>bench peer</c> (issue 15 item 3): the agreement check, the script's argument parsing, and the whole
/// run at a tiny size — against the real PyTorch peer when Debian's python3-torch is installed, and always
/// against a stand-in peer (plain Python, no torch) that returns our numbers, exactly or perturbed.
/// No timing is asserted.
/// </summary>
public class PeerBenchTests
{
    private const string Python = "/usr/bin/python3";

    private static readonly PeerBenchOptions Tiny = new()
    {
        Points = 6,
        NtkPoints = 4,
        GradPoints = 5,
        Threads = [1, 2],
        Budget = 0.01,
        MinRepeats = 1,
        MaxRepeats = 2,
        NtkChunk = 3,
        Rounds = 2,
        Python = Python,
        Operations = [.. PeerBench.KernelOperations], // the main job is whole study runs
    };

    [Fact]
    public void EachTimingIsTheMedianOfItsRoundsWithTheRepeatsAddedUp()
    {
        PeerTiming T(string side, int threads, double ms) => new("jvp", side, "m", threads, ms, 5);
        var rounds = new[]
        {
            T("ours", 1, 10),
            T("peer", 1, 30),
            T("ours", 1, 50), // a slow spell in round 2
            T("peer", 1, 20),
            T("ours", 1, 12),
            T("peer", 1, 22),
            T("ours", 2, 7),
        };
        var m = PeerBench.MedianOverRounds(rounds);
        Assert.Equal(3, m.Count);
        Assert.Equal(12, m.Single(t => t.Side == "ours" && t.Threads == 1).MedianMs);
        Assert.Equal(22, m.Single(t => t.Side == "peer").MedianMs);
        Assert.Equal(15, m.Single(t => t.Side == "peer").Repeats);
        Assert.Equal(7, m.Single(t => t.Threads == 2).MedianMs);
    }

    private static string Temp()
    {
        var d = Path.Combine(Path.GetTempPath(), "telescope-peer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }

    private static string RepoScript() => Prerequisites.RepoPath("scripts", "bench-peer.py");

    private static bool TorchInstalled() => PeerBench.PeerAvailable(Python, RepoScript(), out _);

    /// <summary>The peer is a prerequisite of this cross-check, not an option (scripts/install-peer.sh installs it).</summary>
    private static void EnsurePeer() =>
        Prerequisites.EnsureInstalled("the PyTorch peer", TorchInstalled, "install-peer.sh");

    [Fact]
    public void AgreementAcceptsRoundOffAndRejectsPerturbationNaNAndShape()
    {
        var peer = Enumerable.Range(0, 50).Select(i => Math.Sin(i) * 3).ToArray();
        var roundOff = peer.Select(v => v * (1 + 1e-7)).ToArray();
        Assert.True(PeerBench.Agree("ntk", "a", "b", roundOff, peer, 1e-4).Passed);
        var one = (double[])peer.Clone();
        one[17] += 1e-3 * 3; // 1e-3 of the scale at one entry
        var bad = PeerBench.Agree("ntk", "a", "b", one, peer, 1e-4);
        Assert.False(bad.Passed);
        Assert.InRange(bad.MaxRelDiff, 0.9e-3, 1.1e-3);
        var nan = (double[])peer.Clone();
        nan[3] = double.NaN;
        Assert.False(PeerBench.Agree("ntk", "a", "b", nan, peer, 1e-4).Passed);
        Assert.False(PeerBench.Agree("ntk", "a", "b", peer[..49], peer, 1e-4).Passed);
    }

    [Fact]
    public void ScriptRejectsBadArgumentsBeforeImportingTorch()
    {
        foreach (
            var (args, needle) in new[]
            {
                (new[] { "--data", "d", "--out", "o", "--threads", "0" }, "--threads"),
                (new[] { "--data", "d", "--out", "o", "--threads", "1,x" }, "--threads"),
                (new[] { "--data", "d", "--out", "o", "--ops", "jvp,hessian" }, "--ops"),
                (new[] { "--data", "d", "--out", "o", "--budget", "0" }, "--budget"),
                (new[] { "--out", "o" }, "--data"),
            }
        )
        {
            var (code, err) = RunPython([RepoScript(), .. args]);
            Assert.Equal(2, code);
            Assert.Contains(needle, err);
        }
    }

    [Fact]
    public void EmbeddedScriptIsTheRepositoryScript() =>
        Assert.Equal(File.ReadAllText(RepoScript()), PeerBench.EmbeddedScript());

    [Fact]
    public void StandInPeerWithOurNumbersPassesAndAPerturbedOneFailsLoudly()
    {
        var dir = Temp();
        var exact = Path.Combine(dir, "exact.py");
        File.WriteAllText(exact, StandIn(perturb: null));
        var r = PeerBench.Run(Tiny with { Script = exact }, Path.Combine(dir, "ok"));
        Assert.All(r.Agreements, a => Assert.True(a.Passed));
        Assert.Equal(4, r.Agreements.Select(a => a.Operation).Distinct().Count());
        var csv = File.ReadAllLines(Path.Combine(dir, "ok", "bench.csv"));
        Assert.Equal("bench,operation,side,method,threads,quantity,value", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("peer,ntk,ours/peer,structured/standin,"));
        Assert.Contains(csv, l => l.StartsWith("peer,jvp,ours,tangent_pass,2,median_ms,"));

        var perturbed = Path.Combine(dir, "perturbed.py");
        File.WriteAllText(perturbed, StandIn(perturb: "ntk"));
        var e = Assert.Throws<PeerMismatchException>(() =>
            PeerBench.Run(Tiny with { Script = perturbed }, Path.Combine(dir, "bad"))
        );
        Assert.Contains("ntk structured vs standin", e.Message);
        Assert.DoesNotContain("jvp", e.Message);
        // the table is still written, with the failing comparison in it
        Assert.Contains(File.ReadAllLines(Path.Combine(dir, "bad", "bench.csv")), l =>
            l.StartsWith("peer,ntk,check,structured/standin,,max_rel_diff,")
        );
    }

    [Fact]
    public void AMissingPeerIsRefusedWithTheCommandThatInstallsIt()
    {
        var e = Assert.Throws<PeerUnavailableException>(() =>
            PeerBench.Run(Tiny with { Python = "/nonexistent/python3" }, Temp())
        );
        Assert.Contains("install-peer.sh", e.Message);
    }

    [Fact]
    public void RealPeerAgreesAtATinySize()
    {
        var dir = Temp();
        EnsurePeer();
        {
            var r = PeerBench.Run(Tiny, dir);
            string[] peerMethods =
            [
                "plain",
                "func_jvp",
                "forward_ad",
                "autograd_functional_jvp",
                "jacobian_contraction",
                "ntk_vps",
                "vmap_grad",
            ];
            foreach (var m in peerMethods)
            foreach (var t in new[] { 1, 2 })
                Assert.Contains(r.Timings, x =>
                    x.Side == "peer" && x.Method == m && x.Threads == t
                );
            // one timing per (side, method, threads) after two rounds, each of 2 rounds' repeats
            Assert.Equal(
                r.Timings.Count,
                r.Timings.Select(x => (x.Operation, x.Side, x.Method, x.Threads)).Distinct().Count()
            );
            Assert.All(r.Timings, x => Assert.True(x.Repeats >= 2, $"{x}"));
            Assert.All(r.Agreements, a => Assert.True(a.Passed, $"{a}"));
            // every result of ours against every result of the peer's: 1·1 + 2·3 + 3·2 + 2·1
            Assert.Equal(15, r.Agreements.Count);
            var versions = r.Versions["peer"]!;
            Assert.False(string.IsNullOrEmpty((string?)versions["torch"]));
            Assert.Contains("BLAS", (string)versions["torch_config"]!);
            var npy = Npy.Read(
                Path.Combine(dir, "exchange", "peer", "ntk_jacobian_contraction.npy")
            );
            Assert.Equal(new long[] { 4, 4 }, npy.Shape);
        }
    }

    private static (int code, string stderr) RunPython(string[] args)
    {
        var psi = new ProcessStartInfo(Python)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    /// <summary>
    /// A peer in plain Python (no torch, no numpy): answers --probe, copies our float64 results as its
    /// own method "standin", times nothing (1 ms), and optionally multiplies one value of one operation by 1.01.
    /// </summary>
    private static string StandIn(string? perturb) =>
        $$$"""
            import json, os, shutil, struct, sys
            if sys.argv[1:] == ["--probe"]:
                sys.exit(0)
            args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
            ours = os.path.join(os.path.dirname(args["--data"]), "ours")
            out = args["--out"]
            os.makedirs(out, exist_ok=True)
            ops = args["--ops"].split(",")
            threads = [int(t) for t in args["--threads"].split(",")]
            perturb = {{{(perturb is null ? "None" : $"\"{perturb}\"")}}}
            rows = []
            for op in ops:
                src = next(f for f in sorted(os.listdir(ours)) if f.startswith(op + "_"))
                dst = os.path.join(out, op + "_standin.npy")
                shutil.copy(os.path.join(ours, src), dst)
                if op == perturb:
                    with open(dst, "r+b") as fh:
                        b = fh.read(10)
                        off = 10 + b[8] + 256 * b[9]
                        fh.seek(off)
                        (v,) = struct.unpack("<d", fh.read(8))
                        fh.seek(off)
                        fh.write(struct.pack("<d", v * 1.01))
                for t in threads:
                    rows.append({"operation": op, "method": "standin", "threads": t, "median_ms": 1.0, "repeats": 1})
            with open(os.path.join(out, "timings.json"), "w") as fh:
                json.dump({"rows": rows, "versions": {"torch": "stand-in"}}, fh)
            """;
}
