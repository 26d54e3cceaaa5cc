using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Telescope.Native;

/// <summary>
/// Finds and loads libtorch and TorchSharp's <c>libLibTorchSharp.so</c> ourselves, before TorchSharp's own
/// loader runs, so the same code works in every host: a built app (deps.json), <c>dotnet test</c>,
/// <c>dotnet fsi</c> with <c>#r</c> of built DLLs or <c>#r "nuget:"</c>, a notebook kernel, an installed tool.
/// <para>
/// Order: libc10 → libtorch_cpu → libtorch → libLibTorchSharp, each by full path with
/// <see cref="NativeLibrary.Load(string)"/>. A later <c>dlopen("libLibTorchSharp.so")</c> by TorchSharp then
/// finds the loaded copy by its soname, and a DllImport resolver on the TorchSharp assembly hands the
/// same handle to every P/Invoke, so TorchSharp never falls back to copying half a gigabyte of libtorch
/// into a <c>cpu/</c> folder. Where libLibTorchSharp asks strictly for <c>GLIBCXX_3.4.32</c> (Debian 12's
/// libstdc++ stops at 3.4.30), a copy with that requirement marked weak is kept in the user cache
/// (<see cref="CacheRoot"/>), keyed by the original's SHA-256, and loaded instead; the package itself is
/// never touched.
/// </para>
/// </summary>
public static class NativeLibraries
{
    /// <summary>The libstdc++ version requirement that is made weak.</summary>
    public const string Glibcxx = "GLIBCXX_3.4.32";

    /// <summary>Environment variable naming a folder that holds libtorch (libc10, libtorch_cpu, libtorch) and libLibTorchSharp.</summary>
    public const string DirVariable = "TELESCOPE_LIBTORCH_DIR";

    /// <summary>Environment variable naming the cache folder for the patched library (default <c>$XDG_CACHE_HOME/telescope/native</c> or <c>~/.cache/telescope/native</c>).</summary>
    public const string CacheVariable = "TELESCOPE_NATIVE_CACHE";

    private static readonly string[] TorchChain = ["libc10.so", "libtorch_cpu.so", "libtorch.so"];
    private const string SharpName = "libLibTorchSharp.so";
    private static readonly object Gate = new();
    private static IntPtr _sharp;
    private static string? _error;

    /// <summary>The library files that were loaded, in order (empty before <see cref="Load"/> or off Linux).</summary>
    public static IReadOnlyList<string> Loaded { get; private set; } = [];

    /// <summary>
    /// Runs when Telescope.Core is first touched: hands TorchSharp's P/Invokes our loaded library, and makes
    /// an unhandled <see cref="NativeLoadException"/> end any host as one line on stderr with exit code 3.
    /// </summary>
    // CA2255 warns that module initialisers belong to applications: this one is deliberate — the native
    // resolver must be in place before any host (CLI, tests, scripts, a user's program) touches TorchSharp.
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage(
        "Usage",
        "CA2255:The 'ModuleInitializer' attribute should not be used in libraries",
        Justification = "The native resolver must be registered before any host touches TorchSharp."
    )]
    internal static void Initialize()
    {
        AppDomain.CurrentDomain.UnhandledException += (_, e) =>
        {
            if (Explain(e.ExceptionObject as Exception) is { } line)
            {
                Console.Error.WriteLine($"telescope: {line}");
                Environment.Exit(TorchRuntime.NativeFailureExitCode);
            }
        };
        if (!OperatingSystem.IsLinux())
            return;
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(TorchSharp.torch).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // another resolver is set for TorchSharp (the host's own); ours would not be asked
        }
        try
        {
            // before any TorchSharp type initialiser can run its own loader (which, failing, copies
            // libtorch into a cpu/ folder): once our copy is loaded, its soname satisfies TorchSharp's search
            Load();
        }
        catch (NativeLoadException)
        {
            // remembered: TorchRuntime.EnsureLoaded and the unhandled-exception handler report it
        }
    }

    /// <summary>Why loading failed (one line), or null when it did not fail or was not tried.</summary>
    public static string? Failure => _error;

    /// <summary>
    /// The one line that explains <paramref name="e"/> when it comes from an unloadable native library:
    /// a <see cref="NativeLoadException"/> anywhere in the chain, or TorchSharp's own type initialiser
    /// failing after our load failed (then our reason, which names the file and the <c>dlopen</c> error).
    /// </summary>
    public static string? Explain(Exception? e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is NativeLoadException n)
                return n.Message;
            if (
                x is TypeInitializationException t
                && t.TypeName?.StartsWith("TorchSharp", StringComparison.Ordinal) == true
                && _error is not null
            )
                return _error;
        }
        return null;
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name is not ("LibTorchSharp" or "libLibTorchSharp" or SharpName))
            return IntPtr.Zero;
        try
        {
            return Load();
        }
        catch (NativeLoadException)
        {
            return IntPtr.Zero; // let the runtime's own search fail; EnsureLoaded reports our reason
        }
    }

    /// <summary>
    /// Load the chain once (idempotent; a failure is remembered). Returns libLibTorchSharp's handle.
    /// Throws <see cref="NativeLoadException"/> whose one-line message names the file, the <c>dlopen</c>
    /// reason and the fix. Off Linux it does nothing and returns <see cref="IntPtr.Zero"/>.
    /// </summary>
    public static IntPtr Load()
    {
        if (!OperatingSystem.IsLinux())
            return IntPtr.Zero;
        lock (Gate)
        {
            if (_sharp != IntPtr.Zero)
                return _sharp;
            if (_error is not null)
                throw new NativeLoadException(_error, null);
            try
            {
                _sharp = LoadChain();
                return _sharp;
            }
            catch (NativeLoadException e)
            {
                _error = e.Message;
                throw;
            }
        }
    }

    /// <summary>
    /// OpenMP's wait policy for libtorch's intra-op threads, set before libgomp starts unless the environment
    /// already names one. libgomp's default spins idle threads for a while; on a shared machine they compete
    /// with other work (a 300-step approximation run on 2 threads took 107 s spinning and 22 s passive with
    /// both cores loaded by other processes; the table is the same byte for byte).
    /// </summary>
    public const string OmpWaitPolicy = "PASSIVE";

    /// <summary>
    /// Variable by which libtorch's CPU allocator (c10) backs every allocation of 2 MiB or more with transparent
    /// huge pages (page-aligned, <c>madvise(MADV_HUGEPAGE)</c>), set natively before the first allocation unless
    /// the environment already names it. A large tensor written once — the explicit Jacobian <c>[N·k, P]</c>,
    /// 1.38 GB at N = 128 for the bench MLP — otherwise pays one 4 KiB page fault per page on first touch: its
    /// 1,280 row copies took 0.8 s of the 1.0 s build, 0.3 s with huge pages (AMD EPYC, Linux THP in
    /// <c>madvise</c> mode). Alignment only grows (64 bytes → a page), so results are unchanged.
    /// </summary>
    public const string HugePagesVariable = "THP_MEM_ALLOC_ENABLE";

    /// <summary>
    /// Set to 0 to keep glibc's own allocation thresholds (<see cref="TuneAllocator"/> is skipped).
    /// </summary>
    public const string MallocTuningVariable = "TELESCOPE_MALLOC_TUNING";

    /// <summary>
    /// glibc's <c>M_MMAP_THRESHOLD</c> as set by <see cref="TuneAllocator"/>: blocks below it come from the heap (32 MiB, the
    /// largest glibc takes).
    /// </summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>glibc's <c>M_TRIM_THRESHOLD</c> as set by <see cref="TuneAllocator"/>: free memory at the heap's top kept before it is returned (256 MiB).</summary>
    public const int TrimThreshold = 256 << 20;

    /// <summary>
    /// How the allocator was set: <c>heap below 32 MiB</c>, <c>glibc default (…)</c>, or why not. Recorded in run.json.
    /// </summary>
    public static string AllocatorState { get; private set; } = "not set";

    /// <summary>
    /// Keep tensor-sized blocks (up to <see cref="MmapThreshold"/>) on the heap and the heap from shrinking below
    /// <see cref="TrimThreshold"/> (glibc <c>mallopt</c>). By default glibc hands every block over 128 KiB (rising
    /// to the largest freed) to a fresh <c>mmap</c>, and with libtorch's huge-page alignment (<see cref="HugePagesVariable"/>)
    /// every new ≥ 2 MiB tensor then pays its page faults and zeroing again: a [1895, 200] float64 ReLU into a new
    /// tensor took 6.5 ms, 0.17 ms from the heap (issue 28). Results are unchanged (only where memory comes from).
    /// </summary>
    public static void TuneAllocator()
    {
        if (NativeEnvironment(MallocTuningVariable) == "0")
        {
            AllocatorState = $"glibc default ({MallocTuningVariable}=0)";
            return;
        }
        try
        {
            bool ok = Mallopt(-3 /* M_MMAP_THRESHOLD */, MmapThreshold) == 1;
            ok &= Mallopt(-1 /* M_TRIM_THRESHOLD */, TrimThreshold) == 1;
            AllocatorState = ok
                ? $"heap below {MmapThreshold >> 20} MiB, trim above {TrimThreshold >> 20} MiB"
                : "mallopt refused";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            AllocatorState = "no glibc mallopt";
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int parameter, int value);

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetNativeEnvironment(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    private static extern IntPtr GetNativeEnvironment(string name);

    /// <summary>A variable as native code (libgomp, MKL) sees it; .NET's own environment copy can differ.</summary>
    public static string? NativeEnvironment(string name) =>
        Marshal.PtrToStringAnsi(GetNativeEnvironment(name));

    private static IntPtr LoadChain()
    {
        // .NET's Environment.SetEnvironmentVariable does not reach native getenv on Unix: set it in libc
        SetNativeEnvironment("OMP_WAIT_POLICY", OmpWaitPolicy, overwrite: 0);
        SetNativeEnvironment(HugePagesVariable, "1", overwrite: 0);
        TuneAllocator();
        var dirs = CandidateDirs().ToList();
        var torchDir = dirs.FirstOrDefault(d => File.Exists(Path.Combine(d, "libtorch_cpu.so")));
        var sharpDir = dirs.FirstOrDefault(d => File.Exists(Path.Combine(d, SharpName)));
        if (torchDir is null || sharpDir is null)
            throw new NativeLoadException(
                $"cannot find {(torchDir is null ? "libtorch_cpu.so" : SharpName)} in any of: {string.Join(", ", dirs.DefaultIfEmpty("(no candidate folder)"))}. Fix: restore the TorchSharp-cpu package (dotnet restore), or set {DirVariable} to a folder that holds libtorch and {SharpName}.",
                null
            );
        var loaded = new List<string>();
        foreach (var lib in TorchChain)
        {
            var file = Path.Combine(torchDir, lib);
            if (!File.Exists(file))
                continue; // a libtorch build may fold libc10 into libtorch_cpu
            var h = Open(file);
            if (lib == "libtorch_cpu.so")
                MklDispatch.Apply(h); // before anything calls MKL
            loaded.Add(file);
        }
        var sharp = Usable(Path.Combine(sharpDir, SharpName));
        var handle = Open(sharp);
        loaded.Add(sharp);
        Loaded = loaded;
        return handle;
    }

    private static IntPtr Open(string file)
    {
        try
        {
            return NativeLibrary.Load(file);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // .NET wraps dlerror() in advice ("… consider setting the LD_DEBUG environment variable: <dlerror>")
            var reason = OneLine(e.Message);
            const string tail = "environment variable: ";
            var at = reason.LastIndexOf(tail, StringComparison.Ordinal);
            if (at >= 0)
                reason = reason[(at + tail.Length)..];
            var fix = reason.Contains("GLIBCXX", StringComparison.Ordinal)
                ? $"this libstdc++ lacks a version the library asks for; Telescope marks {Glibcxx} weak in a cached copy — if another version is named, install a newer libstdc++6"
                : $"check that the TorchSharp-cpu package restored whole, or set {DirVariable} to a folder with a working libtorch";
            throw new NativeLoadException(
                $"cannot load libtorch: dlopen {file}: {reason}. Fix: {fix}.",
                e
            );
        }
    }

    /// <summary>
    /// The file to load for <paramref name="original"/>: itself when it asks for <see cref="Glibcxx"/> weakly
    /// or not at all, else a cached copy with that requirement marked weak (written atomically; verified by size
    /// and SHA-256 before every load and written again when damaged).
    /// </summary>
    internal static string Usable(string original)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(original);
            if (!ElfVersionNeeds.NeedsStrictly(bytes, Glibcxx))
                return original;
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            throw new NativeLoadException(
                $"cannot load libtorch: cannot read {original}: {OneLine(e.Message)}. Fix: restore the TorchSharp-cpu package again (dotnet restore --force).",
                e
            );
        }
        var key = Convert.ToHexString(SHA256.HashData(bytes))[..16].ToLowerInvariant();
        var dir = Path.Combine(CacheRoot(), key);
        var patched = Path.Combine(dir, SharpName);
        ElfVersionNeeds.MarkWeak(bytes, Glibcxx);
        // a cached copy is loaded only when it is whole: the size and SHA-256 of the patched bytes. A truncated or
        // damaged copy (a full disk, a killed writer, an edit) would otherwise end every later run with SIGBUS or a
        // dlopen error; it is written again instead.
        if (Whole(patched, bytes))
            return patched;
        try
        {
            Directory.CreateDirectory(dir);
            var tmp = Path.Combine(dir, $"{SharpName}.{Environment.ProcessId}.tmp");
            File.WriteAllBytes(tmp, bytes);
            File.Move(tmp, patched, overwrite: true); // atomic; a concurrent writer writes the same bytes
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new NativeLoadException(
                $"cannot load libtorch: cannot write the patched copy of {SharpName} to {dir}: {OneLine(e.Message)}. Fix: set {CacheVariable} to a writable folder.",
                e
            );
        }
        return patched;
    }

    /// <summary>Whether <paramref name="file"/> holds exactly <paramref name="bytes"/> (size first, then SHA-256).</summary>
    private static bool Whole(string file, byte[] bytes)
    {
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists || info.Length != bytes.LongLength)
                return false;
            using var f = File.OpenRead(file);
            return SHA256.HashData(f).AsSpan().SequenceEqual(SHA256.HashData(bytes));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Where the patched copy of libLibTorchSharp is kept.</summary>
    public static string CacheRoot()
    {
        var set = Environment.GetEnvironmentVariable(CacheVariable);
        if (!string.IsNullOrWhiteSpace(set))
            return set;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var root =
            !string.IsNullOrWhiteSpace(xdg) ? xdg
            : !string.IsNullOrWhiteSpace(home) ? Path.Combine(home, ".cache")
            : Path.GetTempPath();
        return Path.Combine(root, "telescope", "native");
    }

    /// <summary>
    /// Folders that may hold the native libraries, most specific first: <see cref="DirVariable"/>; the
    /// runtime's native search folders (deps.json hosts); the TorchSharp assembly's folder and its
    /// <c>runtimes/linux-x64/native</c>; and, for a TorchSharp loaded from a NuGet cache
    /// (<c>#r "nuget:"</c>), the native folders of the TorchSharp and libtorch-cpu-linux-x64 packages there.
    /// </summary>
    public static IEnumerable<string> CandidateDirs()
    {
        var seen = new HashSet<string>();
        foreach (var d in Raw())
        {
            if (string.IsNullOrWhiteSpace(d))
                continue;
            var full = Path.GetFullPath(d);
            if (Directory.Exists(full) && seen.Add(full))
                yield return full;
        }

        static IEnumerable<string> Raw()
        {
            var over = Environment.GetEnvironmentVariable(DirVariable);
            if (!string.IsNullOrWhiteSpace(over))
            {
                yield return over; // an explicit folder is the only candidate
                yield break;
            }
            const string rid = "runtimes/linux-x64/native";
            if (AppContext.GetData("NATIVE_DLL_SEARCH_DIRECTORIES") is string search)
                foreach (var d in search.Split(Path.PathSeparator))
                    yield return d;
            var asm = Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location);
            if (string.IsNullOrEmpty(asm))
                yield break;
            yield return asm;
            yield return Path.Combine(asm, rid);
            // NuGet layout: <root>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll
            var pkg = Path.GetFullPath(Path.Combine(asm, "..", ".."));
            yield return Path.Combine(pkg, rid);
            var root = Path.GetDirectoryName(Path.GetDirectoryName(pkg));
            if (root is null)
                yield break;
            var libtorch = Path.Combine(root, "libtorch-cpu-linux-x64");
            if (!Directory.Exists(libtorch))
                yield break;
            foreach (var v in Directory.GetDirectories(libtorch).OrderByDescending(VersionOf))
                yield return Path.Combine(v, rid);
        }

        static Version VersionOf(string dir) =>
            Version.TryParse(Path.GetFileName(dir).Split('-')[0], out var v)
                ? v
                : new Version(0, 0);
    }

    private static string OneLine(string s) =>
        string.Join(
            " ",
            s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        );
}
