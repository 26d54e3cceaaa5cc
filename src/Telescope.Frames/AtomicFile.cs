namespace Telescope.Frames;

/// <summary>
/// Atomic file writes: content goes to <c>path.partial</c> and is renamed onto <c>path</c> only when
/// complete, so a reader never sees a half-written file and an interrupted write leaves no file at
/// <c>path</c>.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary name used while <paramref name="path"/> is being written.</summary>
    public static string PartialPath(string path) => path + ".partial";

    /// <summary>Write all text atomically and durably (flushed to disk before the rename); nothing partial is left on failure.</summary>
    public static void WriteAllText(string path, string contents) =>
        Write(
            path,
            fs =>
            {
                using var w = new StreamWriter(
                    fs,
                    new System.Text.UTF8Encoding(false),
                    leaveOpen: true
                );
                w.Write(contents);
            }
        );

    /// <summary>
    /// Write text atomically through <paramref name="write"/>: UTF-8 without BOM, lines ending in LF (every CSV table's
    /// encoding); nothing partial is left on failure.
    /// </summary>
    public static void WriteText(string path, Action<TextWriter> write) =>
        Write(
            path,
            stream =>
            {
                using var w = new StreamWriter(
                    stream,
                    new System.Text.UTF8Encoding(false),
                    1 << 16,
                    leaveOpen: true
                )
                {
                    NewLine = "\n",
                };
                write(w);
                w.Flush();
            }
        );

    /// <summary>Write through a stream callback atomically; on an exception the partial file is removed.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        var tmp = PartialPath(path);
        try
        {
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            TryDelete(tmp);
            throw;
        }
    }

    /// <summary>Delete a file if it exists, ignoring errors.</summary>
    public static void TryDelete(string path)
    {
        try
        {
            if (File.Exists(path))
                File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
