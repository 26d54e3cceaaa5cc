using System.Text;

namespace Telescope.Frames;

/// <summary>
/// Streams the observations of one run to a CSV file in the tidy format. Rows go to
/// <c>path.partial</c> as they arrive (memory stays flat however long the run); <see cref="Complete"/>
/// flushes and renames onto <c>path</c>. Disposing without completing removes the partial file, so a
/// table on disk is always whole — unless <see cref="KeepPartialOnAbort"/> is set (checkpointed runs:
/// the partial file is resumable state, rolled back to the last checkpoint with <see cref="Rewind"/>).
/// A run that fails part-way calls <see cref="Complete"/> to keep the steps it finished.
/// </summary>
public sealed class TidyCsvWriter : ICommittableSink, IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(false);
    private readonly FileStream _stream;
    private readonly StreamWriter _writer;
    private readonly string _partial;
    private readonly long _headerBytes;
    private bool _done;

    /// <summary>The final path of the table.</summary>
    public string Path { get; }

    /// <summary>The schema (header) of the table.</summary>
    public TidySchema Schema { get; }

    /// <summary>The run whose rows this writer receives.</summary>
    public RunKey Key { get; }

    /// <summary>Rows written by this writer (since it was opened).</summary>
    public long Rows { get; private set; }

    /// <summary>Keep <c>path.partial</c> when disposed without <see cref="Complete"/> (resumable runs).</summary>
    public bool KeepPartialOnAbort { get; init; }

    /// <summary>
    /// Open a writer for <paramref name="key"/>'s rows at <paramref name="path"/>. With
    /// <paramref name="reopen"/>, an existing <c>path.partial</c> with the same header is kept and
    /// appended to (the caller then <see cref="Rewind"/>s it to its checkpoint).
    /// </summary>
    public TidyCsvWriter(string path, TidySchema schema, RunKey key, bool reopen = false)
    {
        Path = path;
        Schema = schema;
        Key = key;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        _partial = AtomicFile.PartialPath(path);
        var header = Utf8.GetBytes(schema.Header + "\n");
        _headerBytes = header.Length;
        bool keep = reopen && File.Exists(_partial) && StartsWith(_partial, header);
        _stream = new FileStream(
            _partial,
            keep ? FileMode.Open : FileMode.Create,
            FileAccess.ReadWrite,
            FileShare.Read
        );
        if (keep)
            _stream.Seek(0, SeekOrigin.End);
        else
            _stream.Write(header);
        _writer = new StreamWriter(_stream, Utf8, 1 << 16, leaveOpen: true) { NewLine = "\n" };
    }

    private static bool StartsWith(string file, byte[] prefix)
    {
        using var fs = File.OpenRead(file);
        var buf = new byte[prefix.Length];
        return fs.Read(buf, 0, buf.Length) == buf.Length && buf.AsSpan().SequenceEqual(prefix);
    }

    /// <inheritdoc />
    public void Write(in Observation observation)
    {
        if (_done)
            throw new InvalidOperationException($"table {Path} is already complete");
        _writer.WriteLine(Schema.FormatRow(Key, observation));
        Rows++;
    }

    /// <summary>Flush buffered rows to the partial file.</summary>
    public void Flush() => _writer.Flush();

    /// <inheritdoc />
    public long Commit()
    {
        _writer.Flush();
        _stream.Flush(flushToDisk: true);
        return _stream.Length - _headerBytes;
    }

    /// <inheritdoc />
    public void Rewind(long position)
    {
        _writer.Flush();
        long target = _headerBytes + position;
        if (target > _stream.Length)
            throw new InvalidDataException(
                $"{_partial} holds {_stream.Length - _headerBytes} bytes of rows, fewer than the checkpoint's {position}: it does not belong to this checkpoint"
            );
        _stream.SetLength(target);
        _stream.Seek(0, SeekOrigin.End);
    }

    /// <summary>Finish the table: flush, close and atomically rename to <see cref="Path"/>.</summary>
    public void Complete()
    {
        if (_done)
            return;
        _writer.Flush();
        _stream.Flush(flushToDisk: true);
        _writer.Dispose();
        _stream.Dispose();
        File.Move(_partial, Path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes the writer; an incomplete table is deleted unless <see cref="KeepPartialOnAbort"/>.</summary>
    public void Dispose()
    {
        if (_done)
            return;
        try
        {
            _writer.Dispose();
        }
        catch (IOException) { }
        _stream.Dispose();
        if (!KeepPartialOnAbort)
            AtomicFile.TryDelete(_partial);
        _done = true;
    }
}
