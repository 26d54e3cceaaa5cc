using System.Diagnostics;
using System.Text;
using Telescope.Data;
using Telescope.Frames;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// What reaches the disk, checked by readers that are not the project's: a table's bytes against a strict RFC 4180
/// parser written here; a failed atomic write against the previous file's bytes; and data paths that are not regular
/// files (a pipe, <c>/dev/zero</c>) or are too large, refused in one line before they are opened or read.
/// </summary>
public sealed class BytesOnDiskTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-bytes");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    /// <summary>
    /// A strict RFC 4180 reader (records end at LF, the project's line end; CRLF is not used): an unquoted field holds
    /// no quote, CR or LF; a quoted field is quoted from its first to its last character, with <c>""</c> for a quote.
    /// Anything else throws.
    /// </summary>
    private static List<List<string>> Rfc4180(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        int i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                        throw new FormatException("unterminated quoted field");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] != ',' && text[i] != '\n')
                    throw new FormatException($"character after a closing quote at {i}");
            }
            else
                while (i < text.Length && text[i] != ',' && text[i] != '\n')
                {
                    if (text[i] is '"' or '\r')
                        throw new FormatException(
                            $"unquoted field holds {(text[i] == '"' ? "a quote" : "a CR")} at {i}"
                        );
                    field.Append(text[i++]);
                }
            record.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == ',')
            {
                i++;
                if (i == text.Length)
                    throw new FormatException("a comma ends the text");
                continue;
            }
            records.Add(record);
            record = [];
            i++; // the LF (or the end)
        }
        return records;
    }

    public static TheoryData<string> Cells =>
        new()
        {
            "plain",
            "a,b",
            "say \"hi\"",
            "\"",
            "line1\nline2",
            "lone\rcr",
            "\r",
            "crlf\r\n",
            "trailing cr\r",
            " spaced ",
            "ünïcødé ✓",
            "=1+1",
            "",
        };

    [Theory]
    [MemberData(nameof(Cells))]
    public void EveryCellReadsBackThroughAStrictRfc4180Reader(string cell)
    {
        var path = Path.Combine(_dir, "t.csv");
        var schema = new TidySchema(["label"]);
        var key = new RunKey("s", "r" + cell, 3, [new("label", cell)]);
        using (var w = new TidyCsvWriter(path, schema, key))
        {
            w.Write(new Observation(cell, 1.25, 2, Split: cell));
            w.Write(new Observation("q", -0.5, 3));
            w.Complete();
        }
        var bytes = File.ReadAllBytes(path);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        var rows = Rfc4180(text);
        Assert.Equal(3, rows.Count);
        var header = rows[0];
        Assert.Equal(schema.Columns, header);
        string Cell(List<string> row, string column) => row[header.IndexOf(column)];
        Assert.All(rows, r => Assert.Equal(header.Count, r.Count));
        Assert.Equal("r" + cell, Cell(rows[1], "run"));
        Assert.Equal(cell, Cell(rows[1], "label"));
        Assert.Equal(cell, Cell(rows[1], "quantity"));
        Assert.Equal(cell, Cell(rows[1], "split"));
        Assert.Equal("1.25", Cell(rows[1], "value"));
        Assert.Equal("3", Cell(rows[1], "seed"));
        Assert.Equal("-0.5", Cell(rows[2], "value"));
        Assert.Equal(cell, Cell(rows[2], "label"));
    }

    [Fact]
    public void TheStrictReaderRefusesALoneCrOutsideQuotes() // its must-fail control
    {
        Assert.Throws<FormatException>(() => Rfc4180("a,b\nx\ry,z\n"));
        Assert.Throws<FormatException>(() => Rfc4180("a,b\nx\"y,z\n"));
        Assert.Throws<FormatException>(() => Rfc4180("a,b\n\"x\"y,z\n"));
        Assert.Equal(
            [
                ["a", "b"],
                ["x\ry", "z"],
            ],
            Rfc4180("a,b\n\"x\ry\",z\n")
        );
    }

    [Fact]
    public void AFailedAtomicWriteLeavesThePreviousFileWhole()
    {
        var path = Path.Combine(_dir, "run.json");
        var old = Encoding.UTF8.GetBytes("{\"status\": \"completed\"}\n");
        File.WriteAllBytes(path, old);
        Assert.Throws<IOException>(() =>
            AtomicFile.Write(
                path,
                s =>
                {
                    s.Write(Encoding.UTF8.GetBytes("{\"status\": \"runn"));
                    s.Flush();
                    throw new IOException("No space left on device");
                }
            )
        );
        Assert.Equal(old, File.ReadAllBytes(path));
        Assert.False(File.Exists(AtomicFile.PartialPath(path)), "a partial file was left");
    }

    [Fact]
    public void AFailedMergeLeavesThePreviousTableWhole()
    {
        var table = Path.Combine(_dir, "study.csv");
        var old = Encoding.UTF8.GetBytes("study,run\ns,r0\n");
        File.WriteAllBytes(table, old);
        var a = Path.Combine(_dir, "a.csv");
        var b = Path.Combine(_dir, "b.csv");
        File.WriteAllText(a, "study,run\ns,r1\n");
        File.WriteAllText(b, "study,other\ns,r2\n"); // another header: the merge fails part-way
        Assert.ThrowsAny<Exception>(() => TidyTable.Merge([a, b], table));
        Assert.Equal(old, File.ReadAllBytes(table));
        Assert.False(File.Exists(AtomicFile.PartialPath(table)));
    }

    [Fact]
    public void AFailedCheckpointSaveLeavesThePreviousCheckpoint()
    {
        var store = new FileCheckpointStore(Path.Combine(_dir, "r.ckpt"));
        store.Save([1, 2, 3]);
        // the temporary file cannot be created (a folder in its place): the save fails, the checkpoint stays
        Directory.CreateDirectory(AtomicFile.PartialPath(store.Path));
        Assert.ThrowsAny<Exception>(() => store.Save([4, 5, 6]));
        Directory.Delete(AtomicFile.PartialPath(store.Path));
        Assert.Equal(new byte[] { 1, 2, 3 }, new FileCheckpointStore(store.Path).TryLoadLatest());
    }

    private static (int code, string stdout, string stderr) Bounded(params string[] args)
    {
        var task = Task.Run(() => Repo.Cli(args));
        Assert.True(
            task.Wait(TimeSpan.FromSeconds(120)),
            "the command did not return: it read a pipe or device"
        );
        return task.Result;
    }

    private static string[] DataRun(string data, string outDir) =>
        TinyStudies.ApproximationOnCsv(data, "--optimizer", "sgd", "--lr", "0.1", "--out", outDir, "--dry-run");

    [Fact]
    public void ADataPathThatIsAPipeIsRefusedWithoutWaitingForAWriter()
    {
        var fifo = Path.Combine(_dir, "data.csv");
        using (var p = Process.Start("mkfifo", [fifo]))
            p.WaitForExit();
        Assert.True(File.Exists(fifo), "mkfifo failed");
        var outDir = Path.Combine(_dir, "o");
        var (code, _, stderr) = Bounded(DataRun(fifo, outDir));
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Contains(fifo, stderr);
        Assert.Contains("not a regular file", stderr);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void ADeviceAsDataIsRefusedBeforeItIsRead()
    {
        var before = Process.GetCurrentProcess().PeakWorkingSet64;
        var (code, _, stderr) = Bounded(DataRun("/dev/zero", Path.Combine(_dir, "o")));
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Contains("/dev/zero", stderr);
        Assert.Contains("not a regular file", stderr);
        Process.GetCurrentProcess().Refresh();
        Assert.True(
            Process.GetCurrentProcess().PeakWorkingSet64 - before < (512L << 20),
            "reading the device grew the process"
        );
    }

    [Fact]
    public void ADataFileBeyondTheDeclaredBoundIsRefusedBeforeItIsRead()
    {
        var big = Path.Combine(_dir, "big.csv");
        using (var f = new FileStream(big, FileMode.Create))
        {
            f.Write("x1,label\n"u8);
            f.SetLength(DataFile.MaxBytes + 1); // sparse: no disk used
        }
        var (code, _, stderr) = Bounded(DataRun(big, Path.Combine(_dir, "o")));
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Contains($"at most {DataFile.MaxBytes} bytes", stderr);
    }
}
