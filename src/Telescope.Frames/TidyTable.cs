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
