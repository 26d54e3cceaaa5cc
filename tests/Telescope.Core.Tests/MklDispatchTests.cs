using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Telescope.Native;

namespace Telescope.Tests;

/// <summary>
/// The GOT slot that lets libtorch's MKL take its AVX-512 path on a non-Intel CPU: found where binutils says it
/// is, pointing at a stub that answers 1 where the real probe answers 0, and products that stay right.
/// </summary>
public sealed class MklDispatchTests
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int Answer();

    private static string TorchCpu()
    {
        TorchRuntime.EnsureLoaded();
        return NativeLibraries.Loaded.First(f => Path.GetFileName(f) == "libtorch_cpu.so");
    }

    /// <summary>r_offset of the JUMP_SLOT relocation for <paramref name="symbol"/>, as <c>readelf -r</c> prints it.</summary>
    private static ulong ReadelfSlot(string file, string symbol)
    {
        var psi = new ProcessStartInfo("readelf", ["-r", "-W", file])
        {
            RedirectStandardOutput = true,
        };
        using var p = Process.Start(psi)!;
        ulong? found = null;
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length >= 5 && cols[2] == "R_X86_64_JUMP_SLOT" && cols[4] == symbol)
                found = ulong.Parse(cols[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        p.WaitForExit();
        return found
            ?? throw new InvalidOperationException($"readelf shows no JUMP_SLOT for {symbol}");
    }

    /// <summary>The load address of <paramref name="file"/>: start of its mapping at file offset 0 in /proc/self/maps.</summary>
    private static ulong LoadBase(string file)
    {
        var real = Path.GetFullPath(file);
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length >= 6 && cols[5] == real && Convert.ToUInt64(cols[2], 16) == 0)
                return Convert.ToUInt64(cols[0].Split('-')[0], 16);
        }
        throw new InvalidOperationException($"{real} is not mapped");
    }

    [Fact]
    public void TheProbeSlotIsWhereReadelfPutsIt()
    {
        var file = TorchCpu();
        var handle = NativeLibrary.Load(file);
        var slot = MklDispatch.GotSlot(handle, MklDispatch.Probe);
        Assert.Equal(LoadBase(file) + ReadelfSlot(file, MklDispatch.Probe), (ulong)slot);
        Assert.Equal(IntPtr.Zero, MklDispatch.GotSlot(handle, "no_such_symbol_in_libtorch"));
    }

    [Fact]
    public void WhereAllowedTheProbeAnswersIntelAndTheRealOneDoesNot()
    {
        var handle = NativeLibrary.Load(TorchCpu());
        var slot = MklDispatch.GotSlot(handle, MklDispatch.Probe);
        int viaSlot = Marshal.GetDelegateForFunctionPointer<Answer>(Marshal.ReadIntPtr(slot))();
        int real = Marshal.GetDelegateForFunctionPointer<Answer>(
            NativeLibrary.GetExport(handle, MklDispatch.Probe)
        )();
        Assert.Equal(MklDispatch.State, TorchRuntime.Versions()["mkl_path"]);
        if (MklDispatch.Reason() is null)
        {
            Assert.True(MklDispatch.Forced, MklDispatch.State);
            Assert.StartsWith("avx512 (forced on ", MklDispatch.State);
            Assert.Equal(1, viaSlot);
            Assert.Equal(0, real); // the control: left alone, MKL would take its AVX2 path here
        }
        else
        {
            Assert.False(MklDispatch.Forced);
            Assert.StartsWith("mkl default (", MklDispatch.State);
        }
    }

    /// <summary>
    /// Every branch of the guard through its seam: forced exactly on a non-Intel x86-64 Linux CPU with all four
    /// AVX-512 subsets and no opt-out; each missing premise names itself. An inverted vendor test, a dropped subset
    /// or an ignored opt-out each flips one row.
    /// </summary>
    [Theory]
    [InlineData(true, null, "AuthenticAMD", true, true, true, true, null)]
    [InlineData(true, "1", "AuthenticAMD", true, true, true, true, null)]
    [InlineData(true, null, "HygonGenuine", true, true, true, true, null)]
    [InlineData(true, null, "GenuineIntel", true, true, true, true, "Intel CPU")]
    [InlineData(true, null, "GenuineIntel", false, false, false, false, "Intel CPU")]
    [InlineData(true, null, "AuthenticAMD", false, false, false, false, "no AVX-512")]
    [InlineData(true, null, "AuthenticAMD", true, true, true, false, "no AVX-512")]
    [InlineData(true, null, "AuthenticAMD", true, false, true, true, "no AVX-512")]
    [InlineData(true, null, "AuthenticAMD", true, true, false, true, "no AVX-512")]
    [InlineData(true, null, "AuthenticAMD", false, true, true, true, "no AVX-512")]
    [InlineData(true, "0", "AuthenticAMD", true, true, true, true, "TELESCOPE_MKL_AVX512=0")]
    [InlineData(false, null, "AuthenticAMD", true, true, true, true, "not x86-64 Linux")]
    [InlineData(false, null, "", false, false, false, false, "not x86-64 Linux")]
    public void TheGuardForcesOnlyOnANonIntelCpuWithAvx512(
        bool linuxX64,
        string? setting,
        string vendor,
        bool f,
        bool bw,
        bool dq,
        bool vl,
        string? reasonStart
    )
    {
        var why = MklDispatch.Reason(
            new MklDispatch.CpuFacts(linuxX64, setting, vendor, f, bw, dq, vl)
        );
        if (reasonStart is null)
            Assert.Null(why);
        else
        {
            Assert.NotNull(why);
            Assert.StartsWith(reasonStart, why);
        }
    }

    /// <summary>
    /// This machine's facts read independently of .NET's intrinsics: vendor_id and the avx512f/bw/dq/vl flags of
    /// /proc/cpuinfo, and the guard's verdict here follows from them by the rule stated in the test.
    /// </summary>
    [Fact]
    public void ThisMachinesFactsAgreeWithProcCpuinfo()
    {
        var lines = File.ReadAllLines("/proc/cpuinfo");
        string Field(string key) =>
            lines.First(l => l.StartsWith(key, StringComparison.Ordinal)).Split(':', 2)[1].Trim();
        var vendor = Field("vendor_id");
        var flags = Field("flags").Split(' ').ToHashSet();
        var facts = MklDispatch.CpuFacts.Current();
        Assert.Equal(vendor, facts.Vendor);
        Assert.Equal(flags.Contains("avx512f"), facts.Avx512F);
        Assert.Equal(flags.Contains("avx512bw"), facts.Avx512BW);
        Assert.Equal(flags.Contains("avx512dq"), facts.Avx512DQ);
        Assert.Equal(flags.Contains("avx512vl"), facts.Avx512VL);
        var shouldForce =
            vendor != "GenuineIntel"
            && new[] { "avx512f", "avx512bw", "avx512dq", "avx512vl" }.All(flags.Contains)
            && Environment.GetEnvironmentVariable(MklDispatch.Variable) != "0";
        Assert.Equal(shouldForce, MklDispatch.Reason() is null);
    }

    [Fact]
    public void ZeroInTheEnvironmentKeepsMklsOwnChoice()
    {
        var before = Environment.GetEnvironmentVariable(MklDispatch.Variable);
        try
        {
            Environment.SetEnvironmentVariable(MklDispatch.Variable, "0");
            Assert.Equal($"{MklDispatch.Variable}=0", MklDispatch.Reason());
        }
        finally
        {
            Environment.SetEnvironmentVariable(MklDispatch.Variable, before);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Float32ProductsMatchAPlainDoubleLoop(int threads)
    {
        TorchRuntime.EnsureLoaded();
        int before = torch.get_num_threads();
        torch.set_num_threads(threads);
        try
        {
            const int m = 67,
                k = 301,
                n = 45;
            var rng = new Random(5);
            var a = Enumerable
                .Range(0, m * k)
                .Select(_ => (float)(rng.NextDouble() - 0.5))
                .ToArray();
            var b = Enumerable
                .Range(0, k * n)
                .Select(_ => (float)(rng.NextDouble() - 0.5))
                .ToArray();
            using var ta = Telescope.Tensors.HostArrays.ToTensor(a, [m, k]);
            using var tb = Telescope.Tensors.HostArrays.ToTensor(b, [k, n]);
            using var c = ta.matmul(tb);
            var got = c.data<float>().ToArray();
            double worst = 0;
            for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0,
                    abs = 0;
                for (int p = 0; p < k; p++)
                {
                    s += (double)a[i * k + p] * b[p * n + j];
                    abs += Math.Abs((double)a[i * k + p] * b[p * n + j]);
                }
                worst = Math.Max(worst, Math.Abs(got[i * n + j] - s) / abs);
            }
            // float32 accumulation over k = 301 terms: a few ulps of the sum of |terms|
            Assert.InRange(worst, 0, 1e-6);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }
}
