namespace Telescope.Frames;

/// <summary>
/// Streams the observations of one run to a CSV file in the tidy format. Rows go to
/// <c>path.partial</c> as they arrive (memory stays flat however long the run); <see cref="Complete"/>
/// flushes and renames onto <c>path</c>. Disposing without completing removes the partial file, so a
/// table on disk is always whole. A run that fails part-way calls <see cref="Complete"/> to keep the
/// steps it finished.
/// </summary>
public sealed class TidyCsvWriter : IObservationSink, IDisposable
{
    private readonly StreamWriter _writer;
    private readonly string _partial;
    private bool _done;

    /// <summary>The final path of the table.</summary>
    public string Path { get; }

    /// <summary>The schema (header) of the table.</summary>
    public TidySchema Schema { get; }

    /// <summary>The run whose rows this writer receives.</summary>
    public RunKey Key { get; }

    /// <summary>Rows written so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Open a writer for <paramref name="key"/>'s rows at <paramref name="path"/>.</summary>
    public TidyCsvWriter(string path, TidySchema schema, RunKey key)
    {
        Path = path;
        Schema = schema;
        Key = key;
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        _partial = AtomicFile.PartialPath(path);
        _writer = new StreamWriter(_partial, append: false, new System.Text.UTF8Encoding(false), 1 << 16)
        {
            NewLine = "\n",
        };
        _writer.WriteLine(schema.Header);
    }

    /// <inheritdoc />
    public void Write(in Observation observation)
    {
        if (_done)
            throw new InvalidOperationException($"table {Path} is already complete");
        _writer.WriteLine(Schema.FormatRow(Key, observation));
        Rows++;
    }

    /// <summary>Flush buffered rows to the partial file (for example at a checkpoint).</summary>
    public void Flush() => _writer.Flush();

    /// <summary>Finish the table: flush, close and atomically rename to <see cref="Path"/>.</summary>
    public void Complete()
    {
        if (_done)
            return;
        _writer.Flush();
        _writer.Dispose();
        File.Move(_partial, Path, overwrite: true);
        _done = true;
    }

    /// <summary>Closes the writer; an incomplete table is deleted.</summary>
    public void Dispose()
    {
        if (_done)
            return;
        _writer.Dispose();
        AtomicFile.TryDelete(_partial);
        _done = true;
    }
}
