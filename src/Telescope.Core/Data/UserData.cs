using System.Globalization;
using System.Text.Json.Nodes;
using static Telescope.ParameterNames;

namespace Telescope.Data;

/// <summary>
/// A user's IDX files as a <see cref="Dataset"/>: an array of examples <c>[n, …]</c> (images <c>[n, rows, cols]</c>
/// become shape <c>[1, rows, cols]</c>, so the CNN takes them; <c>[n, d]</c> shape <c>[d]</c>) and a 1-D array of
/// <c>n</c> targets, any IDX element type (<see cref="Idx.ReadValues"/>). Unsigned-byte examples are divided by 255
/// (pixels in [0, 1], as the MNIST loaders do), other types are kept as they are. The targets are decoded as a table's
/// target column is (<see cref="TabularData.DecodeTarget"/>), so whole-number labels become classes.
/// </summary>
public static class IdxData
{
    /// <summary>Load examples from <paramref name="examplesPath"/> and targets from <paramref name="targetsPath"/>.</summary>
    public static Dataset Load(
        string examplesPath,
        string targetsPath,
        TargetTask task = TargetTask.Auto,
        Dataset? reference = null
    )
    {
        var x = Idx.ReadValues(examplesPath);
        var y = Idx.ReadValues(targetsPath);
        if (y.Dims.Length != 1)
            throw new InvalidDataException(
                $"{targetsPath}: expected a 1-D array of targets, found [{string.Join('×', y.Dims)}]"
            );
        if (y.Count != x.Count)
            throw new InvalidDataException(
                $"{targetsPath} holds {y.Count} targets for {x.Count} examples in {examplesPath}"
            );
        int[] shape = x.Dims.Length switch
        {
            1 => [1],
            2 => [x.Dims[1]],
            3 => [1, x.Dims[1], x.Dims[2]],
            _ => x.Dims[1..],
        };
        bool bytes = x.Type == IdxType.UInt8;
        var values = bytes ? x.Values.Select(v => v / 255).ToArray() : x.Values;
        int features = values.Length / x.Count;
        for (int i = 0; i < values.Length; i++)
            if (!double.IsFinite(values[i]))
                throw new InvalidDataException(
                    $"{examplesPath}: value {i % features} of example {i / features} is {values[i].ToString(CultureInfo.InvariantCulture)}, not a finite number"
                );
        var t = TabularData.DecodeTarget(
            y.Values.Select(v => (object?)v).ToArray(),
            i => $"{targetsPath}: target {i}",
            "target",
            task,
            reference
        );
        var file = DataFile.Of(examplesPath, x.Count);
        var labels = DataFile.Of(targetsPath, y.Count);
        var data = new Dataset(
            Path.GetFileName(examplesPath),
            "",
            shape,
            values,
            t.Labels,
            t.Classes,
            t.Values
        )
        {
            ClassNames = t.ClassNames,
            TargetName = Path.GetFileName(targetsPath),
            Files = [file, labels],
        }.Validate();
        return data with
        {
            Source =
                $"your IDX files {file.Path} ({x.Type}, [{string.Join('×', x.Dims)}], sha256 {file.Sha256[..12]}…{(bytes ? ", divided by 255" : "")}) and {labels.Path} (sha256 {labels.Sha256[..12]}…): "
                + TabularData.TaskText(data),
        };
    }
}

/// <summary>
/// A request for the user's data, as a study takes it: a training file (a CSV file, or an IDX examples file whose
/// targets file is <see cref="Target"/>), the target column, the task, optional feature columns, and a test file or a
/// seeded held-out fraction. <see cref="Problems"/> checks it without reading the files; <see cref="Load"/> reads them
/// (bad files: one <see cref="InvalidDataException"/> line naming file, row and column); <see cref="ToJson"/> is what
/// run.json records.
/// </summary>
/// <param name="Path">The training file (or the only file, split by <see cref="TestFraction"/>).</param>
/// <param name="Target">The target column (CSV) or the targets file (IDX).</param>
/// <param name="Task">Classification, regression or decided from the values.</param>
/// <param name="Features">Feature columns (CSV; null: every column but the target).</param>
/// <param name="TestPath">A test file with the same columns (null: hold out <see cref="TestFraction"/> of the rows).</param>
/// <param name="TestFraction">The held-out fraction of <see cref="Path"/>'s rows when there is no test file.</param>
/// <param name="SplitSeed">The seed of that split (<see cref="Dataset.Split"/>).</param>
public sealed record UserData(
    string Path,
    string Target,
    TargetTask Task = TargetTask.Auto,
    IReadOnlyList<string>? Features = null,
    string? TestPath = null,
    double TestFraction = TabularData.DefaultTestFraction,
    long SplitSeed = 0
)
{
    /// <summary>Whether <paramref name="path"/> is read as IDX (by its content), else CSV.</summary>
    public static bool IsIdx(string path) => File.Exists(path) && Idx.LooksLikeIdx(path);

    /// <summary>Every problem found without reading the files (options as the CLI spells them).</summary>
    public IEnumerable<string> Problems()
    {
        if (!File.Exists(Path))
            yield return $"{Option("data")}: no file '{Path}'";
        if (string.IsNullOrWhiteSpace(Target))
            yield return $"{Option("data")} needs {Option("target")} (the target column of the file)";
        if (TestPath is not null && !File.Exists(TestPath))
            yield return $"{Option("test")}: no file '{TestPath}'";
        if (TestPath is null && !(TestFraction > 0 && TestFraction < 1))
            yield return $"{Option("test-fraction")} must lie strictly between 0 and 1, got {TestFraction.ToString(CultureInfo.InvariantCulture)}";
        if (IsIdx(Path))
        {
            if (!string.IsNullOrWhiteSpace(Target) && !File.Exists(Target))
                yield return $"{Option("target")}: {Path} is an IDX file, so {Option("target")} names its targets file; no file '{Target}'";
            if (TestPath is not null)
                yield return $"{Option("test")} FILE takes a CSV file; hold out IDX rows with {Option("test-fraction")}";
            if (Features is not null)
                yield return $"{Option("features")} selects CSV columns; an IDX file has none";
        }
    }

    /// <summary>Read the files: (training rows, test rows).</summary>
    public (Dataset Train, Dataset Test) Load()
    {
        if (IsIdx(Path))
            return IdxData.Load(Path, Target, Task).Split(TestFraction, SplitSeed);
        if (TestPath is not null)
            return CsvData.LoadPair(Path, TestPath, Target, Task, Features);
        return CsvData.Load(Path, Target, Task, Features).Split(TestFraction, SplitSeed);
    }

    /// <summary>The data source line of a loaded pair: the user's file(s) and how the test rows were chosen.</summary>
    public string Describe(Dataset train, Dataset test) =>
        train.Source
        + (
            TestPath is not null
                ? $"; test rows: your file {test.Files[0].Path} (sha256 {test.Files[0].Sha256[..12]}…)"
                : $"; test rows: a seeded {TestFraction.ToString(CultureInfo.InvariantCulture)} of the rows (split seed {SplitSeed})"
        )
        + $"; {train.Count} train / {test.Count} test rows";

    /// <summary>What run.json records: each file's path, size, SHA-256 and rows, the split, target, task, columns, classes and row counts.</summary>
    public JsonObject ToJson(Dataset train, Dataset test)
    {
        JsonArray Files(Dataset d) => new(d.Files.Select(f => (JsonNode)f.ToJson()).ToArray());
        JsonNode? Names(IReadOnlyList<string>? xs) =>
            xs is null ? null : new JsonArray(xs.Select(x => (JsonNode)x).ToArray());
        return new JsonObject
        {
            ["format"] = IsIdx(Path) ? "idx" : "csv",
            ["files"] = Files(train),
            ["test_files"] = TestPath is null ? null : Files(test),
            ["test_fraction"] = TestPath is null ? TestFraction : null,
            ["split_seed"] = TestPath is null ? SplitSeed : null,
            ["target"] = Target,
            ["task"] = TabularData.Word(
                train.IsRegression ? TargetTask.Regression : TargetTask.Classification
            ),
            ["task_asked"] = TabularData.Word(Task),
            ["features"] = Names(train.FeatureNames),
            ["shape"] = new JsonArray(train.Shape.Select(s => (JsonNode)s).ToArray()),
            ["classes"] = Names(train.ClassNames),
            ["train_rows"] = train.Count,
            ["test_rows"] = test.Count,
        };
    }
}
