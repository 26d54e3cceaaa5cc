using System.Security.Cryptography;

namespace Telescope.Frames;

/// <summary>
/// Checkpoints as files: <c>NAME</c> (newest) and <c>NAME.prev</c> (the one before). Each file is
/// <c>[length][payload][SHA-256 of payload]</c>, written to a temporary file, flushed to disk and
/// renamed, so a crash leaves either the old or the new checkpoint whole; a damaged file (torn write,
/// bad checksum) is detected and skipped in favour of the previous one.
/// </summary>
public sealed class FileCheckpointStore(string path)
{
    /// <summary>The newest checkpoint's path.</summary>
    public string Path { get; } = path;

    private string Prev => Path + ".prev";

    /// <summary>Whether a checkpoint file (newest or previous) is on disk, whole or not.</summary>
    public bool Exists => File.Exists(Path) || File.Exists(Prev);

    /// <summary>Files that were present but damaged, in the order found (for a warning).</summary>
    public List<string> Skipped { get; } = new();

    /// <summary>Store a payload atomically, keeping the previous one as a fallback.</summary>
    public void Save(byte[] payload)
    {
        var tmp = AtomicFile.PartialPath(Path);
        Directory.CreateDirectory(
            System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!
        );
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        using (var w = new BinaryWriter(fs))
        {
            w.Write(payload.Length);
            w.Write(payload);
            w.Write(SHA256.HashData(payload));
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        if (File.Exists(Path))
            File.Move(Path, Prev, overwrite: true);
        File.Move(tmp, Path, overwrite: true);
    }

    /// <summary>The newest whole payload, or null.</summary>
    public byte[]? TryLoadLatest()
    {
        foreach (var p in new[] { Path, Prev })
        {
            if (!File.Exists(p))
                continue;
            var payload = TryRead(p);
            if (payload is not null)
                return payload;
            Skipped.Add(p);
        }
        return null;
    }

    private static byte[]? TryRead(string p)
    {
        try
        {
            using var r = new BinaryReader(File.OpenRead(p));
            int n = r.ReadInt32();
            if (n < 0 || n > r.BaseStream.Length)
                return null;
            var payload = r.ReadBytes(n);
            var hash = r.ReadBytes(32);
            return
                payload.Length == n
                && hash.Length == 32
                && SHA256.HashData(payload).AsSpan().SequenceEqual(hash)
                ? payload
                : null;
        }
        catch (EndOfStreamException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Remove the checkpoint files (after the run completed).</summary>
    public void Delete()
    {
        AtomicFile.TryDelete(Path);
        AtomicFile.TryDelete(Prev);
        AtomicFile.TryDelete(AtomicFile.PartialPath(Path));
    }
}
