using Telescope.Frames;

namespace Telescope.Tests;

/// <summary>Tidy tables, atomic files, data preprocessing.</summary>
public class FramesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("telescope-frames-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly RunKey Key = new(
        "s",
        "r,1",
        3,
        [new("lr", "0.1"), new("note", "a \"quoted\" value")]
    );

    [Fact]
    public void RowsRoundTripThroughCsvWithQuotingAndEmptyCells()
    {
        var path = Path.Combine(_dir, "t.csv");
        var schema = new TidySchema(["lr", "note"]);
        using (var w = new TidyCsvWriter(path, schema, Key))
        {
            w.Write(new Observation("loss", 0.125, 7, "train"));
            w.Write(new Observation("f", -1e-300, 8, "test", 4, 0));
            w.Complete();
        }
        var rows = TidyTable.ReadRows(path).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Equal("r,1", rows[0]["run"]);
        Assert.Equal("a \"quoted\" value", rows[0]["note"]);
        Assert.Equal("", rows[0]["example"]);
        Assert.Equal(
            -1e-300,
            double.Parse(rows[1]["value"], System.Globalization.CultureInfo.InvariantCulture)
        );
        Assert.Equal("4", rows[1]["example"]);
        var frame = TidyTable.Load(path);
        Assert.Equal(2, frame.RowCount);
    }

    [Fact]
    public void RowCoordinatesAreColumnsBesideTheRunsParameters()
    {
        var path = Path.Combine(_dir, "coords.csv");
        var schema = new TidySchema(["lr", "note", "alpha", "layer"]);
        var alpha = new Observation("path_error", 0.25, 4, "test").At("alpha", 0.5);
        var layer = new Observation("gradient_change", 1e-3, 0, "test").At("layer", "conv1");
        var lr = new Observation("mse", 2, Split: "validation").At("lr", 0.03);
        using (var w = new TidyCsvWriter(path, schema, Key))
        {
            w.Write(alpha);
            w.Write(layer);
            w.Write(lr);
            w.Complete();
        }
        var rows = TidyTable.ReadRows(path).ToList();
        Assert.Equal(["0.5", "", ""], rows.Select(r => r["alpha"]));
        Assert.Equal(["", "conv1", ""], rows.Select(r => r["layer"]));
        // a row's own coordinate wins over the run's parameter of the same name
        Assert.Equal(["0.1", "0.1", "0.03"], rows.Select(r => r["lr"]));
        Assert.Equal(["test", "test", "validation"], rows.Select(r => r["split"]));
        var frame = TidyFrames.FromRuns([(Key, [alpha, layer, lr])]);
        Assert.Equal(
            [
                "study",
                "run",
                "seed",
                "step",
                "split",
                "example",
                "output",
                "lr",
                "note",
                "alpha",
                "layer",
                "quantity",
                "value",
            ],
            frame.ColumnKeys
        );
        Assert.Equal(["", "conv1", ""], TidyFrames.Cells(frame, "layer"));
    }

    [Fact]
    public void MeanOverSeedsKeepsEveryCoordinateApartAndSkipsNonFiniteValues()
    {
        Dictionary<string, string> Row(string seed, string alpha, string value) =>
            new()
            {
                ["study"] = "s",
                ["run"] = "r" + seed,
                ["seed"] = seed,
                ["step"] = "1",
                ["alpha"] = alpha,
                ["quantity"] = "q",
                ["value"] = value,
            };
        var means = TidyQueries.MeanOverSeeds([
            Row("0", "0", "1"),
            Row("0", "1", "10"),
            Row("1", "0", "3"),
            Row("1", "1", "NaN"),
            Row("2", "0", "Infinity"),
        ]);
        Assert.Equal(2, means.Count);
        Assert.Equal(("0", "2", "2"), (means[0]["alpha"], means[0]["value"], means[0]["n"]));
        Assert.Equal(("1", "10", "1"), (means[1]["alpha"], means[1]["value"], means[1]["n"]));
        Assert.False(means[0].ContainsKey("seed") || means[0].ContainsKey("run"));
        Assert.Equal("NaN", TidyQueries.MeanOverSeeds([Row("0", "0", "NaN")])[0]["value"]);
    }

    [Theory]
    [InlineData("comma", "a,b")]
    [InlineData("quotes", "say \"hi\", \"\"twice\"\"")]
    [InlineData("LF", "line one\nline two")]
    [InlineData("CRLF", "line one\r\nline two")]
    [InlineData("lone CR", "a\rb")]
    [InlineData("empty lines inside", "\n\n")]
    [InlineData("everything", "\",\r\n,\"")]
    public void CellsWithQuotesCommasCrAndLfRoundTripThroughWriteMergeAndRead(
        string what,
        string text
    )
    {
        var key = new RunKey("s", "run " + text, 1, [new("note", text)]);
        var schema = new TidySchema(["note"]);
        var parts = new List<string>();
        foreach (var name in new[] { "a.csv", "b.csv" })
        {
            var path = Path.Combine(_dir, name);
            using (var w = new TidyCsvWriter(path, schema, key))
            {
                w.Write(new Observation(text, 1.5, 1, text));
                w.Write(new Observation("plain", 2.5, 2, "train"));
                w.Complete();
            }
            parts.Add(path);
        }
        var merged = Path.Combine(_dir, "merged.csv");
        TidyTable.Merge(parts, merged);
        // the merged table is the parts' rows byte for byte (no line ending rewritten)
        var headerLen = File.ReadAllText(parts[0]).IndexOf('\n') + 1;
        Assert.Equal(
            File.ReadAllText(parts[0]) + File.ReadAllText(parts[1])[headerLen..],
            File.ReadAllText(merged)
        );
        var rows = TidyTable.ReadRows(merged).ToList();
        Assert.True(rows.Count == 4, $"{what}: {rows.Count} rows");
        foreach (var r in rows)
        {
            Assert.Equal("run " + text, r["run"]);
            Assert.Equal(text, r["note"]);
        }
        Assert.Equal(text, rows[0]["quantity"]);
        Assert.Equal(text, rows[0]["split"]);
        Assert.Equal("2.5", rows[3]["value"]);
        // the control: the old line-by-line reader cannot read these tables back
        if (text.Contains('\n') || text.Contains('\r'))
            Assert.NotEqual(4, File.ReadAllLines(merged).Length - 1);
    }

    [Fact]
    public void MergeWithCoordinatesInsertsThemAfterOutputAndKeepsQuotedNewlines()
    {
        var a = Path.Combine(_dir, "a.csv");
        var b = Path.Combine(_dir, "b.csv");
        File.WriteAllText(a, "study,run,output,lr,quantity,value\ns,r0,,0.1,\"two\nlines\",1\n\n");
        File.WriteAllText(b, "study,run,output,lr,quantity,value\ns,r1,,0.2,loss,2\n");
        var merged = Path.Combine(_dir, "m.csv");
        TidyTable.Merge(
            [
                (
                    a,
                    (IReadOnlyList<KeyValuePair<string, string>>)[new("job", "j,0"), new("lr", "9")]
                ),
                (b, [new("job", "j1"), new("lr", "9")]),
            ],
            merged
        );
        // lr is already a column of both tables, so only job is inserted; the empty line is dropped
        Assert.Equal(
            "study,run,output,job,lr,quantity,value\n"
                + "s,r0,,\"j,0\",0.1,\"two\nlines\",1\n"
                + "s,r1,,j1,0.2,loss,2\n",
            File.ReadAllText(merged)
        );
    }

    [Fact]
    public void MergeWithCoordinatesRejectsPartsWhoseColumnsDiffer()
    {
        var a = Path.Combine(_dir, "a.csv");
        var b = Path.Combine(_dir, "b.csv");
        File.WriteAllText(a, "study,output,value\ns,,1\n");
        File.WriteAllText(b, "study,output,value\ns,,2\n");
        var merged = Path.Combine(_dir, "m.csv");
        var e = Assert.Throws<InvalidDataException>(() =>
            TidyTable.Merge(
                [
                    (a, (IReadOnlyList<KeyValuePair<string, string>>)[new("job", "j0")]),
                    (b, [new("job", "j1"), new("width", "4")]),
                ],
                merged
            )
        );
        Assert.Contains("b.csv", e.Message);
        Assert.False(File.Exists(merged));
    }

    [Fact]
    public void AnUnclosedQuoteIsAnErrorNamingTheFileAndLine()
    {
        var path = Path.Combine(_dir, "bad.csv");
        File.WriteAllText(path, "a,b\n1,2\n3,\"open\n");
        var e = Assert.Throws<InvalidDataException>(() => TidyTable.ReadRows(path).ToList());
        Assert.Contains($"{path}:3", e.Message);
    }

    [Fact]
    public void AnUncompletedWriterLeavesNoFile()
    {
        var path = Path.Combine(_dir, "t.csv");
        using (var w = new TidyCsvWriter(path, new TidySchema([]), Key))
            w.Write(new Observation("x", 1));
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(AtomicFile.PartialPath(path)));
    }

    [Fact]
    public void MergeRejectsTablesWithDifferentColumns()
    {
        var a = Path.Combine(_dir, "a.csv");
        var b = Path.Combine(_dir, "b.csv");
        File.WriteAllText(a, "study,quantity,value\ns,x,1\n");
        File.WriteAllText(b, "study,quantity,value,extra\ns,x,1,2\n");
        var merged = Path.Combine(_dir, "m.csv");
        var e = Assert.Throws<InvalidDataException>(() => TidyTable.Merge([a, b], merged));
        Assert.Contains("b.csv", e.Message);
        Assert.False(File.Exists(merged));
    }

    [Fact]
    public void TheoryTablesCarryClosedFormAndErrors()
    {
        var s = new TidySchema(["alpha"], TheoryColumns: true);
        var line = s.FormatRow(
            new RunKey("theory", "sigmoid", 0, [new("alpha", "2")]),
            new Observation("u", 1.5, 0.5, ClosedForm: 2.0)
        );
        var cells = Csv.Records(new StringReader(line)).Single().cells;
        var cols = s.Columns.ToList();
        Assert.Equal("2", cells[cols.IndexOf("closed_form")]);
        Assert.Equal("1.5", cells[cols.IndexOf("simulated")]);
        Assert.Equal("0.5", cells[cols.IndexOf("abs_error")]);
        Assert.Equal("0.25", cells[cols.IndexOf("rel_error")]);
    }

    [Fact]
    public void AdaptivePoolingMatchesLibtorch()
    {
        var rng = new Rng(4);
        var img = Enumerable.Range(0, 784).Select(_ => rng.NextDouble()).ToArray();
        var ours = Images.AdaptiveAvgPool(img, 28, 8);
        var theirs = torch
            .nn.functional.adaptive_avg_pool2d(
                HostArrays.ToTensor(img, [1, 1, 28, 28], torch.float64),
                [8, 8]
            )
            .reshape(64);
        for (int i = 0; i < 64; i++)
            Assert.Equal(theirs[i].item<double>(), ours[i], 14);
    }

    [Fact]
    public void BatchesCoverEachEpochOnceWithASmallerLastBatch()
    {
        var s = new Telescope.Training.BatchSampler(10, 4, 1);
        var epoch = new[] { s.Next(), s.Next(), s.Next() };
        Assert.Equal(new[] { 4, 4, 2 }, epoch.Select(b => b.Length));
        Assert.Equal(Enumerable.Range(0, 10), epoch.SelectMany(b => b).Order());
        var next = new[] { s.Next(), s.Next(), s.Next() };
        Assert.NotEqual(epoch.SelectMany(b => b), next.SelectMany(b => b)); // reshuffled
    }

    [Fact]
    public void DataSetsWithWrongShapesOrNaNAreRejected()
    {
        Assert.Throws<InvalidDataException>(() =>
            new Dataset("d", "t", [4], new double[7], [0, 1], 2).Validate()
        );
        Assert.Throws<InvalidDataException>(() =>
            new Dataset("d", "t", [2], [0, double.NaN, 0, 0], [0, 1], 2).Validate()
        );
        Assert.Throws<InvalidDataException>(() =>
            new Dataset("d", "t", [2], new double[4], [0, 5], 2).Validate()
        );
    }

    [Fact]
    public void TruncatedOrMalformedDigitFilesAreRejected()
    {
        File.WriteAllText(Path.Combine(_dir, "3.json"), "{\"data\": [0.1, 0.2, 0.3]}");
        Assert.Contains(
            "whole number",
            Assert.Throws<InvalidDataException>(() => Mnist.LoadDigit(_dir, 3)).Message
        );
        File.WriteAllText(Path.Combine(_dir, "4.json"), "{\"pixels\": []}");
        Assert.Contains(
            "\"data\"",
            Assert.Throws<InvalidDataException>(() => Mnist.LoadDigit(_dir, 4)).Message
        );
        Assert.Throws<FileNotFoundException>(() => Mnist.LoadDigit(_dir, 5));
        File.WriteAllText(Path.Combine(_dir, "6.json"), "{\"data\": [0.5, \"white\"]}");
        Assert.Contains(
            "entry 1",
            Assert.Throws<InvalidDataException>(() => Mnist.LoadDigit(_dir, 6)).Message
        );
        File.WriteAllText(Path.Combine(_dir, "7.json"), "{\"data\": [0.5, 0.2");
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => Mnist.LoadDigit(_dir, 7));
    }
}

public class ParameterVectorTests
{
    [Fact]
    public void FlatViewRoundTripsAndRejectsWrongLengths()
    {
        var net = Fixtures.Net(
            new Telescope.Models.ModelSpec(Telescope.Models.ModelKind.Cnn),
            [1, 8, 8],
            outputs: 3
        );
        var theta = Telescope.Models.ParameterVector.Read(net);
        Assert.Equal(net.ParameterCount, theta.numel());
        var doubled = theta.mul(2.0);
        Telescope.Models.ParameterVector.Write(net, doubled);
        Assert.Equal(
            0.0,
            Telescope.Models.ParameterVector.Read(net).sub(doubled).abs().max().item<double>()
        );
        Assert.Throws<ArgumentException>(() =>
            Telescope.Models.ParameterVector.Write(net, torch.zeros(3, torch.float64))
        );
    }

    [Fact]
    public void CrossEntropyTrainingLowersTheLossAndUsesLogitThreshold()
    {
        var (train, test) = Fixtures.Data(80, 40);
        var net = Fixtures.Net(
            new Telescope.Models.ModelSpec(Telescope.Models.ModelKind.Mlp, [16]),
            train.Shape
        );
        var sink = new ObservationList();
        var cfg = new Telescope.Telescoping.TrajectoryConfig(
            100,
            20,
            Telescope.Training.LossKind.CrossEntropy,
            new Telescope.Optim.OptimizerSpec(Telescope.Optim.OptimizerKind.Sgd, 0.5),
            0,
            10
        );
        var r = Telescope.Telescoping.Trajectory.Run(
            net,
            train,
            Telescope.Telescoping.Probe.Of(train, test),
            cfg,
            sink
        );
        Assert.True(r.Succeeded);
        Assert.Equal(
            0.0,
            Telescope.Telescoping.Trajectory.Threshold(
                Telescope.Training.LossKind.CrossEntropy,
                net
            )
        );
        var loss = sink.Items.Where(o => o.Quantity == "loss" && o.Split == "train").ToList();
        Assert.True(loss[^1].Value < 0.8 * loss[0].Value, $"{loss[0].Value} → {loss[^1].Value}");
    }
}

/// <summary>The one RFC 4180 reader (<see cref="Csv.Records"/>) in its two modes, against cells worked out by hand.</summary>
public class CsvReaderTests
{
    private static List<List<string>> Read(string text, bool strict) =>
        Csv.Records(new StringReader(text), "t.csv", strict).Select(r => r.cells).ToList();

    [Fact]
    public void LenientKeepsCellsAsWrittenAndEveryLine()
    {
        var rows = Read(" a ,\"b\"\"c\"\r\n\n\"x,\ny\",z", strict: false);
        Assert.Equal(3, rows.Count); // CRLF ends the first record; the empty line is a record of one empty cell
        Assert.Equal([" a ", "b\"c"], rows[0]);
        Assert.Equal([""], rows[1]);
        Assert.Equal(["x,\ny", "z"], rows[2]);
    }

    [Fact]
    public void StrictTrimsUnquotedCellsAndSkipsBlankLines()
    {
        var rows = Read(" a ,  \"b\"\"c\" \r\n\n   \nd,e", strict: true);
        Assert.Equal(2, rows.Count);
        Assert.Equal(["a", "b\"c"], rows[0]);
        Assert.Equal(["d", "e"], rows[1]);
        // a quote inside an unquoted cell is a character (lenient: it opens quoting)
        Assert.Equal(["a\"b"], Read("a\"b", strict: true).Single());
        Assert.Equal(["ab"], Read("a\"b\"", strict: false).Single());
    }

    [Fact]
    public void RecordsStartOnTheirOwnLines()
    {
        var lines = Csv.Records(new StringReader("h\n\"1\n2\"\n3\n"), "t.csv").Select(r => r.line).ToList();
        Assert.Equal([1, 2, 4], lines);
    }

    [Theory]
    [InlineData("a,\"b", false, "t.csv:1: a quoted cell is not closed")]
    [InlineData("a,\"b", true, "t.csv:1:2: the quoted cell opened here is never closed")]
    [InlineData("a\n\"x\"y", true, "t.csv:2:1: text after the closing quote of a cell")]
    [InlineData("\"x\" \"", true, "t.csv:1:1: a quote inside a quoted cell must be doubled (\"\")")]
    public void BadTextIsOneLineNamingThePlace(string text, bool strict, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Read(text, strict));
        Assert.Equal(message, e.Message);
    }
}
