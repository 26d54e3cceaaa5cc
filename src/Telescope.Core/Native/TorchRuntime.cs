using System.Runtime.InteropServices;
using TorchSharp;

namespace Telescope.Native;

/// <summary>The native TorchSharp library could not be loaded; the message says why and what to do.</summary>
public sealed class NativeLoadException(string message, Exception? inner)
    : Exception(message, inner);

/// <summary>
/// Loading libtorch once, with one clear error instead of a stack of TypeInitializationExceptions,
/// plus device and thread selection.
/// </summary>
public static class TorchRuntime
{
    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>
    /// Load the native library (idempotent): <see cref="NativeLibraries.Load"/>, then one tensor as a probe.
    /// Throws <see cref="NativeLoadException"/> with a one-line message naming the <c>dlopen</c> reason and
    /// the fix. In a <c>dotnet fsi</c> script run (not interactive) it prints that line to stderr and exits
    /// with code 3 instead, as the <c>telescope</c> command does, so a script never ends in a native stack trace.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded)
                return;
            try
            {
                NativeLibraries.Load();
                using var probe = torch.zeros(1);
                _loaded = true;
            }
            catch (Exception e) when (e is not NativeLoadException)
            {
                var root = e;
                while (root.InnerException is not null)
                    root = root.InnerException;
                Fail(
                    new NativeLoadException(
                        $"cannot load libtorch: {root.GetType().Name}: {FirstLine(root.Message)}. Fix: check that the TorchSharp-cpu package restored whole, or set {NativeLibraries.DirVariable} to a folder with a working libtorch.",
                        e
                    )
                );
            }
            catch (NativeLoadException e)
            {
                Fail(e);
            }
        }
    }

    /// <summary>Exit code of a host that stops because the native library cannot be loaded.</summary>
    public const int NativeFailureExitCode = 3;

    private static void Fail(NativeLoadException e)
    {
        if (IsFsiScript())
        {
            Console.Error.WriteLine($"telescope: {e.Message}");
            Environment.Exit(NativeFailureExitCode);
        }
        throw e;
    }

    /// <summary>Whether this process is <c>dotnet fsi</c> running a script file (not an interactive session).</summary>
    private static bool IsFsiScript()
    {
        var entry = System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name;
        return string.Equals(entry, "fsi", StringComparison.OrdinalIgnoreCase)
            && Environment
                .GetCommandLineArgs()
                .Any(a => a.EndsWith(".fsx", StringComparison.OrdinalIgnoreCase));
    }

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();

    /// <summary>Parse a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>); an unavailable device is an error.</summary>
    public static torch.Device Device(string name)
    {
        EnsureLoaded();
        var n = name.Trim().ToLowerInvariant();
        if (n == "cpu")
            return torch.CPU;
        if (n.StartsWith("cuda", StringComparison.Ordinal))
        {
            if (!torch.cuda.is_available())
                throw new ArgumentException(
                    $"device '{name}' is not available: this build has no CUDA (TorchSharp-cpu); install a TorchSharp-cuda package to use a GPU"
                );
            return torch.device(n);
        }
        throw new ArgumentException($"unknown device '{name}': expected cpu, cuda or cuda:N");
    }

    /// <summary>Fix the intra-op thread count (reproducibility: same seed and threads ⇒ same numbers).</summary>
    public static int SetThreads(int threads)
    {
        EnsureLoaded();
        if (threads <= 0)
            threads = Environment.ProcessorCount;
        torch.set_num_threads(threads);
        return threads;
    }

    /// <summary>Version strings of the native stack, for run.json.</summary>
    public static IReadOnlyDictionary<string, string> Versions()
    {
        var ts = typeof(torch).Assembly;
        var info = ts.GetCustomAttributes(
                typeof(System.Reflection.AssemblyInformationalVersionAttribute),
                false
            )
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
            .FirstOrDefault()
            ?.InformationalVersion;
        return new Dictionary<string, string>
        {
            ["TorchSharp"] = info?.Split('+')[0] ?? ts.GetName().Version?.ToString() ?? "?",
            ["libtorch"] = "2.10 (TorchSharp-cpu 0.107.0)",
            ["OMP_WAIT_POLICY"] =
                NativeLibraries.NativeEnvironment("OMP_WAIT_POLICY") ?? "(libgomp default)",
            ["mkl_path"] = MklDispatch.State,
            [NativeLibraries.HugePagesVariable] =
                NativeLibraries.NativeEnvironment(NativeLibraries.HugePagesVariable) ?? "(unset)",
            ["allocator"] = NativeLibraries.AllocatorState,
            ["os"] = RuntimeInformation.OSDescription,
        };
    }
}
