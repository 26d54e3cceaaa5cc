using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using static Telescope.ParameterNames;

namespace Telescope.Data;

/// <summary>What a target column is: class labels or real values.</summary>
public enum TargetTask
{
    /// <summary>
    /// Decide from the values: classification when every value is a word, or every value is a whole number and there
    /// are at most <see cref="TabularData.MaxAutoClasses"/> distinct ones; otherwise regression.
    /// </summary>
    Auto,

    /// <summary>Every distinct value is a class (numbers in numeric order, else words in ordinal order: labels 0…k−1).</summary>
    Classification,

    /// <summary>Every value is a real target (squared loss on the value itself).</summary>
    Regression,
}

/// <summary>A file a data set was read from, as run.json records it.</summary>
/// <param name="Path">Full path.</param>
/// <param name="Bytes">Size in bytes.</param>
/// <param name="Sha256">SHA-256 of the file's bytes, lower-case hex.</param>
/// <param name="Rows">Data rows read from it.</param>
public sealed record DataFile(string Path, long Bytes, string Sha256, int Rows)
{
    /// <summary>
    /// The most bytes a data file may hold (and an IDX file may unpack to): 512 MiB, checked before it is read, so a
    /// huge file or a gzip bomb is one line rather than a process that grows past the machine's memory.
    /// </summary>
    public const long MaxBytes = 512L << 20;

    /// <summary>The provenance of the file at <paramref name="path"/> (hashes it).</summary>
    public static DataFile Of(string path, int rows)
    {
        var full = System.IO.Path.GetFullPath(path);
        using var f = File.OpenRead(full);
        var sha = Convert.ToHexStringLower(SHA256.HashData(f));
        return new DataFile(full, new FileInfo(full).Length, sha, rows);
    }

    /// <summary>The provenance of the file at <paramref name="path"/> whose bytes (read once) are <paramref name="bytes"/>.</summary>
    public static DataFile Of(string path, byte[] bytes, int rows) =>
        new(
            System.IO.Path.GetFullPath(path),
            bytes.LongLength,
            Convert.ToHexStringLower(SHA256.HashData(bytes)),
            rows
        );

    /// <summary>
    /// The bytes of the data file <paramref name="path"/>, read once: it must be a regular file of at most
    /// <see cref="MaxBytes"/> bytes. A pipe, a device (<c>/dev/zero</c>) or a <c>/proc</c> file reports no size and is
    /// refused before it is opened (opening a pipe would wait for a writer forever); so is an empty file.
    /// <see cref="FileNotFoundException"/> when it is missing, else <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static byte[] ReadBounded(
        string path,
        string empty = "expected a header row naming the columns"
    )
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"{path}: no such file", path);
        if (info.Length == 0)
            throw new InvalidDataException(
                $"{path}:1:1: empty file: {empty} (or not a regular file: a pipe or a device is not read)"
            );
        if (info.Length > MaxBytes)
            throw new InvalidDataException(
                $"{path}: {info.Length} bytes; a data file may hold at most {MaxBytes} bytes ({MaxBytes >> 20} MiB)"
            );
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var bytes = new byte[info.Length];
        int n = f.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        if (n != bytes.Length || f.ReadByte() >= 0)
            throw new InvalidDataException(
                $"{path}: the file changed size while it was read ({info.Length} bytes, then {(n != bytes.Length ? n : "more")}); read it again when it is complete"
            );
        return bytes;
    }

    /// <summary>As a JSON object: path, bytes, sha256, rows.</summary>
    public JsonObject ToJson() =>
        new()
        {
            ["path"] = Path,
            ["bytes"] = Bytes,
            ["sha256"] = Sha256,
            ["rows"] = Rows,
        };
}

public sealed partial record Dataset
{
    /// <summary>Feature names (a table's column names), when known.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Class names by label (a table's target values), when known; null for regression.</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }

    /// <summary>The target column's name, when the data came from a table.</summary>
    public string? TargetName { get; init; }

    /// <summary>The files the rows were read from (path, size, SHA-256, rows), for provenance.</summary>
    public IReadOnlyList<DataFile> Files { get; init; } = [];

    /// <summary>This data set with another <see cref="Source"/> line (for faces that cannot use <c>with</c>).</summary>
    public Dataset WithSource(string source) => this with { Source = source };

    /// <summary>Whether the targets are real values (<see cref="TargetValues"/> set) rather than classes.</summary>
    public bool IsRegression => TargetValues is not null;

    /// <summary>
    /// A classification data set from a feature matrix <c>[n, d]</c> and class labels 0…k−1 (k =
    /// <paramref name="classes"/>, default max label + 1, at least 2). Throws <see cref="InvalidDataException"/>
    /// naming the row and column of a non-finite feature, or the row of a bad label.
    /// </summary>
    public static Dataset FromArrays(
        double[,] x,
        int[] labels,
        IReadOnlyList<string>? featureNames = null,
        int? classes = null,
        string name = "arrays"
    ) => FromArrays(Rows(x), labels, featureNames, classes, name);

    /// <summary>The same from rows (<c>x[i]</c> is row i; every row of one length).</summary>
    public static Dataset FromArrays(
        double[][] x,
        int[] labels,
        IReadOnlyList<string>? featureNames = null,
        int? classes = null,
        string name = "arrays"
    )
    {
        var (flat, d) = Flatten(x, labels.Length, name);
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0)
                throw new InvalidDataException(
                    $"{name}: label {labels[i]} of row {i} is negative (labels are 0…k−1)"
                );
        int k = classes ?? (labels.Length == 0 ? 0 : labels.Max() + 1);
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] >= k)
                throw new InvalidDataException(
                    $"{name}: label {labels[i]} of row {i} is outside 0…{k - 1}"
                );
        if (labels.Distinct().Count() < 2)
            throw new InvalidDataException(
                $"{name}: the labels hold {labels.Distinct().Count()} class(es); classification needs at least 2"
            );
        return new Dataset(
            name,
            $"your arrays: {labels.Length} rows × {d} features, classification, {k} classes",
            [d],
            flat,
            labels,
            k
        )
        {
            FeatureNames = featureNames ?? DefaultNames(d),
            ClassNames = Enumerable
                .Range(0, k)
                .Select(c => c.ToString(CultureInfo.InvariantCulture))
                .ToArray(),
        }.Checked();
    }

    /// <summary>A regression data set from a feature matrix <c>[n, d]</c> and real targets.</summary>
    public static Dataset FromArrays(
        double[,] x,
        double[] targets,
        IReadOnlyList<string>? featureNames = null,
        string name = "arrays"
    ) => FromArrays(Rows(x), targets, featureNames, name);

    /// <summary>The same from rows.</summary>
    public static Dataset FromArrays(
        double[][] x,
        double[] targets,
        IReadOnlyList<string>? featureNames = null,
        string name = "arrays"
    )
    {
        var (flat, d) = Flatten(x, targets.Length, name);
        for (int i = 0; i < targets.Length; i++)
            if (!double.IsFinite(targets[i]))
                throw new InvalidDataException(
                    $"{name}: target of row {i} is {targets[i].ToString(CultureInfo.InvariantCulture)}, not a finite number"
                );
        return new Dataset(
            name,
            $"your arrays: {targets.Length} rows × {d} features, regression",
            [d],
            flat,
            new int[targets.Length],
            1,
            (double[])targets.Clone()
        )
        {
            FeatureNames = featureNames ?? DefaultNames(d),
        }.Checked();
    }

    internal static string[] DefaultNames(int d) =>
        Enumerable.Range(1, d).Select(j => $"x{j}").ToArray();

    private static double[][] Rows(double[,] x)
    {
        var rows = new double[x.GetLength(0)][];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = new double[x.GetLength(1)];
            for (int j = 0; j < rows[i].Length; j++)
                rows[i][j] = x[i, j];
        }
        return rows;
    }

    private static (double[] flat, int d) Flatten(double[][] x, int n, string name)
    {
        if (x.Length != n)
            throw new InvalidDataException($"{name}: {x.Length} feature rows for {n} targets");
        if (n == 0)
            throw new InvalidDataException($"{name}: no rows");
        int d = x[0].Length;
        if (d == 0)
            throw new InvalidDataException($"{name}: rows have no features");
        var flat = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            if (x[i].Length != d)
                throw new InvalidDataException(
                    $"{name}: row {i} has {x[i].Length} features, row 0 has {d}"
                );
            for (int j = 0; j < d; j++)
            {
                if (!double.IsFinite(x[i][j]))
                    throw new InvalidDataException(
                        $"{name}: feature {j} of row {i} is {x[i][j].ToString(CultureInfo.InvariantCulture)}, not a finite number"
                    );
                flat[i * d + j] = x[i][j];
            }
        }
        return (flat, d);
    }

    private Dataset Checked()
    {
        if (FeatureNames is { } names && names.Count != Features)
            throw new InvalidDataException(
                $"{Name}: {names.Count} feature names for {Features} features"
            );
        return Validate();
    }

    /// <summary>
    /// A seeded train/test split: a permutation of the rows drawn from <paramref name="seed"/> (<see cref="Rng"/>,
    /// its own stream), the first round(<paramref name="testFraction"/> × n) rows of it held out, the rest for training
    /// (both in permutation order). The same seed gives the same split on every machine. Throws
    /// <see cref="InvalidDataException"/> when either part would be empty or, for classification, the training part
    /// would hold a single class.
    /// </summary>
    public (Dataset Train, Dataset Test) Split(double testFraction, long seed = 0)
    {
        if (!(testFraction > 0 && testFraction < 1))
            throw new ArgumentException(
                $"a test fraction must lie strictly between 0 and 1, got {testFraction.ToString(CultureInfo.InvariantCulture)}"
            );
        int nTest = (int)Math.Round(testFraction * Count, MidpointRounding.AwayFromZero);
        if (nTest < 1 || nTest >= Count)
            throw new InvalidDataException(
                $"{Name}: a test fraction of {testFraction.ToString(CultureInfo.InvariantCulture)} of {Count} rows leaves {(nTest < 1 ? "no test rows" : "no training rows")}"
            );
        var perm = new Rng(seed, stream: TabularData.SplitStream).Permutation(Count);
        var train = Take(perm[nTest..]);
        var test = Take(perm[..nTest]);
        if (!IsRegression && train.Labels.Distinct().Count() < 2)
            throw new InvalidDataException(
                $"{Name}: the training part of the split (seed {seed}) holds a single class; use another split seed or a smaller test fraction"
            );
        return (train, test);
    }
}

/// <summary>
/// Tables (CSV files, frames, rows of cells) as <see cref="Dataset"/>s: feature columns and one target column. The one
/// place where cells become numbers, so every source rejects the same things with one line naming where: an empty
/// cell, a cell that is not a number, a non-finite number, a missing target column, fewer than two classes.
/// </summary>
public static class TabularData
{
    /// <summary><see cref="TargetTask.Auto"/> reads whole-number targets with at most this many distinct values as classes.</summary>
    public const int MaxAutoClasses = 20;

    /// <summary>The held-out fraction when the data has no test file (the CLI's <c>--test-fraction</c> default).</summary>
    public const double DefaultTestFraction = 0.2;

    /// <summary>The <see cref="Rng"/> stream of <see cref="Dataset.Split"/>.</summary>
    public const ulong SplitStream = 17;

    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>What the targets are, in words: <c>regression</c>, or <c>classification, 2 classes 0/1</c>.</summary>
    public static string TaskText(Dataset d) =>
        d.IsRegression
            ? "regression"
            : $"classification, {d.Classes} classes {string.Join("/", d.ClassNames ?? [])}";

    /// <summary>The task's name as the CLI spells it.</summary>
    public static string Word(TargetTask t) => t.ToString().ToLowerInvariant();

    /// <summary>
    /// A data set from a table: <paramref name="columns"/> (names) and <paramref name="rows"/> (each a cell per column:
    /// a number, text, or null for a missing cell). <paramref name="features"/> names the feature columns (default:
    /// every column but the target). <paramref name="where"/> spells a cell's place in messages (row index, column
    /// index → <c>file.csv:7:3</c>); <paramref name="header"/> the place of the header. With
    /// <paramref name="reference"/> (the training data), the task, the classes and the feature columns are its own:
    /// a class it does not know is refused.
    /// </summary>
    public static Dataset FromRows(
        string name,
        string source,
        IReadOnlyList<string> columns,
        IReadOnlyList<IReadOnlyList<object?>> rows,
        string target,
        TargetTask task = TargetTask.Auto,
        IReadOnlyList<string>? features = null,
        Func<int, int, string>? where = null,
        string? header = null,
        Dataset? reference = null
    )
    {
        where ??= (i, j) => $"{name}: row {i + 1}, column {j + 1}";
        header ??= $"{name}: header";
        int t = Index(columns, target, header, "target");
        var names = reference?.FeatureNames
            ?? features
            ?? columns.Where((_, j) => j != t).ToArray();
        if (names.Count == 0)
            throw new InvalidDataException(
                $"{header}: no feature columns besides the target '{target}'"
            );
        var cols = names.Select(f => Index(columns, f, header, "feature")).ToArray();
        if (cols.Contains(t))
            throw new InvalidDataException(
                $"{header}: the target '{target}' cannot also be a feature"
            );
        if (FirstRepeat(cols) is > 0 and var rep)
            throw new InvalidDataException($"{header}: feature '{names[rep]}' is named twice");
        if (rows.Count == 0)
            throw new InvalidDataException($"{header}: no data rows");
        int d = cols.Length;
        var x = new double[rows.Count * d];
        for (int i = 0; i < rows.Count; i++)
        {
            if (rows[i].Count != columns.Count)
                throw new InvalidDataException(
                    $"{where(i, Math.Min(rows[i].Count, columns.Count))}: {rows[i].Count} cells; the header has {columns.Count} columns"
                );
            for (int j = 0; j < d; j++)
                x[i * d + j] = Number(rows[i][cols[j]], where(i, cols[j]), $"column '{names[j]}'");
        }
        var cells = rows.Select(r => r[t]).ToArray();
        var y = DecodeTarget(cells, i => where(i, t), target, task, reference);
        return new Dataset(name, source, [d], x, y.Labels, y.Classes, y.Values)
        {
            FeatureNames = names.ToArray(),
            ClassNames = y.ClassNames,
            TargetName = target,
        }.Validate();
    }

    private static int FirstRepeat(int[] cols)
    {
        for (int j = 1; j < cols.Length; j++)
            if (Array.IndexOf(cols, cols[j]) < j)
                return j;
        return 0;
    }

    private static int Index(IReadOnlyList<string> columns, string name, string header, string what)
    {
        for (int j = 0; j < columns.Count; j++)
            if (columns[j] == name)
                return j;
        throw new InvalidDataException(
            $"{header}: no {what} column '{name}' (columns: {string.Join(", ", columns)})"
        );
    }

    /// <summary>A cell as a finite number (a boolean as 0/1, as Deedle types a 0/1 column), or an <see cref="InvalidDataException"/> <c>WHERE: 'abc' is not a number (WHAT)</c>.</summary>
    public static double Number(object? cell, string where, string what)
    {
        switch (cell)
        {
            case null:
                throw new InvalidDataException($"{where}: empty cell ({what})");
            case bool b:
                return b ? 1 : 0;
            case string s:
                var text = s.Trim();
                if (text.Length == 0)
                    throw new InvalidDataException($"{where}: empty cell ({what})");
                if (!double.TryParse(text, NumberStyles.Float, C, out var v))
                    throw new InvalidDataException($"{where}: '{text}' is not a number ({what})");
                if (!double.IsFinite(v))
                    throw new InvalidDataException(
                        $"{where}: '{text}' is not a finite number ({what})"
                    );
                return v;
            case IConvertible c when c.GetTypeCode() is >= TypeCode.SByte and <= TypeCode.Decimal:
                var x = c.ToDouble(C);
                if (!double.IsFinite(x))
                    throw new InvalidDataException(
                        $"{where}: '{x.ToString(C)}' is not a finite number ({what})"
                    );
                return x;
            default:
                return Number(Convert.ToString(cell, C), where, what);
        }
    }

    private static bool TryNumber(object? cell, out double v)
    {
        v = 0;
        switch (cell)
        {
            case null:
                return false;
            case bool b:
                v = b ? 1 : 0;
                return true;
            case string s:
                return double.TryParse(s.Trim(), NumberStyles.Float, C, out v);
            case IConvertible c when c.GetTypeCode() is >= TypeCode.SByte and <= TypeCode.Decimal:
                v = c.ToDouble(C);
                return true;
            default:
                return double.TryParse(Convert.ToString(cell, C), NumberStyles.Float, C, out v);
        }
    }

    /// <summary>A decoded target column.</summary>
    internal sealed record Target(
        TargetTask Task,
        int[] Labels,
        int Classes,
        string[]? ClassNames,
        double[]? Values
    );

    /// <summary>
    /// A target column as labels or values (see <see cref="TargetTask"/>); <paramref name="where"/> spells row i's
    /// cell in messages. With <paramref name="reference"/> (the training data) its task and classes are used.
    /// </summary>
    internal static Target DecodeTarget(
        IReadOnlyList<object?> cells,
        Func<int, string> where,
        string target,
        TargetTask task = TargetTask.Auto,
        Dataset? reference = null
    )
    {
        if (reference is not null)
            task = reference.IsRegression ? TargetTask.Regression : TargetTask.Classification;
        int n = cells.Count;
        string What(string t) => $"target '{target}'{t}";
        if (task == TargetTask.Regression)
        {
            var values = new double[n];
            for (int i = 0; i < n; i++)
                values[i] = Number(cells[i], where(i), What(", regression"));
            return new Target(TargetTask.Regression, new int[n], 1, null, values);
        }
        // class keys: a number's shortest round-trip text (1 and 1.0 are one class), else the trimmed word
        var keys = new string[n];
        var numeric = new double?[n];
        for (int i = 0; i < n; i++)
        {
            var cell = cells[i];
            var text = cell is string s ? s.Trim() : Convert.ToString(cell, C)?.Trim();
            if (string.IsNullOrEmpty(text))
                throw new InvalidDataException($"{where(i)}: empty cell ({What("")})");
            if (TryNumber(cell, out var v))
            {
                if (!double.IsFinite(v))
                    throw new InvalidDataException(
                        $"{where(i)}: '{text}' is not a finite number ({What("")})"
                    );
                numeric[i] = v;
                keys[i] = v.ToString("R", C);
            }
            else
                keys[i] = text;
        }
        if (task == TargetTask.Auto && reference is null)
        {
            int words = numeric.Count(v => v is null);
            if (words > 0 && words < n)
            {
                int i = Array.FindIndex(numeric, v => v is null);
                throw new InvalidDataException(
                    $"{where(i)}: '{keys[i]}' is not a number ({What($" holds numbers in other rows; {Option("task")} classification reads every value as a class name")})"
                );
            }
            bool wholeFew =
                words == 0
                && numeric.All(v => v!.Value == Math.Floor(v.Value))
                && keys.Distinct().Count() <= MaxAutoClasses;
            if (words == 0 && !wholeFew)
            {
                var values = numeric.Select(v => v!.Value).ToArray();
                return new Target(TargetTask.Regression, new int[n], 1, null, values);
            }
        }
        string[] classes;
        if (reference is not null)
            classes = reference.ClassNames?.ToArray()
                ?? Enumerable.Range(0, reference.Classes).Select(c => c.ToString(C)).ToArray();
        else
        {
            var distinct = keys.Distinct().ToList();
            classes = numeric.All(v => v is not null)
                ? distinct.OrderBy(k => double.Parse(k, C)).ToArray()
                : distinct.Order(StringComparer.Ordinal).ToArray();
            if (classes.Length < 2)
                throw new InvalidDataException(
                    $"{where(0)}: {What("")} holds one class ('{classes[0]}') in all {n} rows; classification needs at least 2 (or {Option("task")} regression)"
                );
        }
        var index = classes.Select((k, c) => (k, c)).ToDictionary(p => p.k, p => p.c);
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            if (!index.TryGetValue(keys[i], out labels[i]))
                throw new InvalidDataException(
                    $"{where(i)}: class '{keys[i]}' of {What("")} does not occur in the training data (classes: {string.Join(", ", classes)})"
                );
        return new Target(TargetTask.Classification, labels, classes.Length, classes, null);
    }
}
