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
                using var w = new StreamWriter(
                    stream,
                    new System.Text.UTF8Encoding(false),
                    1 << 16,
                    leaveOpen: true
                )
                {
                    NewLine = "\n",
                };
                string? header = null;
                string? headerFile = null;
                foreach (var file in files)
                {
                    using var r = new StreamReader(file);
                    var h =
                        r.ReadLine()
                        ?? throw new InvalidDataException($"{file}: empty table (no header)");
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
                    string? line;
                    while ((line = r.ReadLine()) is not null)
                        if (line.Length > 0)
                            w.WriteLine(line);
                }
                w.Flush();
            }
        );
    }

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
        var header = Csv.Split(
            r.ReadLine() ?? throw new InvalidDataException($"{path}: empty table")
        );
        string? line;
        int lineNo = 1;
        while ((line = r.ReadLine()) is not null)
        {
            lineNo++;
            if (line.Length == 0)
                continue;
            var cells = Csv.Split(line);
            if (cells.Count != header.Count)
                throw new InvalidDataException(
                    $"{path}:{lineNo}: {cells.Count} cells where the header has {header.Count}"
                );
            var row = new Dictionary<string, string>(header.Count);
            for (int i = 0; i < header.Count; i++)
                row[header[i]] = cells[i];
            yield return row;
        }
    }
}
