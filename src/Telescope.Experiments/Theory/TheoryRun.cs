using System.Diagnostics;
using Microsoft.FSharp.Collections;
using Telescope.Plots;
using Telescope.Theory.Checks;

namespace Telescope.Experiments;

/// <summary>
/// A theory check run into files: its tidy CSV, offline figure and run.json, and the text a face prints about it
/// (the whole <c>telescope theory</c> action). Which checks exist, their parameters and verdicts are
/// <see cref="TheoryCatalog"/>'s.
/// </summary>
public static class TheoryRun
{
    /// <summary>The run key of a result's table: study "theory", run = name, parameter columns result + parameters.</summary>
    public static RunKey Key(
        ITheoryCheck r,
        IReadOnlyDictionary<string, double> values,
        long seed
    ) =>
        new(
            "theory",
            r.Name,
            seed,
            [
                new("result", r.Name),
                .. ColumnParameters(r)
                    .Select(p => new KeyValuePair<string, string>(
                        p.Name,
                        Csv.Number(values[p.Name])
                    )),
            ]
        );

    /// <summary>The parameters that get a column of their own: all but <c>seed</c>, which is the table's <c>seed</c> column.</summary>
    private static IEnumerable<ParamSpec> ColumnParameters(ITheoryCheck r) =>
        r.Parameters.Where(p => p.Name != "seed");

    /// <summary>Write <c>&lt;name&gt;.csv</c>, <c>&lt;name&gt;.html</c> and <c>run.json</c> into <paramref name="outDir"/>.</summary>
    public static void Write(
        ITheoryCheck r,
        IReadOnlyDictionary<string, double> values,
        TheoryReport report,
        string outDir,
        double seconds
    )
    {
        Directory.CreateDirectory(outDir);
        long seed = report.Seeds.Count > 0 ? report.Seeds[0] : 0;
        var key = Key(r, values, seed);
        var parameterColumns = ColumnParameters(r).Select(p => p.Name).ToList();
        // row coordinates (a data-increment row's alpha, …): a column of their own unless a parameter has it
        var coordinates = report
            .Rows.SelectMany(x => x.Coordinates ?? [])
            .Select(c => c.Key)
            .Distinct()
            .ToList();
        var schema = new TidySchema(
            ["result", .. parameterColumns, .. coordinates.Except(parameterColumns)],
            TheoryColumns: true
        );
        string csv = Path.Combine(outDir, r.Name + ".csv");
        using (var w = new TidyCsvWriter(csv, schema, key))
        {
            foreach (var row in report.Rows)
                w.Write(
                    new Telescope.Observation(
                        row.Quantity,
                        row.Simulated,
                        row.X,
                        Output: row.Output,
                        ClosedForm: row.ClosedForm,
                        Coordinates: row.Coordinates
                    )
                );
            w.Complete();
        }
        var tidy = TidyFrame.read(csv);
        var quantities = report.Rows.Select(x => x.Quantity).Distinct().ToList();
        var spec = new LineSpec(
            $"theory {r.Name}",
            ListModule.OfSeq(quantities),
            "step",
            ListModule.OfSeq(new[] { "output" }.Concat(coordinates)),
            FSharpList<string>.Empty,
            false,
            report.LogX,
            report.LogY,
            report.XTitle,
            "value",
            false
        );
        var charts = Figures.closedFormVsSimulated(spec, tidy);
        string caption =
            $"{r.Summary}\nparameters: {string.Join(", ", r.Parameters.Select(p => $"{p.Name}={Csv.Number(values[p.Name])}"))}\n"
            + $"{report.DataSource}\nlines: closed form; markers: simulation. Quantities prefixed control_ are must-fail controls (expected to disagree).";
        Offline.save(Path.Combine(outDir, r.Name + ".html"), $"theory {r.Name}", caption, charts);
        var config = new JsonObject { ["result"] = r.Name };
        foreach (var p in r.Parameters)
            config[p.Name] = values[p.Name];
        var tolerances = new JsonObject();
        foreach (var g in report.Rows.GroupBy(x => x.Claim))
            tolerances[g.Key] = g.Max(x => x.Tolerance);
        config["tolerance_max_by_quantity"] = tolerances;
        config["notes"] = new JsonArray(
            report.Notes.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()
        );
        bool pass = TheoryCatalog.Passes(report);
        var manifest = new RunManifest
        {
            Study = r.Name,
            Config = config,
            DataSource = report.DataSource,
            Seeds = report.Seeds.ToList(),
            Versions = RunManifest.VersionsOf(typeof(Telescope.Theory.Rk4), typeof(TheoryRun)),
            Threads = 1,
            Status = "completed",
            Finished = DateTime.UtcNow.ToString("o"),
        };
        manifest.Runs.Add(
            new RunStatus(
                r.Name,
                pass ? "pass" : "fail",
                seed,
                pass ? null : "closed form and simulation disagree beyond the tolerance",
                Seconds: seconds
            )
        );
        manifest.Outputs.AddRange([r.Name + ".csv", r.Name + ".html", Offline.PlotlyFileName]);
        manifest.Save(outDir);
    }

    /// <summary>Print the per-quantity summary (and a few sample rows) and return whether every check passed.</summary>
    public static bool Print(ITheoryCheck r, TheoryReport report, TextWriter o)
    {
        o.WriteLine($"theory {r.Name}: {r.Summary}");
        foreach (var n in report.Notes)
            o.WriteLine("  " + n);
        o.WriteLine();
        o.WriteLine(
            $"{"quantity", -44} {"rows", 5} {"x (worst)", 12} {"closed_form", 14} {"simulated", 14} {"abs_error", 10} {"tolerance", 10}  verdict"
        );
        bool pass = true;
        int controlsAccepted = 0;
        foreach (var g in report.Rows.GroupBy(x => x.Claim))
        {
            var rows = g.ToList();
            bool control = rows[0].Control;
            // worst row: largest error relative to tolerance
            var worst = rows.MaxBy(x => Excess(x))!;
            bool accepted = rows.All(x => x.Accepted);
            string verdict;
            if (control)
            {
                verdict = accepted ? "control NOT rejected" : "control rejected (as it must be)";
                controlsAccepted += accepted ? 1 : 0;
            }
            else
            {
                verdict = accepted ? "PASS" : "FAIL";
                pass &= accepted;
            }
            string rel = worst.Relation == Relation.AtMost ? "<=" : "";
            o.WriteLine(
                $"{g.Key + (worst.Output is { } k ? $" [{k}]" : ""), -44} {rows.Count, 5} {F(worst.X), 12} {F(worst.ClosedForm), 14} {F(worst.Simulated), 14} {F(Math.Abs(worst.Simulated - worst.ClosedForm)), 10} {rel + F(worst.Tolerance), 10}  {verdict}"
            );
        }
        o.WriteLine();
        o.WriteLine(
            pass
                ? $"PASS: every closed form agrees with its simulation within the spec tolerance"
                : "FAIL: some closed form disagrees with its simulation beyond the spec tolerance"
        );
        if (controlsAccepted > 0)
            o.WriteLine(
                $"FAIL: {controlsAccepted} must-fail control(s) NOT rejected: at these parameters the check cannot tell the misprinted form (or out-of-range case) from the theorem"
            );
        return TheoryCatalog.Passes(report);
    }

    private static double Excess(Comparison x) =>
        (
            x.Relation == Relation.Within
                ? Math.Abs(x.Simulated - x.ClosedForm)
                : x.Simulated - x.ClosedForm
        ) / Math.Max(x.Tolerance, 1e-300);

    private static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>The whole <c>telescope theory &lt;name&gt;</c> action; returns the exit code (0 pass, 1 fail).</summary>
    public static int RunOne(
        string name,
        IEnumerable<string> overrides,
        string? outDir,
        TextWriter o
    )
    {
        var r = TheoryCatalog.Find(name);
        var values = TheoryCatalog.Validate(r, overrides);
        string dir = outDir ?? Path.Combine("out", "theory", r.Name);
        OutputFolder.Check(dir); // before any work: a bad --out is bad input
        var sw = Stopwatch.StartNew();
        var report = TheoryCatalog.Compute(r, values);
        bool pass = Print(r, report, o);
        using (OutputFolder.Acquire(dir))
            Write(r, values, report, dir, sw.Elapsed.TotalSeconds);
        o.WriteLine(
            $"wrote {Path.Combine(dir, r.Name + ".csv")}, {Path.Combine(dir, r.Name + ".html")}, {Path.Combine(dir, "run.json")} ({sw.Elapsed.TotalSeconds:F1} s)"
        );
        return pass ? 0 : 1;
    }

    /// <summary>The listing printed by <c>telescope theory list</c>.</summary>
    public static void List(TextWriter o)
    {
        foreach (var r in TheoryCatalog.All)
        {
            o.WriteLine($"{r.Name, -16} {r.Summary}");
            o.WriteLine(
                $"{"", -16}   params: {string.Join(", ", r.Parameters.Select(p => $"{ParameterHelp.Assignment(p)} {p.Listed}"))}"
            );
        }
    }
}
