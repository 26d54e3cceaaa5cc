using Telescope.Experiments;
using Telescope.Theory.Checks;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// <c>telescope theory</c>: the listing names every result the issue asks for, every result agrees with its
/// simulation on its defaults while each of its must-fail controls is rejected, and outputs/bad input behave.
/// </summary>
public class TheoryCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-theory-" + Guid.NewGuid().ToString("N")
    );

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    /// <summary>Every registered result name.</summary>
    public static TheoryData<string> Names()
    {
        var d = new TheoryData<string>();
        foreach (var r in TheoryCatalog.All)
            d.Add(r.Name);
        return d;
    }

    [Fact]
    public void ListNamesEveryRequiredResult()
    {
        var (code, stdout, _) = Fixtures.RunCli("theory", "list");
        Assert.Equal(0, code);
        string[] required =
        [
            "sigmoid",
            "gamma-plus",
            "multilinear",
            "scaling",
            "emergence",
            "dc-shot",
            "conservation",
            "min-norm",
            "neural-collapse",
            "linear",
        ];
        var listed = stdout
            .Split('\n')
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault())
            .ToHashSet();
        foreach (var name in required)
            Assert.Contains(name, listed);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DefaultsAgreeAndEveryControlIsRejected(string name)
    {
        var r = TheoryCatalog.Find(name);
        var report = TheoryCatalog.Compute(r, TheoryCatalog.Defaults(r));
        var failing = report
            .Rows.Where(x => !x.Control && !x.Accepted)
            .Select(x => $"{x.Quantity} at {x.X}: |{x.Simulated} − {x.ClosedForm}| > {x.Tolerance}")
            .Take(5)
            .ToList();
        Assert.True(failing.Count == 0, string.Join("\n", failing));
        var controls = report.Rows.Where(x => x.Control).GroupBy(x => x.Quantity).ToList();
        Assert.NotEmpty(controls);
        foreach (var g in controls)
            Assert.True(g.Any(x => !x.Accepted), $"control {g.Key} was accepted on every row");
        Assert.True(TheoryCatalog.Passes(report));
    }

    /// <summary>
    /// Parity: the CLI is a thin face. The table <c>telescope theory &lt;name&gt;</c> writes at the defaults is, byte for
    /// byte, the one the library API writes (<see cref="TheoryCatalog"/> + <see cref="TheoryRun.Write"/>).
    /// </summary>
    [Theory]
    [MemberData(nameof(Names))]
    public void CliTableIsTheLibraryTableByteForByte(string name)
    {
        var check = TheoryCatalog.Find(name);
        var values = TheoryCatalog.Defaults(check);
        string library = Path.Combine(_dir, "library"),
            cli = Path.Combine(_dir, "cli");
        TheoryRun.Write(check, values, TheoryCatalog.Compute(check, values), library, 0);
        var (code, stdout, stderr) = Fixtures.RunCli("theory", name, "--out", cli);
        Assert.True(code == 0, stdout + stderr);
        Assert.Equal(
            File.ReadAllBytes(Path.Combine(library, name + ".csv")),
            File.ReadAllBytes(Path.Combine(cli, name + ".csv"))
        );
    }

    [Fact]
    public void PassesRejectsAReportWhoseControlIsAccepted()
    {
        var ok = new Comparison("q", 0, 1, 1, 1e-9);
        var controlRejected = new Comparison("control_q", 0, 1, 2, 1e-9, true);
        var controlAccepted = new Comparison("control_q", 0, 1, 1, 1e-9, true);
        TheoryReport Report(params Comparison[] rows) => new(rows, "x", [0], "test", []);
        Assert.True(TheoryCatalog.Passes(Report(ok, controlRejected)));
        Assert.False(TheoryCatalog.Passes(Report(ok, controlAccepted)));
        Assert.False(
            TheoryCatalog.Passes(Report(new Comparison("q", 0, 1, 2, 1e-9), controlRejected))
        );
    }

    [Fact]
    public void TheoryTablesHaveOneSeedColumn()
    {
        Assert.Equal(
            0,
            Fixtures.RunCli("theory", "dc-shot", "--param", "trials=100", "--out", _dir).code
        );
        var header = File.ReadLines(Path.Combine(_dir, "dc-shot.csv")).First().Split(',');
        Assert.Single(header, c => c == "seed");
    }

    [Fact]
    public void DcShotWithPlusMinusOneBitsComparesWithTheExpectedRankNotMinDDc()
    {
        // at d = D_c = 12 about a fifth of the ±1 designs are singular: E[R/S] = E[rank]/D_c < 1
        var (code, stdout, stderr) = Fixtures.RunCli(
            "theory",
            "dc-shot",
            "--param",
            "bits=1",
            "D_c=12",
            "trials=400",
            "--out",
            _dir
        );
        Assert.True(code == 0, stdout + stderr);
        var row = Telescope
            .Frames.TidyTable.ReadRows(Path.Combine(_dir, "dc-shot.csv"))
            .Single(r => r["quantity"] == "mean_R_over_S" && r["step"] == "12");
        double closed = double.Parse(
                row["closed_form"],
                System.Globalization.CultureInfo.InvariantCulture
            ),
            sim = double.Parse(row["simulated"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(
            closed < 0.995,
            $"E[rank]/D_c = {closed}: no singular design among the trials?"
        );
        // the old reading min(d, D_c)/D_c = 1 is far outside the Monte Carlo error; E[rank]/D_c is not
        Assert.True(Math.Abs(1 - sim) > 0.005, $"simulated {sim}");
        Assert.True(
            Math.Abs(closed - sim) < Math.Abs(1 - sim) / 3,
            $"closed {closed}, simulated {sim}"
        );
    }

    [Fact]
    public void LinearWritesTheTidyTableFigureAndManifest()
    {
        var (code, stdout, stderr) = Fixtures.RunCli(
            "theory",
            "linear",
            "--param",
            "trials=20",
            "--out",
            _dir
        );
        Assert.True(code == 0, stdout + stderr);
        var header = File.ReadLines(Path.Combine(_dir, "linear.csv")).First().Split(',');
        foreach (
            var col in new[]
            {
                "result",
                "n",
                "p",
                "eta",
                "quantity",
                "closed_form",
                "simulated",
                "abs_error",
                "rel_error",
            }
        )
            Assert.Contains(col, header);
        Assert.True(File.Exists(Path.Combine(_dir, "linear.html")));
        Assert.Contains("\"pass\"", File.ReadAllText(Path.Combine(_dir, "run.json")));
    }

    [Theory]
    [InlineData("must be an integer", "p=1.5")]
    [InlineData("must be at least 4p", "n=12")]
    [InlineData("must exceed learn_n", "learn_n=120", "learn_p=100")]
    [InlineData("is not a number", "beta=x")]
    [InlineData("unknown parameter 'zeta'", "zeta=1")]
    [InlineData("outside the theorem's range", "trials=5")]
    public void BadParametersExitTwoNamingTheProblemAndWriteNothing(
        string message,
        params string[] settings
    )
    {
        var (code, _, stderr) = Fixtures.RunCli([
            "theory",
            "linear",
            .. settings.SelectMany(s => new[] { "--param", s }),
            "--out",
            _dir,
        ]);
        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.False(Directory.Exists(_dir));
    }
}
