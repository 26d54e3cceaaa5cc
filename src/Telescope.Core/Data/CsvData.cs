using System.Text;
using Telescope.Frames;

namespace Telescope.Data;

/// <summary>
/// A user's CSV file as a <see cref="Dataset"/>: a header row naming the columns, then one row per example; one
/// column is the target, the others (or those named) the features. RFC 4180 cells (comma-separated, double quotes
/// around cells holding commas, quotes or line breaks, <c>""</c> for a quote), UTF-8 with or without BOM, LF or CRLF;
/// blank lines are skipped; cells are trimmed. Every problem is one <see cref="InvalidDataException"/> line naming the
/// file, the line and the column, <c>moons.csv:7:3: 'abc' is not a number (column 'x2')</c>: an empty file, a header
/// without rows, an empty or repeated column name, a ragged row, an empty or non-numeric or non-finite cell
/// (<c>NaN</c>, <c>Infinity</c>), a missing target or feature column, a target with fewer than two classes.
/// </summary>
public static class CsvData
{
    /// <summary>
    /// Load <paramref name="path"/> with target column <paramref name="target"/> (<paramref name="task"/>:
    /// classification, regression or decided from the values), features <paramref name="features"/> (default: every
    /// other column). With <paramref name="reference"/> (a training set) the file is read as its test set: the same
    /// feature columns (by name, in any order), task and classes.
    /// </summary>
    public static Dataset Load(
        string path,
        string target,
        TargetTask task = TargetTask.Auto,
        IReadOnlyList<string>? features = null,
        Dataset? reference = null
    )
    {
        var bytes = DataFile.ReadBounded(path);
        var table = Read(bytes, path);
        var file = DataFile.Of(path, bytes, table.Rows.Count);
        var name = Path.GetFileNameWithoutExtension(path);
        var data = TabularData.FromRows(
            name,
            "",
            table.Header,
            table.Rows,
            target,
            task,
            features,
            (i, j) => $"{path}:{table.Lines[i]}:{j + 1}",
            $"{path}:1:1",
            reference
        );
        return data with { Source = Describe(file, data), Files = [file] };
    }

    /// <summary>
    /// A training file and its test file: <paramref name="testPath"/> is read with the training set as reference
    /// (same features, task and classes).
    /// </summary>
    public static (Dataset Train, Dataset Test) LoadPair(
        string path,
        string testPath,
        string target,
        TargetTask task = TargetTask.Auto,
        IReadOnlyList<string>? features = null
    )
    {
        var train = Load(path, target, task, features);
        return (train, Load(testPath, target, features: features, reference: train));
    }

    /// <summary>The source line of a file's data set: it is the user's file, with its hash, rows, target and task.</summary>
    public static string Describe(DataFile file, Dataset data) =>
        $"your file {file.Path} ({file.Bytes} bytes, sha256 {file.Sha256[..12]}…, {file.Rows} rows × {data.Features} features; target '{data.TargetName}': {TabularData.TaskText(data)})";

    /// <summary>A CSV file's cells: the header, the data rows and the line each row starts on (1-based).</summary>
    public sealed record Table(string[] Header, List<IReadOnlyList<object?>> Rows, List<int> Lines);

    /// <summary>Read <paramref name="path"/>'s header and rows (cells as text), checking its shape.</summary>
    public static Table Read(string path) => Read(DataFile.ReadBounded(path), path);

    /// <summary>The header and rows of a CSV file's bytes (read once by <see cref="DataFile.ReadBounded"/>).</summary>
    public static Table Read(byte[] bytes, string path)
    {
        var records = Csv.Records(new StringReader(Text(bytes, path)), path, strict: true).ToList();
        if (records.Count == 0)
            throw new InvalidDataException(
                $"{path}:1:1: empty file: expected a header row naming the columns"
            );
        var (headerLine, header) = records[0];
        for (int j = 0; j < header.Count; j++)
        {
            if (header[j].Length == 0)
                throw new InvalidDataException($"{path}:{headerLine}:{j + 1}: empty column name");
            int first = header.IndexOf(header[j]);
            if (first < j)
                throw new InvalidDataException(
                    $"{path}:{headerLine}:{j + 1}: column '{header[j]}' appears twice (also column {first + 1})"
                );
        }
        if (records.Count == 1)
            throw new InvalidDataException(
                $"{path}:{headerLine + 1}:1: no data rows after the header"
            );
        var rows = new List<IReadOnlyList<object?>>(records.Count - 1);
        var lines = new List<int>(records.Count - 1);
        foreach (var (line, cells) in records.Skip(1))
        {
            if (cells.Count < header.Count)
                throw new InvalidDataException(
                    $"{path}:{line}:{cells.Count + 1}: the row ends after {cells.Count} cells; the header has {header.Count} columns"
                );
            if (cells.Count > header.Count)
                throw new InvalidDataException(
                    $"{path}:{line}:{header.Count + 1}: the row has {cells.Count} cells; the header has {header.Count} columns"
                );
            rows.Add(cells.Select(c => (object?)c).ToArray());
            lines.Add(line);
        }
        return new Table(header.ToArray(), rows, lines);
    }

    /// <summary>
    /// The text of a CSV file's bytes: UTF-8 (a BOM is skipped), or UTF-16/32 when a BOM says so. A byte that is not
    /// UTF-8 (a Latin-1 'é', 0xE9) is refused naming its line and cell: decoded leniently, every such byte became the
    /// same U+FFFD, so two class names differing only there became one class without a word.
    /// </summary>
    private static string Text(byte[] bytes, string path)
    {
        bool utf16or32 =
            bytes.Length >= 2
            && ((bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF));
        if (utf16or32)
        {
            using var reader = new StreamReader(
                new MemoryStream(bytes),
                Encoding.UTF8,
                detectEncodingFromByteOrderMarks: true
            );
            return reader.ReadToEnd();
        }
        int start =
            bytes.Length >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0;
        var chars = new char[bytes.Length - start];
        var status = System.Text.Unicode.Utf8.ToUtf16(
            bytes.AsSpan(start),
            chars,
            out int read,
            out int written,
            replaceInvalidSequences: false
        );
        if (status != System.Buffers.OperationStatus.Done)
        {
            int at = start + read; // the first byte that is not UTF-8
            int line = 1,
                cell = 1;
            bool quoted = false;
            for (int i = start; i < at; i++)
                switch (bytes[i])
                {
                    case (byte)'"':
                        quoted = !quoted;
                        break;
                    case (byte)',' when !quoted:
                        cell++;
                        break;
                    case (byte)'\n':
                        line++;
                        if (!quoted)
                            cell = 1;
                        break;
                }
            throw new InvalidDataException(
                $"{path}:{line}:{cell}: byte 0x{bytes[at]:X2} is not UTF-8 text; save the file as UTF-8"
            );
        }
        return new string(chars, 0, written);
    }
}
