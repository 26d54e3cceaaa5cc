using System.Globalization;

namespace Telescope.Frames;

/// <summary>
/// The one long format of the project. Columns, in order:
/// <c>study, run, seed, step, split, example, output, &lt;parameters…&gt;, quantity, value</c>, and for
/// theory tables also <c>closed_form, simulated, abs_error, rel_error</c>. Empty cells mean "not
/// applicable". Anything that varies across rows is a column, never part of a file name, a split or a
/// quantity name. <see cref="ParameterNames"/> are the coordinate columns between <c>output</c> and
/// <c>quantity</c>: a cell is the row's own coordinate (<see cref="Observation.Coordinates"/>, e.g. a path's
/// <c>alpha</c> or a quantity's <c>layer</c>) when it sets one, else the run's swept hyper-parameter
/// (<see cref="RunKey"/>), else empty.
/// </summary>
public sealed record TidySchema(IReadOnlyList<string> ParameterNames, bool TheoryColumns = false)
{
    /// <summary>The identifying columns that precede the parameters.</summary>
    public static readonly string[] IdColumns =
    [
        "study",
        "run",
        "seed",
        "step",
        "split",
        "example",
        "output",
    ];

    /// <summary>Columns appended to theory tables.</summary>
    public static readonly string[] TheoryExtraColumns =
    [
        "closed_form",
        "simulated",
        "abs_error",
        "rel_error",
    ];

    /// <summary>Every column name, in order.</summary>
    public IReadOnlyList<string> Columns =>
        [
            .. IdColumns,
            .. ParameterNames,
            "quantity",
            "value",
            .. (TheoryColumns ? TheoryExtraColumns : []),
        ];

    /// <summary>The header line.</summary>
    public string Header => string.Join(',', Columns.Select(Csv.Escape));

    /// <summary>Format one observation of <paramref name="key"/> as a CSV line (no newline).</summary>
    public string FormatRow(RunKey key, in Observation o)
    {
        var cells = new List<string>(Columns.Count)
        {
            Csv.Escape(key.Study),
            Csv.Escape(key.Run),
            key.Seed.ToString(CultureInfo.InvariantCulture),
            Csv.Number(o.Step),
            Csv.Escape(o.Split ?? ""),
            o.Example?.ToString(CultureInfo.InvariantCulture) ?? "",
            o.Output?.ToString(CultureInfo.InvariantCulture) ?? "",
        };
        foreach (var name in ParameterNames)
            cells.Add(Csv.Escape(o.Coordinate(name) ?? key[name] ?? ""));
        cells.Add(Csv.Escape(o.Quantity));
        cells.Add(Csv.Number(o.Value));
        if (TheoryColumns)
        {
            var cf = o.ClosedForm;
            cells.Add(Csv.Number(cf));
            cells.Add(Csv.Number(o.Value));
            cells.Add(cf is { } c ? Csv.Number(Math.Abs(o.Value - c)) : "");
            cells.Add(cf is { } c2 ? Csv.Number(RelativeError(o.Value, c2)) : "");
        }
        return string.Join(',', cells);
    }

    /// <summary>|simulated − closed| / max(|closed|, 1e-300): relative to the closed form.</summary>
    public static double RelativeError(double simulated, double closed) =>
        Math.Abs(simulated - closed) / Math.Max(Math.Abs(closed), 1e-300);
}

/// <summary>CSV cell formatting (RFC 4180 quoting, invariant culture, round-trip doubles).</summary>
public static class Csv
{
    /// <summary>Quote a cell if it contains a comma, quote or newline.</summary>
    public static string Escape(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Round-trip formatting; NaN and infinities are written as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.</summary>
    public static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Empty for null.</summary>
    public static string Number(double? x) => x is { } v ? Number(v) : "";

    /// <summary>
    /// The records of a CSV text, RFC 4180: a quoted cell may hold commas, doubled quotes, CR and LF, which
    /// are kept as they are; records end at LF or CRLF outside quotes. Yields (first line number, cells).
    /// </summary>
    public static IEnumerable<(int line, List<string> cells)> Records(
        TextReader r,
        string source = ""
    )
    {
        var cells = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false,
            any = false;
        int line = 1,
            start = 1;
        for (int c; (c = r.Read()) >= 0; )
        {
            var ch = (char)c;
            any = true;
            if (quoted)
            {
                if (ch == '"' && r.Peek() == '"')
                {
                    sb.Append('"');
                    r.Read();
                }
                else if (ch == '"')
                    quoted = false;
                else
                {
                    if (ch == '\n')
                        line++;
                    sb.Append(ch);
                }
            }
            else if (ch == '"')
                quoted = true;
            else if (ch == ',')
            {
                cells.Add(sb.ToString());
                sb.Clear();
            }
            else if (ch == '\r' && r.Peek() == '\n')
                continue;
            else if (ch == '\n')
            {
                cells.Add(sb.ToString());
                yield return (start, cells);
                cells = new List<string>();
                sb.Clear();
                any = false;
                start = ++line;
            }
            else
                sb.Append(ch);
        }
        if (quoted)
            throw new InvalidDataException($"{source}:{start}: a quoted cell is not closed");
        if (any)
        {
            cells.Add(sb.ToString());
            yield return (start, cells);
        }
    }

    /// <summary>Split one CSV line into cells (handles quoted cells).</summary>
    public static List<string> Split(string line)
    {
        var cells = new List<string>();
        var sb = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    sb.Append('"');
                    i++;
                }
                else if (ch == '"')
                    quoted = false;
                else
                    sb.Append(ch);
            }
            else if (ch == '"')
                quoted = true;
            else if (ch == ',')
            {
                cells.Add(sb.ToString());
                sb.Clear();
            }
            else
                sb.Append(ch);
        }
        cells.Add(sb.ToString());
        return cells;
    }
}
