using System.Diagnostics;
using System.Security.Cryptography;

namespace Telescope.Data;

/// <summary>
/// The shared mechanics of fetching a data set once into the data cache (<see cref="Mnist.CacheRoot"/>): a
/// private work folder per fetch, external tools run with a time bound, files checked against pinned sizes and
/// SHA-256 hashes, and the finished folder published by one rename, so a half-fetched cache never looks complete.
/// </summary>
internal static class DataCache
{
    /// <summary>The longest one external fetch step (an <c>apt-get</c> or <c>npm</c> call) may take.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(15);

    /// <summary>A fresh private work folder under <paramref name="cacheRoot"/> for one fetch of <paramref name="what"/>.</summary>
    public static string WorkFolder(string cacheRoot, string what)
    {
        var work = Path.Combine(
            cacheRoot,
            $"{what}.fetch-{Environment.ProcessId}-{Guid.NewGuid():N}"
        );
        Directory.CreateDirectory(work);
        return work;
    }

    /// <summary>
    /// Run <paramref name="file"/> with <paramref name="args"/> in <paramref name="workDir"/>, bounded by
    /// <see cref="StepTimeout"/>. Returns the exit code and standard error; a program that is not installed
    /// or overruns the bound is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static (int exit, string stderr) Run(
        string file,
        IEnumerable<string> args,
        string workDir,
        string purpose
    )
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new InvalidDataException($"{file} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidDataException(
                $"cannot {purpose}: {file} is not installed ({e.Message})"
            );
        }
        using (p)
        {
            var err = p.StandardError.ReadToEndAsync();
            var outp = p.StandardOutput.ReadToEndAsync();
            if (!p.WaitForExit(StepTimeout))
            {
                try
                {
                    p.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException) { }
                throw new InvalidDataException(
                    $"cannot {purpose}: `{file} {string.Join(' ', psi.ArgumentList)}` took longer than {StepTimeout.TotalMinutes} min"
                );
            }
            p.WaitForExit();
            outp.Wait();
            return (p.ExitCode, err.Result.Trim());
        }
    }

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var fs = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(fs));
    }

    /// <summary>
    /// Throw an <see cref="InvalidDataException"/> unless <paramref name="path"/> has exactly
    /// <paramref name="size"/> bytes and (when given) SHA-256 <paramref name="sha256"/>.
    /// </summary>
    public static void Verify(string path, long size, string? sha256)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new InvalidDataException($"fetched file missing: {path}");
        if (info.Length != size)
            throw new InvalidDataException(
                $"{path}: {info.Length} bytes, expected {size} (truncated or altered download)"
            );
        if (sha256 is not null && Sha256(path) is var h && h != sha256)
            throw new InvalidDataException($"{path}: SHA-256 {h}, expected {sha256}");
    }

    /// <summary>
    /// Publish the finished <paramref name="staging"/> folder as <paramref name="final"/> by one rename. When
    /// another process published it first, its copy is kept and <paramref name="staging"/> is dropped.
    /// </summary>
    public static void Publish(string staging, string final)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        try
        {
            Directory.Move(staging, final);
        }
        catch (IOException) when (Directory.Exists(final)) { }
    }

    /// <summary>Remove a work folder, ignoring what cannot be removed.</summary>
    public static void Discard(string work)
    {
        try
        {
            if (Directory.Exists(work))
                Directory.Delete(work, true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
