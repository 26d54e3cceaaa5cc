using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Telescope.Cli;
using Telescope.Cli.Tests;
using Telescope.Data;
using Telescope.Experiments.Studies.Approximation;
using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// Your data (issue 17 item 1): CSV files, arrays and IDX files as <see cref="Dataset"/>s; every bad CSV refused with
/// one <c>file:row:column</c> line, exit 2 and no output; a good one through <c>study approximation</c> with its
/// provenance in run.json; the seeded split.
/// </summary>
public sealed class UserDataTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-data-" + Guid.NewGuid().ToString("N")
    );

    public UserDataTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Two interleaved half-moons, labels 0/1, with a seeded jitter: a CSV the test writes.</summary>
    private static string Moons(int n, long seed = 0, string header = "x1,x2,label")
    {
        var rng = new Rng(seed, stream: 5);
        var sb = new StringBuilder(header + "\n");
        for (int i = 0; i < n; i++)
        {
            int c = i % 2;
            double t = Math.PI * rng.NextDouble();
            double x = c == 0 ? Math.Cos(t) : 1 - Math.Cos(t);
            double y = c == 0 ? Math.Sin(t) : 0.5 - Math.Sin(t);
            sb.Append(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{x + 0.1 * rng.NextGaussian():0.####},{y + 0.1 * rng.NextGaussian():0.####},{c}\n"
                )
            );
        }
        return sb.ToString();
    }

    public static TheoryData<string, string, string> BadFiles =>
        new()
        {
            {
                "ragged",
                "x1,x2,label\n1,2,0\n3,4,1\n5,6\n",
                "4:3: the row ends after 2 cells; the header has 3 columns"
            },
            {
                "long row",
                "x1,x2,label\n1,2,0\n3,4,1,9\n",
                "3:4: the row has 4 cells; the header has 3 columns"
            },
            {
                "non-numeric",
                "x1,x2,label\n1,2,0\n3,abc,1\n",
                "3:2: 'abc' is not a number (column 'x2')"
            },
            {
                "NaN",
                "x1,x2,label\n1,2,0\n3,4,1\nNaN,5,0\n",
                "4:1: 'NaN' is not a finite number (column 'x1')"
            },
            {
                "infinity",
                "x1,x2,label\n1,Infinity,0\n3,4,1\n",
                "2:2: 'Infinity' is not a finite number (column 'x2')"
            },
            { "empty cell", "x1,x2,label\n1,2,0\n3,,1\n", "3:2: empty cell (column 'x2')" },
            { "empty target", "x1,x2,label\n1,2,0\n3,4,\n", "3:3: empty cell (target 'label')" },
            {
                "missing target",
                "x1,x2,y\n1,2,0\n3,4,1\n",
                "1:1: no target column 'label' (columns: x1, x2, y)"
            },
            {
                "empty file",
                "",
                "1:1: empty file: expected a header row naming the columns (or not a regular file: a pipe or a device is not read)"
            },
            {
                "blank file",
                "\n\n  \n",
                "1:1: empty file: expected a header row naming the columns"
            },
            { "header only", "x1,x2,label\n", "2:1: no data rows after the header" },
            {
                "one class",
                "x1,x2,label\n1,2,a\n3,4,a\n5,6,a\n",
                "2:3: target 'label' holds one class ('a') in all 3 rows; classification needs at least 2 (or --task regression)"
            },
            {
                "one numeric class",
                "x1,x2,label\n1,2,1\n3,4,1\n",
                "2:3: target 'label' holds one class ('1') in all 2 rows; classification needs at least 2 (or --task regression)"
            },
            {
                "repeated column",
                "x1,x1,label\n1,2,0\n3,4,1\n",
                "1:2: column 'x1' appears twice (also column 1)"
            },
            {
                "unclosed quote",
                "x1,x2,label\n1,2,0\n3,\"4,1\n",
                "3:2: the quoted cell opened here is never closed"
            },
            {
                "mixed target",
                "x1,x2,label\n1,2,0\n3,4,1\n5,6,b\n",
                "4:3: 'b' is not a number (target 'label' holds numbers in other rows; --task classification reads every value as a class name)"
            },
        };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_bad_csv_is_refused_with_one_file_row_column_line_exit_2_and_no_output(
        string what,
        string text,
        string line
    )
    {
        var csv = Write(what.Replace(' ', '-') + ".csv", text);
        RefusedBoth(csv, "out-" + what.Replace(' ', '-'), $"telescope: {csv}:{line}");
    }

    /// <summary>
    /// A tiny approximation study on <paramref name="csv"/>, run as given and with <c>--dry-run</c>: each must exit
    /// with the bad-input code, print exactly <paramref name="expected"/> (no stack trace) and create no output folder.
    /// </summary>
    private void RefusedBoth(string csv, string outName, string expected)
    {
        var outDir = Path.Combine(_dir, outName);
        foreach (var dry in new[] { false, true })
        {
            var (code, stdout, stderr) = Fixtures.RunCli([
                .. TinyStudies.ApproximationOnCsv(csv),
                "--optimizer",
                "sgd",
                "--lr",
                "0.1",
                "--steps",
                "3",
                "--threads",
                "1",
                "--out",
                outDir,
                .. dry ? new[] { "--dry-run" } : [],
            ]);
            Assert.True(
                code == TelescopeCli.BadInput,
                $"{csv} (dry {dry}): exit {code}\n{stdout}{stderr}"
            );
            Assert.Equal(expected, stderr.Trim());
            Assert.DoesNotContain("   at ", stderr);
            Assert.False(Directory.Exists(outDir), $"{csv}: {outDir} was created");
        }
    }

    [Fact]
    public void A_file_that_is_not_UTF8_is_refused_naming_its_row_and_cell()
    {
        // issue 24: Latin-1 class names 'é' (0xE9) and 'è' (0xE8) were both read as U+FFFD, so three classes became
        // two without a word (exit 0); the first byte that is not UTF-8 is now one line naming file:line:cell
        var csv = Path.Combine(_dir, "latin1.csv");
        File.WriteAllBytes(
            csv,
            [
                .. Encoding.ASCII.GetBytes("x1,x2,label\n1,2,a\n3,\"4\",b"),
                0xE9,
                .. Encoding.ASCII.GetBytes("\n5,6,b"),
                0xE8,
                .. Encoding.ASCII.GetBytes("\n7,8,a\n"),
            ]
        );
        RefusedBoth(
            csv,
            "out-latin1",
            $"telescope: {csv}:3:3: byte 0xE9 is not UTF-8 text; save the file as UTF-8"
        );
    }

    [Fact]
    public void A_bad_test_file_is_refused_naming_its_own_row_and_column()
    {
        var train = Write("train.csv", "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n");
        var test = Write("test.csv", "x2,x1,label\n1,2,a\n3,4,c\n");
        var e = Assert.Throws<InvalidDataException>(() => CsvData.LoadPair(train, test, "label"));
        Assert.Equal(
            $"{test}:3:3: class 'c' of target 'label' does not occur in the training data (classes: a, b)",
            e.Message
        );
        var noFeature = Write("nofeature.csv", "x1,label\n1,a\n");
        e = Assert.Throws<InvalidDataException>(() => CsvData.LoadPair(train, noFeature, "label"));
        Assert.Equal($"{noFeature}:1:1: no feature column 'x2' (columns: x1, label)", e.Message);
        // the test file's columns are matched by name, in any order
        var (tr, te) = CsvData.LoadPair(train, Write("ok.csv", "x2,x1,label\n20,10,b\n"), "label");
        Assert.Equal([10.0, 20.0], te.X);
        Assert.Equal([1], te.Labels);
        Assert.Equal(tr.ClassNames, te.ClassNames);
    }

    [Fact]
    public void Cells_are_read_as_RFC_4180_with_quotes_CRLF_BOM_and_blank_lines()
    {
        var path = Path.Combine(_dir, "quoted.csv");
        File.WriteAllText(
            path,
            "\"x, one\",x2,\"the \"\"label\"\"\"\r\n 1.5 ,\"2\",cat\r\n\r\n3,4e-1,\"dog\"\r\n",
            new UTF8Encoding(encoderShouldEmitUTF8Identifier: true)
        );
        var d = CsvData.Load(path, "the \"label\"");
        Assert.Equal(["x, one", "x2"], d.FeatureNames);
        Assert.Equal([1.5, 2, 3, 0.4], d.X);
        Assert.Equal(["cat", "dog"], d.ClassNames);
        Assert.Equal([0, 1], d.Labels);
        Assert.False(d.IsRegression);
        var e = Assert.Throws<InvalidDataException>(() =>
            CsvData.Load(Write("bad.csv", "a,b,y\n1,2,0\n3,4,1\n5,6,\"1\"x\n"), "y")
        );
        Assert.EndsWith("bad.csv:4:3: text after the closing quote of a cell", e.Message);
    }

    [Fact]
    public void The_task_is_decided_from_the_target_or_as_asked()
    {
        var ints = Write("ints.csv", "a,y\n1,2\n2,-1\n3,2\n4,7\n");
        var d = CsvData.Load(ints, "y");
        Assert.Equal(["-1", "2", "7"], d.ClassNames); // numeric order
        Assert.Equal([1, 0, 1, 2], d.Labels);
        Assert.Equal(3, d.Outputs);
        var r = CsvData.Load(ints, "y", TargetTask.Regression);
        Assert.True(r.IsRegression);
        Assert.Equal([2.0, -1, 2, 7], r.TargetValues);
        var reals = CsvData.Load(Write("reals.csv", "a,y\n1,0.5\n2,1.25\n"), "y");
        Assert.True(reals.IsRegression);
        Assert.Equal(1, reals.Outputs);
        // more whole-number values than MaxAutoClasses: regression
        var many = string.Concat(
            Enumerable.Range(0, TabularData.MaxAutoClasses + 1).Select(i => $"{i},{i}\n")
        );
        Assert.True(CsvData.Load(Write("many.csv", "a,y\n" + many), "y").IsRegression);
        var words = Write("words.csv", "a,y\n1,b\n2,a\n3,1\n");
        Assert.Throws<InvalidDataException>(() => CsvData.Load(words, "y"));
        Assert.Equal(
            ["1", "a", "b"],
            CsvData.Load(words, "y", TargetTask.Classification).ClassNames
        );
        var e = Assert.Throws<InvalidDataException>(() =>
            CsvData.Load(Write("regword.csv", "a,y\n1,0.5\n2,x\n"), "y", TargetTask.Regression)
        );
        Assert.EndsWith("regword.csv:3:2: 'x' is not a number (target 'y', regression)", e.Message);
        // chosen features, in the order given
        var three = Write("three.csv", "a,b,c,y\n1,2,3,0\n4,5,6,1\n");
        var f = CsvData.Load(three, "y", features: ["c", "a"]);
        Assert.Equal([3.0, 1, 6, 4], f.X);
        e = Assert.Throws<InvalidDataException>(() =>
            CsvData.Load(three, "y", features: ["c", "y"])
        );
        Assert.EndsWith("three.csv:1:1: the target 'y' cannot also be a feature", e.Message);
    }

    [Fact]
    public void Arrays_give_the_same_dataset_as_the_csv()
    {
        var csv = Write("moons.csv", Moons(30));
        var fromCsv = CsvData.Load(csv, "label");
        int n = fromCsv.Count;
        var rows = Enumerable.Range(0, n).Select(i => fromCsv.X[(2 * i)..(2 * i + 2)]).ToArray();
        var grid = new double[n, 2];
        for (int i = 0; i < n; i++)
            (grid[i, 0], grid[i, 1]) = (rows[i][0], rows[i][1]);
        foreach (
            var fromArrays in new[]
            {
                Dataset.FromArrays(rows, fromCsv.Labels, ["x1", "x2"]),
                Dataset.FromArrays(grid, fromCsv.Labels, ["x1", "x2"]),
            }
        )
            AssertSame(fromCsv, fromArrays);
        Assert.StartsWith($"your file {Path.GetFullPath(csv)} (", fromCsv.Source);
        Assert.Equal(n, fromCsv.Files.Single().Rows);
        // regression from arrays
        var reg = Dataset.FromArrays(rows, rows.Select(r => r[0] - r[1]).ToArray());
        Assert.True(reg.IsRegression);
        Assert.Equal(["x1", "x2"], reg.FeatureNames);
        var e = Assert.Throws<InvalidDataException>(() =>
            Dataset.FromArrays(new[] { new[] { 1.0, 2 }, new[] { 3.0 } }, new[] { 0, 1 })
        );
        Assert.Equal("arrays: row 1 has 1 features, row 0 has 2", e.Message);
        e = Assert.Throws<InvalidDataException>(() =>
            Dataset.FromArrays(
                new[,]
                {
                    { 1.0 },
                    { double.NaN },
                },
                new[] { 0, 1 }
            )
        );
        Assert.Equal("arrays: feature 0 of row 1 is NaN, not a finite number", e.Message);
        e = Assert.Throws<InvalidDataException>(() =>
            Dataset.FromArrays(
                new[,]
                {
                    { 1.0 },
                    { 2.0 },
                },
                new[] { 1, 1 }
            )
        );
        Assert.Contains("classification needs at least 2", e.Message);
    }

    /// <summary>The same rows, features, labels, classes, targets and names.</summary>
    public static void AssertSame(Dataset a, Dataset b)
    {
        Assert.Equal(a.Shape, b.Shape);
        Assert.Equal(a.X, b.X);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Classes, b.Classes);
        Assert.Equal(a.TargetValues, b.TargetValues);
        Assert.Equal(a.FeatureNames, b.FeatureNames);
        Assert.Equal(a.ClassNames, b.ClassNames);
        Assert.Equal(a.Outputs, b.Outputs);
    }

    [Fact]
    public void The_split_is_deterministic_for_a_seed_and_different_for_another()
    {
        var d = CsvData.Load(Write("moons.csv", Moons(50)), "label");
        var (tr0, te0) = d.Split(0.2, seed: 0);
        var (tr0b, te0b) = d.Split(0.2, seed: 0);
        var (tr1, te1) = d.Split(0.2, seed: 1);
        Assert.Equal(10, te0.Count);
        Assert.Equal(40, tr0.Count);
        AssertSame(tr0, tr0b);
        AssertSame(te0, te0b);
        Assert.NotEqual(te0.X, te1.X);
        // a partition of the rows: every row once
        var rowsOf = (Dataset s) =>
            Enumerable.Range(0, s.Count).Select(i => (s.X[2 * i], s.X[2 * i + 1], s.Labels[i]));
        Assert.Equal(rowsOf(d).Order(), rowsOf(tr1).Concat(rowsOf(te1)).Order());
        var e = Assert.Throws<InvalidDataException>(() => d.Split(0.001));
        Assert.Equal("moons: a test fraction of 0.001 of 50 rows leaves no test rows", e.Message);
    }

    [Theory]
    [InlineData(IdxType.UInt8, false)]
    [InlineData(IdxType.Int8, true)]
    [InlineData(IdxType.Int16, false)]
    [InlineData(IdxType.Int32, true)]
    [InlineData(IdxType.Float32, false)]
    [InlineData(IdxType.Float64, true)]
    public void Idx_files_round_trip_in_every_element_type(IdxType type, bool gzip)
    {
        var rng = new Rng(3);
        var values = Enumerable
            .Range(0, 5 * 3 * 2)
            .Select(_ =>
                type switch
                {
                    IdxType.UInt8 => rng.NextInt(256),
                    IdxType.Int8 => rng.NextInt(256) - 128,
                    IdxType.Int16 => rng.NextInt(65536) - 32768,
                    IdxType.Int32 => rng.NextInt(2_000_000_000) - 1_000_000_000,
                    IdxType.Float32 => (double)(float)rng.NextGaussian(),
                    _ => rng.NextGaussian(),
                }
            )
            .ToArray();
        var path = Path.Combine(_dir, $"a-{type}.idx" + (gzip ? ".gz" : ""));
        Idx.Write(path, type, [5, 3, 2], values);
        Assert.True(Idx.LooksLikeIdx(path));
        var back = Idx.ReadValues(path);
        Assert.Equal([5, 3, 2], back.Dims);
        Assert.Equal(type, back.Type);
        Assert.Equal(values, back.Values);
    }

    [Fact]
    public void Idx_examples_and_labels_load_as_a_dataset()
    {
        var rng = new Rng(4);
        int n = 12;
        var pixels = Enumerable.Range(0, n * 4 * 4).Select(_ => (double)rng.NextInt(256)).ToArray();
        var labels = Enumerable.Range(0, n).Select(i => (double)(i % 3)).ToArray();
        var images = Path.Combine(_dir, "images-idx3-ubyte.gz");
        var targets = Path.Combine(_dir, "labels-idx1-ubyte");
        Idx.Write(images, IdxType.UInt8, [n, 4, 4], pixels);
        Idx.Write(targets, IdxType.UInt8, [n], labels);
        var d = IdxData.Load(images, targets);
        Assert.Equal([1, 4, 4], d.Shape);
        Assert.Equal(pixels.Select(p => p / 255), d.X);
        Assert.Equal(labels.Select(l => (int)l), d.Labels);
        Assert.Equal(3, d.Classes);
        Assert.Equal(2, d.Files.Count);
        Assert.Equal(
            Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(images))),
            d.Files[0].Sha256
        );
        // float64 targets: regression
        var real = Path.Combine(_dir, "real-idx1");
        Idx.Write(real, IdxType.Float64, [n], labels.Select(l => l + 0.5).ToArray());
        Assert.True(IdxData.Load(images, real).IsRegression);
        // the CLI reads IDX by content: --data EXAMPLES --target TARGETS, a seeded held-out fraction
        Assert.False(Idx.LooksLikeIdx(Write("not.csv", "a,b\n1,2\n")));
        var outDir = Path.Combine(_dir, "out-idx");
        var (code, stdout, stderr) = Fixtures.RunCli(
            Tiny(
                outDir,
                "--data",
                images,
                "--target",
                targets,
                "--test-fraction",
                "0.25",
                "--model",
                "cnn"
            )
        );
        Assert.True(code == 0, stdout + stderr);
        var data = RunJson(outDir)["config"]!["data"]!;
        Assert.Equal("idx", (string)data["format"]!);
        Assert.Equal(Sha(targets), (string)data["files"]![1]!["sha256"]!);
        Assert.Equal(9, (int)data["train_rows"]!);
        Assert.Equal(3, (int)data["test_rows"]!);
        var few = Path.Combine(_dir, "few-idx1");
        Idx.Write(few, IdxType.UInt8, [n - 1], labels[..^1]);
        var e = Assert.Throws<InvalidDataException>(() => IdxData.Load(images, few));
        Assert.Equal($"{few} holds {n - 1} targets for {n} examples in {images}", e.Message);
    }

    private static JsonObject RunJson(string outDir) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "run.json")))!.AsObject();

    private static string Sha(string path) =>
        Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private static string[] Tiny(string outDir, params string[] data) =>
        [
            "study",
            "approximation",
            .. data,
            "--optimizer",
            "sgd",
            "--lr",
            "0.5",
            "--width",
            "16",
            "--steps",
            "40",
            "--seed",
            "0",
            "--threads",
            "1",
            "--out",
            outDir,
        ];

    [Fact]
    public void A_good_csv_runs_the_approximation_study_and_run_json_records_its_provenance()
    {
        var csv = Write("moons.csv", Moons(100));
        var outDir = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Fixtures.RunCli(
            Tiny(outDir, "--data", csv, "--target", "label", "--test-fraction", "0.25")
        );
        Assert.True(code == 0, stdout + stderr);
        var run = RunJson(outDir);
        var data = run["config"]!["data"]!;
        var file = data["files"]![0]!;
        Assert.Equal(Path.GetFullPath(csv), (string)file["path"]!);
        Assert.Equal(new FileInfo(csv).Length, (long)file["bytes"]!);
        Assert.Equal(Sha(csv), (string)file["sha256"]!);
        Assert.Equal(100, (int)file["rows"]!);
        Assert.Equal(75, (int)data["train_rows"]!);
        Assert.Equal(25, (int)data["test_rows"]!);
        Assert.Equal(0.25, (double)data["test_fraction"]!);
        Assert.Equal("classification", (string)data["task"]!);
        Assert.Equal(75, (int)run["config"]!["train_size"]!);
        Assert.Equal(25, (int)run["config"]!["test_size"]!);
        Assert.Equal("file", (string)run["config"]!["dataset"]!);
        var source = (string)run["data_source"]!;
        Assert.StartsWith($"your file {Path.GetFullPath(csv)} (", source);
        Assert.Contains("75 train / 25 test rows", source);
        var rows = TidyTable.ReadRows(Path.Combine(outDir, "approximation.csv"));
        Assert.Contains(rows, r => r["quantity"] == "accuracy" && r["split"] == "test");
        Assert.All(rows, r => Assert.Equal("moons.csv", r["dataset"]));
        // the same command resumes; an edited file is another configuration
        (code, stdout, stderr) = Fixtures.RunCli([
            .. Tiny(outDir, "--data", csv, "--target", "label", "--test-fraction", "0.25"),
            "--resume",
        ]);
        Assert.True(code == 0, stdout + stderr);
        File.AppendAllText(csv, "0.5,0.5,1\n");
        (code, _, stderr) = Fixtures.RunCli([
            .. Tiny(outDir, "--data", csv, "--target", "label", "--test-fraction", "0.25"),
            "--resume",
        ]);
        Assert.Equal(TelescopeCli.BadInput, code);
        Assert.Contains("different configuration", stderr);
    }

    [Fact]
    public void A_test_file_and_a_regression_target_run_end_to_end()
    {
        var train = Write("train.csv", Moons(80, seed: 1));
        var test = Write("test.csv", Moons(30, seed: 2));
        var outDir = Path.Combine(_dir, "out-test");
        var (code, stdout, stderr) = Fixtures.RunCli(
            Tiny(outDir, "--data", train, "--target", "label", "--test", test)
        );
        Assert.True(code == 0, stdout + stderr);
        var data = RunJson(outDir)["config"]!["data"]!;
        Assert.Equal(Sha(test), (string)data["test_files"]![0]!["sha256"]!);
        Assert.Equal(new FileInfo(test).Length, (long)data["test_files"]![0]!["bytes"]!);
        Assert.Equal(80, (int)data["train_rows"]!);
        Assert.Equal(30, (int)data["test_rows"]!);
        Assert.Null(data["test_fraction"]);

        // regression: y = x1 − x2 of the same rows; accuracy means nothing and is not written, the flags are
        var rng = new Rng(7);
        var sb = new StringBuilder("x1,x2,y\n");
        for (int i = 0; i < 80; i++)
        {
            double a = rng.Uniform(1),
                b = rng.Uniform(1);
            sb.Append(
                string.Create(CultureInfo.InvariantCulture, $"{a:R},{b:R},{a - 0.5 * b:R}\n")
            );
        }
        var reg = Write("reg.csv", sb.ToString());
        outDir = Path.Combine(_dir, "out-reg");
        (code, stdout, stderr) = Fixtures.RunCli(Tiny(outDir, "--data", reg, "--target", "y"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal("regression", (string)RunJson(outDir)["config"]!["data"]!["task"]!);
        var rows = TidyTable.ReadRows(Path.Combine(outDir, "approximation.csv"));
        Assert.DoesNotContain(rows, r => r["quantity"].EndsWith("accuracy"));
        Assert.Contains(rows, r => r["quantity"] == "telescoping_error");
        var flags = rows.Where(r =>
                r["quantity"] is "did_not_learn" or "diverged" or "telescoped_diverged"
            )
            .ToList();
        Assert.Equal(3, flags.Count);
        Assert.All(flags, r => Assert.Equal("0", r["value"])); // an easy linear target: learned, nothing diverged
    }

    [Theory]
    [InlineData("--target", "needs --data", false)]
    [InlineData("--test-fraction", "needs --data", false)]
    [InlineData("--dataset", "--dataset and --data exclude each other", true)]
    [InlineData("--train", "--train: with --data the training rows are the file's", true)]
    [InlineData("--test", "with --data, --test names a CSV file of held-out rows", true)]
    public void Data_options_that_do_not_fit_together_are_refused(
        string option,
        string fragment,
        bool withData
    )
    {
        var csv = Write("moons.csv", Moons(20));
        var value = option switch
        {
            "--target" => "label",
            "--test-fraction" => "0.3",
            "--dataset" => "synthetic",
            _ => "50",
        };
        var outDir = Path.Combine(_dir, "out-opt");
        var (code, _, stderr) = Fixtures.RunCli([
            "study",
            "approximation",
            .. withData ? new[] { "--data", csv, "--target", "label" } : [],
            option,
            value,
            "--out",
            outDir,
        ]);
        Assert.Equal(TelescopeCli.BadInput, code);
        Assert.Contains(fragment, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(outDir));
    }
}

/// <summary>The regression verdict: the constant predictor's loss in place of its accuracy, the targets' range in place of the label scale.</summary>
public sealed class RegressionHealthTests
{
    [Fact]
    public void A_regression_run_is_judged_by_its_loss_against_the_mean_predictor()
    {
        var train = Dataset.FromArrays(
            new[,]
            {
                { 0.0 },
                { 1 },
                { 2 },
                { 3 },
            },
            [0.0, 1, 2, 3]
        );
        var test = Dataset.FromArrays(
            new[,]
            {
                { 0.0 },
                { 3 },
            },
            [0.0, 3]
        );
        // mean training target 1.5: ½·1.5² on both test rows
        Assert.Equal(1.125, RunHealth.ConstantLoss(train, test), 12);
        Assert.Equal(3, RunHealth.TargetRange(train));
        var learned = RunHealth.JudgeRegression(0.1, 1.125, 2, 0.05, 0.01, 3);
        Assert.True(learned.Healthy);
        var constant = RunHealth.JudgeRegression(1.11, 1.125, 2, 0.05, 0.01, 3);
        Assert.True(constant.DidNotLearn); // not 2 % below the mean predictor's loss
        var tel = RunHealth.JudgeRegression(0.1, 1.125, 2, 0.05, 3.5, 3);
        Assert.True(tel.TelescopedDiverged && !tel.DidNotLearn);
        var diverged = RunHealth.JudgeRegression(0.1, 1.125, 2, 25, 0.01, 3);
        Assert.True(diverged.Diverged && !diverged.DidNotLearn);
        Assert.True(
            RunHealth.JudgeRegression(0.1, 1.125, 2, 0.05, double.NaN, 3).TelescopedDiverged
        );
    }
}
