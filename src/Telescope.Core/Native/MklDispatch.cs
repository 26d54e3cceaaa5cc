using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace Telescope.Native;

/// <summary>
/// Lets the MKL inside libtorch use its AVX-512 kernels on a non-Intel CPU that has AVX-512. MKL picks its code
/// path by asking <c>mkl_serv_intel_cpu_true()</c>; on an AMD CPU it answers 0 and MKL falls back to its AVX2
/// kernels whatever the CPU supports. On the AMD EPYC (Zen 5, AVX-512 F/BW/DQ/VL) of this project's machines
/// that capped libtorch's float32 GEMM at about 80–94 GFLOP/s on one thread (1000×784 by 784×256), against about
/// 170–190 with the AVX-512 path and 186 for OpenBLAS's SkylakeX kernels (scripts/gemm-probe.csx). libtorch_cpu calls that function through its PLT, so after
/// loading libtorch_cpu we point the function's GOT slot at a six-byte stub that returns 1 (the same effect as
/// the well-known <c>LD_PRELOAD</c> shim, without a native build step). Nothing is done on an Intel CPU, on a
/// CPU without AVX-512 F/BW/DQ/VL, off x86-64 Linux, or when <see cref="Variable"/> is <c>0</c>.
/// The kernels compute the same products to rounding: results differ from the AVX2 path in the last bits and
/// repeat exactly run to run on one machine.
/// </summary>
public static class MklDispatch
{
    /// <summary>Environment variable: <c>0</c> keeps MKL's own choice of code path.</summary>
    public const string Variable = "TELESCOPE_MKL_AVX512";

    /// <summary>The MKL service function that answers "is this an Intel CPU".</summary>
    public const string Probe = "mkl_serv_intel_cpu_true";

    /// <summary>What was done, for run.json: one of <c>avx512 (forced on &lt;vendor&gt;)</c>, <c>mkl default (…why)</c>.</summary>
    public static string State { get; private set; } = "mkl default (not loaded by Telescope)";

    /// <summary>True when the probe's GOT slot now points at the stub.</summary>
    public static bool Forced { get; private set; }

    /// <summary>The CPU vendor string from CPUID leaf 0 (<c>GenuineIntel</c>, <c>AuthenticAMD</c>, …), or empty off x86.</summary>
    public static string Vendor()
    {
        if (!X86Base.IsSupported)
            return "";
        var (_, b, c, d) = X86Base.CpuId(0, 0);
        var bytes = new byte[12];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), b);
        BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), d);
        BitConverter.TryWriteBytes(bytes.AsSpan(8, 4), c);
        return Encoding.ASCII.GetString(bytes);
    }

    /// <summary>
    /// What the guard reads of the machine: platform, the <see cref="Variable"/> setting, the CPUID vendor and the
    /// four AVX-512 subsets MKL's AVX-512 kernels use. A seam, so every branch of <see cref="Reason(CpuFacts)"/>
    /// can be tested on any machine (Intel, AMD with and without AVX-512, other vendors).
    /// </summary>
    internal readonly record struct CpuFacts(
        bool LinuxX64,
        string? Setting,
        string Vendor,
        bool Avx512F,
        bool Avx512BW,
        bool Avx512DQ,
        bool Avx512VL
    )
    {
        /// <summary>This process's machine.</summary>
        public static CpuFacts Current() =>
            new(
                OperatingSystem.IsLinux()
                    && RuntimeInformation.ProcessArchitecture == Architecture.X64,
                Environment.GetEnvironmentVariable(Variable),
                MklDispatch.Vendor(),
                System.Runtime.Intrinsics.X86.Avx512F.IsSupported,
                System.Runtime.Intrinsics.X86.Avx512BW.IsSupported,
                System.Runtime.Intrinsics.X86.Avx512DQ.IsSupported,
                System.Runtime.Intrinsics.X86.Avx512F.VL.IsSupported
            );
    }

    /// <summary>Why the AVX-512 path is not forced on this machine, or null when it should be.</summary>
    public static string? Reason() => Reason(CpuFacts.Current());

    /// <summary>
    /// The guard: force only on x86-64 Linux, unless <see cref="Variable"/> is <c>0</c>, on a CPU that is not
    /// Intel (MKL already picks its best path there) and has AVX-512 F, BW, DQ and VL. Null means "force".
    /// </summary>
    internal static string? Reason(CpuFacts cpu)
    {
        if (!cpu.LinuxX64)
            return "not x86-64 Linux";
        if (cpu.Setting == "0")
            return $"{Variable}=0";
        if (cpu.Vendor == "GenuineIntel")
            return "Intel CPU: MKL chooses itself";
        if (!(cpu.Avx512F && cpu.Avx512BW && cpu.Avx512DQ && cpu.Avx512VL))
            return "no AVX-512 F/BW/DQ/VL";
        return null;
    }

    /// <summary>
    /// After <c>dlopen</c> of libtorch_cpu (<paramref name="handle"/>), before its first MKL call: point the
    /// probe's GOT slot at a stub returning 1 where <see cref="Reason()"/> allows. Never throws: a library laid out
    /// otherwise (no such PLT slot) is left as it is and <see cref="State"/> says so.
    /// </summary>
    internal static unsafe void Apply(IntPtr handle)
    {
        if (Reason() is { } why)
        {
            State = $"mkl default ({why})";
            return;
        }
        try
        {
            var slot = FindSlot(handle, Probe);
            if (slot == null)
            {
                State = $"mkl default (no PLT slot for {Probe})";
                return;
            }
            long page = Environment.SystemPageSize;
            var stub = Mmap(
                IntPtr.Zero,
                (nuint)page,
                ProtRead | ProtWrite,
                MapPrivate | MapAnonymous,
                -1,
                0
            );
            if (stub == new IntPtr(-1))
            {
                State = "mkl default (mmap failed)";
                return;
            }
            // mov eax, 1; ret
            ReadOnlySpan<byte> code = [0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3];
            code.CopyTo(new Span<byte>((void*)stub, code.Length));
            if (Mprotect(stub, (nuint)page, ProtRead | ProtExec) != 0)
            {
                State = "mkl default (mprotect of the stub failed)";
                return;
            }
            var slotPage = new IntPtr((long)slot & ~(page - 1));
            if (Mprotect(slotPage, (nuint)page, ProtRead | ProtWrite) != 0)
            {
                State = "mkl default (GOT slot not writable)";
                return;
            }
            *slot = stub;
            Forced = true;
            State = $"avx512 (forced on {Vendor()})";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            State = $"mkl default ({e.GetType().Name})";
        }
    }

    /// <summary>
    /// The address of the <c>R_X86_64_JUMP_SLOT</c> entry for <paramref name="symbol"/> in the loaded object, read
    /// from its dynamic section in memory (<c>DT_JMPREL</c>, <c>DT_PLTRELSZ</c>, <c>DT_SYMTAB</c>, <c>DT_STRTAB</c>);
    /// <see cref="IntPtr.Zero"/> when there is none. <paramref name="handle"/> is a <c>dlopen</c> handle.
    /// </summary>
    public static unsafe IntPtr GotSlot(IntPtr handle, string symbol) =>
        (IntPtr)FindSlot(handle, symbol);

    private static unsafe IntPtr* FindSlot(IntPtr handle, string symbol)
    {
        LinkMap* map;
        if (Dlinfo(handle, RtldDiLinkmap, &map) != 0 || map == null)
            return null;
        ulong bias = map->Addr;
        ulong jmprel = 0,
            pltrelsz = 0,
            symtab = 0,
            strtab = 0;
        for (var d = map->Dynamic; d->Tag != 0; d++)
            switch (d->Tag)
            {
                case 23:
                    jmprel = d->Value;
                    break;
                case 2:
                    pltrelsz = d->Value;
                    break;
                case 6:
                    symtab = d->Value;
                    break;
                case 5:
                    strtab = d->Value;
                    break;
            }
        if (jmprel == 0 || symtab == 0 || strtab == 0)
            return null;
        // glibc relocates these entries in place; an unrelocated one is an offset from the load bias
        ulong Abs(ulong v) => v < bias ? v + bias : v;
        jmprel = Abs(jmprel);
        symtab = Abs(symtab);
        strtab = Abs(strtab);
        var name = Encoding.ASCII.GetBytes(symbol + "\0");
        var rela = (Rela*)jmprel;
        for (ulong i = 0; i < pltrelsz / (ulong)sizeof(Rela); i++)
        {
            if ((rela[i].Info & 0xffffffff) != 7) // R_X86_64_JUMP_SLOT
                continue;
            var sym = (Sym*)(symtab + (rela[i].Info >> 32) * (ulong)sizeof(Sym));
            var s = (byte*)(strtab + sym->Name);
            if (new ReadOnlySpan<byte>(s, name.Length).SequenceEqual(name))
                return (IntPtr*)(bias + rela[i].Offset);
        }
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct LinkMap
    {
        public ulong Addr;
        public IntPtr Name;
        public unsafe Dyn* Dynamic;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Dyn
    {
        public long Tag;
        public ulong Value;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rela
    {
        public ulong Offset;
        public ulong Info;
        public long Addend;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Sym
    {
        public uint Name;
        public byte Info;
        public byte Other;
        public ushort Section;
        public ulong Value;
        public ulong Size;
    }

    private const int RtldDiLinkmap = 2;
    private const int ProtRead = 1,
        ProtWrite = 2,
        ProtExec = 4;
    private const int MapPrivate = 2,
        MapAnonymous = 0x20;

    [DllImport("libc", EntryPoint = "dlinfo")]
    private static extern unsafe int Dlinfo(IntPtr handle, int request, void* info);

    [DllImport("libc", EntryPoint = "mmap")]
    private static extern IntPtr Mmap(
        IntPtr addr,
        nuint length,
        int prot,
        int flags,
        int fd,
        long offset
    );

    [DllImport("libc", EntryPoint = "mprotect")]
    private static extern int Mprotect(IntPtr addr, nuint length, int prot);
}
