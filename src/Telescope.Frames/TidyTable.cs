using Deedle;

namespace Telescope.Frames;

/// <summary>Reading, merging and loading tidy tables.</summary>
public static class TidyTable
{
    /// <summary>
    /// Concatenate tidy CSV files that share one header into <paramref name="path"/> (atomically).
    /// Files with a different header are an error that names both files.
    /// </summary>
    public static void Merge(IEnumerable<string> parts, string path)
    {
        var files = parts.ToList();
        AtomicFile.Write(
            path,
            stream =>
            {
                byte[]? header = null;
                string? headerFile = null;
                foreach (var file in files)
                {
                    // rows are copied byte for byte: a quoted cell may hold CR or LF
                    using var r = File.OpenRead(file);
                    var h =
                        HeaderLine(r)
                        ?? throw new InvalidDataException($"{file}: empty table (no header)");
                    if (header is null)
                    {
                        header = h;
                        headerFile = file;
                        stream.Write(h);
                    }
                    else if (!h.AsSpan().SequenceEqual(header))
                        throw new InvalidDataException(
                            $"cannot merge {file}: its columns differ from {headerFile}'s\n  {Text(h)}\n  {Text(header)}"
                        );
                    r.CopyTo(stream);
                }
            }
        );
    }

    /// <summary>
    /// Concatenate tidy CSV files into <paramref name="path"/> (atomically), giving each part's rows the columns of
    /// its <c>extra</c> coordinates (name → value), inserted after <c>output</c> (or at the end when there is no
    /// <c>output</c>); a coordinate the part's table already has as a column is left to that column. The resulting
    /// headers must agree: a part whose columns differ is an error naming it. Cells are parsed as RFC 4180 records
    /// (a quoted cell may hold a newline) and written back with <see cref="Csv.Escape"/>; with no extra coordinates
    /// this is <see cref="Merge(IEnumerable{string}, string)"/>, byte for byte.
    /// </summary>
    public static void Merge(
        IEnumerable<(string file, IReadOnlyList<KeyValuePair<string, string>> extra)> parts,
        string path
    )
    {
        var list = parts.ToList();
        if (list.All(p => p.extra.Count == 0))
        {
            Merge(list.Select(p => p.file), path);
            return;
        }
        AtomicFile.WriteText(
            path,
            w =>
            {
                string? header = null,
                    headerFile = null;
                foreach (var (file, coordinates) in list)
                {
                    using var r = new StreamReader(file);
                    List<string>? cols = null;
                    List<KeyValuePair<string, string>> extra = [];
                    int at = 0;
                    foreach (var (_, cells) in Csv.Records(r, file))
                    {
                        if (cols is null)
                        {
                            cols = cells;
                            int output = cols.IndexOf("output");
                            at = output >= 0 ? output + 1 : cols.Count;
                            extra = coordinates.Where(e => !cols.Contains(e.Key)).ToList();
                            var h = Csv.Line(
                                cols.Take(at).Concat(extra.Select(e => e.Key)).Concat(cols.Skip(at))
                            );
                            if (header is null)
                            {
                                header = h;
                                headerFile = file;
                                w.WriteLine(h);
                            }
                            else if (h != header)
                                throw new InvalidDataException(
                                    $"cannot merge {file}: its columns differ from {headerFile}'s\n  {h}\n  {header}"
                                );
                            continue;
                        }
                        if (cells.Count == 1 && cells[0].Length == 0)
                            continue;
                        w.WriteLine(
                            Csv.Line(
                                cells
                                    .Take(at)
                                    .Concat(extra.Select(e => e.Value))
                                    .Concat(cells.Skip(at))
                            )
                        );
                    }
                    if (cols is null)
                        throw new InvalidDataException($"{file}: empty table (no header)");
                }
                w.Flush();
            }
        );
    }


    /// <summary>The header line of a table, with its line end (null when the file is empty).</summary>
    private static byte[]? HeaderLine(Stream s)
    {
        var bytes = new List<byte>();
        for (int b; (b = s.ReadByte()) >= 0; )
        {
            bytes.Add((byte)b);
            if (b == '\n')
                return bytes.ToArray();
        }
        return bytes.Count == 0 ? null : [.. bytes, (byte)'\n'];
    }

    private static string Text(byte[] line) =>
        System.Text.Encoding.UTF8.GetString(line).TrimEnd('\r', '\n');

    /// <summary>Load a tidy CSV as a Deedle frame (row keys 0..n−1; typed columns inferred).</summary>
    public static Frame<int, string> Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"tidy table not found: {path}", path);
        return Frame.ReadCsv(path, hasHeaders: true, inferTypes: true, inferRows: 0);
    }

    /// <summary>Read the rows of a tidy CSV as dictionaries (column → cell); small tables and tests.</summary>
    public static IEnumerable<IReadOnlyDictionary<string, string>> ReadRows(string path)
    {
        using var r = new StreamReader(path);
        List<string>? header = null;
        foreach (var (lineNo, cells) in Csv.Records(r, path))
        {
            if (header is null)
            {
                header = cells;
                continue;
            }
            if (cells.Count == 1 && cells[0].Length == 0)
                continue;
            if (cells.Count != header.Count)
                throw new InvalidDataException(
                    $"{path}:{lineNo}: {cells.Count} cells where the header has {header.Count}"
                );
            var row = new Dictionary<string, string>(header.Count);
            for (int i = 0; i < header.Count; i++)
                row[header[i]] = cells[i];
            yield return row;
        }
        if (header is null)
            throw new InvalidDataException($"{path}: empty table");
    }
}
