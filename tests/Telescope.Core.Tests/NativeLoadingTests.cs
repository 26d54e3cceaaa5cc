using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Telescope.Native;

namespace Telescope.Tests;

/// <summary>
/// The ELF edit that lets TorchSharp's library load on Debian 12, checked against binutils' own reading
/// of the file (<c>readelf -V</c>), and the loader's choice of folders and cached copy.
/// </summary>
public sealed class NativeLoadingTests
{
    /// <summary>The package's own (unpatched) libLibTorchSharp.so.</summary>
    private static string Original() =>
        NativeLibraries
            .CandidateDirs()
            .Select(d => Path.Combine(d, "libLibTorchSharp.so"))
            .First(File.Exists);

    /// <summary>(library, version, weak) per Vernaux entry, as readelf prints them.</summary>
    private static List<(string lib, string version, bool weak)> Readelf(string file)
    {
        var psi = new ProcessStartInfo("readelf", ["-V", "-W", file])
        {
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        var needs = text[text.IndexOf("Version needs section", StringComparison.Ordinal)..];
        var rows = new List<(string, string, bool)>();
        string lib = "";
        foreach (var line in needs.Split('\n'))
        {
            var f = Regex.Match(line, @"File: (\S+)");
            if (f.Success)
                lib = f.Groups[1].Value;
            var n = Regex.Match(line, @"Name: (\S+)\s+Flags: (\S+)");
            if (n.Success)
                rows.Add((lib, n.Groups[1].Value, n.Groups[2].Value.Contains("WEAK")));
        }
        return rows;
    }

    [Fact]
    public void ReadsTheSameVersionNeedsAsReadelf()
    {
        var file = Original();
        var ours = ElfVersionNeeds
            .Read(File.ReadAllBytes(file))
            .Select(r => (r.Library, r.Version, r.Weak));
        var theirs = Readelf(file);
        Assert.True(theirs.Count > 5, $"readelf found only {theirs.Count} entries");
        Assert.Equal(theirs.Order(), ours.Order());
        Assert.Contains(("libstdc++.so.6", NativeLibraries.Glibcxx, false), theirs);
    }

    [Fact]
    public void MarkWeakChangesExactlyThatEntryAndIsIdempotent()
    {
        var file = Original();
        var before = File.ReadAllBytes(file);
        var b = (byte[])before.Clone();
        Assert.Equal(1, ElfVersionNeeds.MarkWeak(b, NativeLibraries.Glibcxx));
        Assert.Equal(0, ElfVersionNeeds.MarkWeak(b, NativeLibraries.Glibcxx));
        Assert.Equal(1, before.Zip(b).Count(p => p.First != p.Second)); // one flags byte
        var tmp = Path.Combine(Path.GetTempPath(), $"weak-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(tmp, b);
        try
        {
            var after = Readelf(tmp);
            var was = Readelf(file);
            Assert.Equal(was.Count, after.Count);
            foreach (var (x, y) in was.Zip(after))
                Assert.Equal(x.version == NativeLibraries.Glibcxx || x.weak, y.weak);
        }
        finally
        {
            File.Delete(tmp);
        }
    }

    [Fact]
    public void TheLoadedLibraryIsACachedPatchedCopyNotThePackagesFile()
    {
        Native.TorchRuntime.EnsureLoaded();
        var sharp = NativeLibraries.Loaded.Last();
        Assert.EndsWith("libLibTorchSharp.so", sharp);
        Assert.StartsWith(NativeLibraries.CacheRoot(), sharp);
        Assert.False(
            ElfVersionNeeds.NeedsStrictly(File.ReadAllBytes(sharp), NativeLibraries.Glibcxx)
        );
        Assert.True(
            ElfVersionNeeds.NeedsStrictly(File.ReadAllBytes(Original()), NativeLibraries.Glibcxx)
        );
        Assert.Equal(
            ["libc10.so", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so"],
            NativeLibraries.Loaded.Select(Path.GetFileName)
        );
    }

    [Fact]
    public void OpenMpThreadsWaitPassivelyUnlessTheEnvironmentSaysOtherwise()
    {
        Native.TorchRuntime.EnsureLoaded();
        var set = Environment.GetEnvironmentVariable("OMP_WAIT_POLICY");
        Assert.Equal(
            set ?? NativeLibraries.OmpWaitPolicy,
            NativeLibraries.NativeEnvironment("OMP_WAIT_POLICY")
        );
        Assert.Equal(
            NativeLibraries.NativeEnvironment("OMP_WAIT_POLICY"),
            Native.TorchRuntime.Versions()["OMP_WAIT_POLICY"]
        );
    }

    [Fact]
    public void LargeAllocationsUseHugePagesUnlessTheEnvironmentSaysOtherwise()
    {
        Native.TorchRuntime.EnsureLoaded();
        var set = Environment.GetEnvironmentVariable(NativeLibraries.HugePagesVariable);
        Assert.Equal(
            set ?? "1",
            NativeLibraries.NativeEnvironment(NativeLibraries.HugePagesVariable)
        );
        Assert.Equal(
            NativeLibraries.NativeEnvironment(NativeLibraries.HugePagesVariable),
            Native.TorchRuntime.Versions()[NativeLibraries.HugePagesVariable]
        );
        // c10 read it: a tensor of 2 MiB or more starts on a page boundary (glibc's memalign(64) of an mmapped chunk gives base + 64 without it)
        if (NativeLibraries.NativeEnvironment(NativeLibraries.HugePagesVariable) == "1")
        {
            var aligned = Enumerable
                .Range(0, 4)
                .Select(_ =>
                {
                    using var t = TorchSharp.torch.empty(1L << 20 | 7);
                    return TensorData(t.Handle) % Environment.SystemPageSize;
                })
                .ToArray();
            Assert.All(aligned, r => Assert.Equal(0L, r));
        }
    }

    [DllImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static extern long TensorData(IntPtr tensor);

    [Fact]
    public void NotAnElfFileIsRefused() =>
        Assert.Throws<FormatException>(() =>
            ElfVersionNeeds.Read(
                "not an ELF file at all, 64 bytes or more of text here......."u8.ToArray()
            )
        );
}
