using System.Text.Json.Nodes;

namespace Telescope.Frames;

/// <summary>An output folder that cannot be used as asked: bad input, reported before anything is written.</summary>
public sealed class OutputFolderException(string message) : Exception(message);

/// <summary>
/// Output folders: checked before anything is written, and held by one process at a time.
/// <para>
/// The lock is <c>DIR/.telescope.lock</c>, opened exclusively (on Linux an advisory <c>flock</c> that the
/// kernel releases when the holder dies, so a stale lock from a killed process is simply taken over);
/// the holder's process id, start time and command line are written beside it in
/// <c>DIR/.telescope.lock.json</c> so that a refused second process can name it.
/// </para>
/// </summary>
public sealed class OutputFolder : IDisposable
{
    /// <summary>The lock file's name inside a held folder.</summary>
    public const string LockName = ".telescope.lock";

    private readonly FileStream _lock;
    private readonly string _owner;

    /// <summary>The folder (full path).</summary>
    public string Path { get; }

    private OutputFolder(string path, FileStream lockStream, string owner)
    {
        Path = path;
        _lock = lockStream;
        _owner = owner;
    }

    /// <summary>
    /// Check that <paramref name="dir"/> can be an output folder without creating anything: not a file,
    /// no file among its parents, and (where it or its nearest existing parent exists) writable.
    /// Throws <see cref="OutputFolderException"/> naming the problem.
    /// </summary>
    public static void Check(string dir, string option = "--out")
    {
        if (string.IsNullOrWhiteSpace(dir))
            throw new OutputFolderException($"{option}: empty path");
        string full;
        try
        {
            full = System.IO.Path.GetFullPath(dir);
        }
        catch (Exception e)
            when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OutputFolderException($"{option} '{dir}': {e.Message}");
        }
        if (File.Exists(full))
            throw new OutputFolderException($"{option} '{dir}' is a file, not a folder");
        var existing = full;
        while (!Directory.Exists(existing))
        {
            var parent = System.IO.Path.GetDirectoryName(existing);
            if (parent is null)
                break;
            if (File.Exists(parent))
                throw new OutputFolderException(
                    $"{option} '{dir}': '{parent}' is a file, so no folder can be made under it"
                );
            existing = parent;
        }
        if (!Directory.Exists(existing) || !Writable(existing))
            throw new OutputFolderException(
                $"{option} '{dir}': cannot write in '{existing}' (permission denied or read-only)"
            );
    }

    private static bool Writable(string dir)
    {
        var probe = System.IO.Path.Combine(
            dir,
            $".telescope-probe-{Environment.ProcessId}-{Guid.NewGuid():N}"
        );
        try
        {
            using (File.Create(probe, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// <see cref="Check"/>, create the folder, and hold it for this process until disposed. Throws
    /// <see cref="OutputFolderException"/> when another live process holds it, naming that process.
    /// </summary>
    public static OutputFolder Acquire(string dir, string option = "--out")
    {
        Check(dir, option);
        var full = System.IO.Path.GetFullPath(dir);
        Directory.CreateDirectory(full);
        var lockPath = System.IO.Path.Combine(full, LockName);
        var ownerPath = lockPath + ".json";
        FileStream stream;
        try
        {
            stream = new FileStream(
                lockPath,
                FileMode.OpenOrCreate,
                FileAccess.ReadWrite,
                FileShare.None
            );
        }
        catch (IOException)
        {
            throw new OutputFolderException(
                $"{option} '{dir}' is in use by another process ({Holder(ownerPath)}); wait for it to finish, or choose another {option}"
            );
        }
        var owner = new JsonObject
        {
            ["pid"] = Environment.ProcessId,
            ["started"] = DateTime.UtcNow.ToString("o"),
            ["command_line"] = Environment.CommandLine,
        }.ToJsonString();
        AtomicFile.WriteAllText(ownerPath, owner + "\n");
        return new OutputFolder(full, stream, ownerPath);
    }

    private static string Holder(string ownerPath)
    {
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(ownerPath));
            return $"pid {o?["pid"]}, since {o?["started"]}: {o?["command_line"]}";
        }
        catch (Exception e)
            when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return "holder unknown";
        }
    }

    /// <summary>Release the folder (the lock files are removed).</summary>
    public void Dispose()
    {
        AtomicFile.TryDelete(_owner);
        AtomicFile.TryDelete(System.IO.Path.Combine(Path, LockName));
        _lock.Dispose();
    }
}
