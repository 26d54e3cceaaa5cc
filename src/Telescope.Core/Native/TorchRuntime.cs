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
    /// Load the native library (idempotent). Throws <see cref="NativeLoadException"/> naming the cause.
    /// On Debian 12 the cause is almost always an output folder whose <c>libLibTorchSharp.so</c> was not
    /// patched by the build (it asks for GLIBCXX_3.4.32); rebuild with <c>dotnet build</c>.
    /// </summary>
    public static void EnsureLoaded()
    {
        lock (Gate)
        {
            if (_loaded)
                return;
            try
            {
                using var probe = torch.zeros(1);
                _loaded = true;
            }
            catch (Exception e)
            {
                var root = e;
                while (root.InnerException is not null)
                    root = root.InnerException;
                var hint = root.Message.Contains("GLIBCXX", StringComparison.Ordinal)
                    ? "libLibTorchSharp.so asks for GLIBCXX_3.4.32, which this libstdc++ lacks; the build marks that requirement weak in every output folder — rebuild with `dotnet build` (build/TorchSharpGlibcxxFix.targets) and run from the build output."
                    : "check that the TorchSharp-cpu package restored and that runtimes/linux-x64/native is beside TorchSharp.dll.";
                throw new NativeLoadException(
                    $"cannot load TorchSharp's native library (libtorch): {root.GetType().Name}: {FirstLine(root.Message)}. Hint: {hint}",
                    e
                );
            }
        }
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
            ["os"] = RuntimeInformation.OSDescription,
        };
    }
}
