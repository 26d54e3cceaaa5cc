using Deedle;
using Parquet;
using Parquet.Schema;

namespace Telescope.Frames;

/// <summary>
/// Tidy frames as Parquet files that pandas, polars and Arrow read as they are: one flat column per
/// frame column, in order, every column optional (nullable). Types: whole-number columns
/// (<see cref="int"/>, <see cref="long"/>) → INT64; other numbers → DOUBLE (missing → null, not NaN);
/// <see cref="bool"/> → BOOLEAN; everything else → UTF-8 STRING. One row group; written atomically.
/// </summary>
public static class TidyParquet
{
    /// <summary>The Parquet type a frame column is written as.</summary>
    internal enum ColumnKind
    {
        /// <summary>INT64 (nullable).</summary>
        Int64,

        /// <summary>DOUBLE (nullable).</summary>
        Double,

        /// <summary>BOOLEAN (nullable).</summary>
        Boolean,

        /// <summary>UTF-8 string (nullable).</summary>
        String,
    }

    /// <summary>The kind a column of CLR type <paramref name="t"/> is written as.</summary>
    internal static ColumnKind KindOf(Type t) =>
        (Nullable.GetUnderlyingType(t) ?? t) switch
        {
            var x
                when x == typeof(int)
                    || x == typeof(long)
                    || x == typeof(short)
                    || x == typeof(byte) => ColumnKind.Int64,
            var x when x == typeof(double) || x == typeof(float) || x == typeof(decimal) =>
                ColumnKind.Double,
            var x when x == typeof(bool) => ColumnKind.Boolean,
            _ => ColumnKind.String,
        };

    /// <summary>Write <paramref name="frame"/> to <paramref name="path"/> (row keys are not written).</summary>
    public static void Save<TRow>(Frame<TRow, string> frame, string path)
        where TRow : notnull => SaveAsync(frame, path).GetAwaiter().GetResult();

    /// <summary>Write <paramref name="frame"/> to <paramref name="path"/> (row keys are not written).</summary>
    public static async Task SaveAsync<TRow>(
        Frame<TRow, string> frame,
        string path,
        CancellationToken cancel = default
    )
        where TRow : notnull
    {
        var columns = frame.ColumnKeys.ToList();
        var types = frame.ColumnTypes.ToList();
        var kinds = types.Select(KindOf).ToList();
        var fields = columns
            .Select(
                (c, i) =>
                    kinds[i] switch
                    {
                        ColumnKind.Int64 => (DataField)new DataField<long?>(c),
                        ColumnKind.Double => new DataField<double?>(c),
                        ColumnKind.Boolean => new DataField<bool?>(c),
                        _ => new DataField(c, typeof(string), true),
                    }
            )
            .ToArray();
        var schema = new ParquetSchema(fields);
        var partial = AtomicFile.PartialPath(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        try
        {
            await using (var stream = File.Create(partial))
            {
                await using var writer = await ParquetWriter.CreateAsync(
                    schema,
                    stream,
                    cancellationToken: cancel
                );
                using var rg = writer.CreateRowGroup();
                for (int i = 0; i < columns.Count; i++)
                {
                    var values = frame.GetColumn<object>(columns[i]).GetAllValues().ToList();
                    switch (kinds[i])
                    {
                        case ColumnKind.Int64:
                            await rg.WriteAsync<long>(
                                fields[i],
                                values
                                    .Select(v =>
                                        v.HasValue ? Convert.ToInt64(v.Value) : (long?)null
                                    )
                                    .ToArray(),
                                cancellationToken: cancel
                            );
                            break;
                        case ColumnKind.Double:
                            await rg.WriteAsync<double>(
                                fields[i],
                                values
                                    .Select(v =>
                                        v.HasValue
                                        && TidyFrames.ToNumber(v.Value) is var x
                                        && !double.IsNaN(x)
                                            ? x
                                            : (double?)null
                                    )
                                    .ToArray(),
                                cancellationToken: cancel
                            );
                            break;
                        case ColumnKind.Boolean:
                            await rg.WriteAsync<bool>(
                                fields[i],
                                values
                                    .Select(v => v.HasValue ? (bool?)(bool)v.Value : null)
                                    .ToArray(),
                                cancellationToken: cancel
                            );
                            break;
                        default:
                            await rg.WriteAsync(
                                fields[i],
                                values
                                    .Select(v => v.HasValue ? TidyFrames.Format(v.Value) : null)
                                    .ToArray()!,
                                null
                            );
                            break;
                    }
                }
            }
            File.Move(partial, path, overwrite: true);
        }
        catch
        {
            AtomicFile.TryDelete(partial);
            throw;
        }
    }

    /// <summary>Read a flat Parquet file (every row group) as a frame with row keys 0..n−1.</summary>
    public static Frame<int, string> Load(string path) => LoadAsync(path).GetAwaiter().GetResult();

    /// <summary>Read a flat Parquet file (every row group) as a frame with row keys 0..n−1.</summary>
    public static async Task<Frame<int, string>> LoadAsync(
        string path,
        CancellationToken cancel = default
    )
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"parquet file not found: {path}", path);
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancel);
        var fields = reader.Schema.GetDataFields();
        var data = fields.Select(_ => new List<object?>()).ToList();
        foreach (var rg in reader.RowGroups)
        {
            int n = checked((int)rg.RowCount);
            for (int i = 0; i < fields.Length; i++)
            {
                var f = fields[i];
                var t = Nullable.GetUnderlyingType(f.ClrType) ?? f.ClrType;
                if (t == typeof(long))
                    data[i].AddRange((await Read<long>(rg, f, n, cancel)).Select(v => (object?)v));
                else if (t == typeof(int))
                    data[i]
                        .AddRange(
                            (await Read<int>(rg, f, n, cancel)).Select(v => (object?)(long?)v)
                        );
                else if (t == typeof(double))
                    data[i]
                        .AddRange((await Read<double>(rg, f, n, cancel)).Select(v => (object?)v));
                else if (t == typeof(float))
                    data[i]
                        .AddRange(
                            (await Read<float>(rg, f, n, cancel)).Select(v => (object?)(double?)v)
                        );
                else if (t == typeof(bool))
                    data[i].AddRange((await Read<bool>(rg, f, n, cancel)).Select(v => (object?)v));
                else if (t == typeof(string) || t == typeof(ReadOnlyMemory<char>))
                {
                    var buf = new string?[n];
                    await rg.ReadAsync(f, buf.AsMemory(), null, cancel);
                    data[i].AddRange(buf);
                }
                else
                    throw new NotSupportedException(
                        $"{path}: column '{f.Name}' has type {t.Name}; only flat int/long/double/float/bool/string columns are read"
                    );
            }
        }
        var b = new FrameBuilder.Columns<int, string>();
        for (int i = 0; i < fields.Length; i++)
        {
            var t = Nullable.GetUnderlyingType(fields[i].ClrType) ?? fields[i].ClrType;
            var vals = data[i];
            ISeries<int> s =
                t == typeof(long) || t == typeof(int) ? Series(vals, v => (long)v)
                : t == typeof(double) || t == typeof(float)
                    ? TidyFrames.Series(vals.Select(v => v is double d ? d : double.NaN).ToList())
                : t == typeof(bool) ? Series(vals, v => (bool)v!)
                : TidyFrames.Series(vals.Select(v => v as string).ToList());
            b.Add(fields[i].Name, s);
        }
        return b.Frame;
    }

    private static async Task<T?[]> Read<T>(
        ParquetRowGroupReader rg,
        DataField f,
        int n,
        CancellationToken cancel
    )
        where T : struct
    {
        var buf = new T?[n];
        await rg.ReadAsync<T>(f, buf.AsMemory(), null, cancel);
        return buf;
    }

    /// <summary>A series of value-typed cells where nulls are missing.</summary>
    private static Series<int, T> Series<T>(List<object?> values, Func<object, T> convert)
    {
        var sb = new SeriesBuilder<int, T>();
        for (int i = 0; i < values.Count; i++)
            if (values[i] is { } v)
                sb.Add(i, convert(v));
        return sb.Series.Realign(Enumerable.Range(0, values.Count));
    }
}
