using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Telescope.Frames;

/// <summary>One line of a <see cref="NotebookHtml.LineChart"/>: a name and its (x, y) points.</summary>
/// <param name="Name">Legend entry.</param>
/// <param name="X">x values.</param>
/// <param name="Y">y values, as many as <paramref name="X"/>.</param>
/// <param name="Markers">Draw markers only (for example a simulation against a closed-form line).</param>
public sealed record ChartLine(
    string Name,
    IReadOnlyList<double> X,
    IReadOnlyList<double> Y,
    bool Markers = false
);

/// <summary>
/// HTML for notebooks and other hosts that show HTML, with no Deedle and no F# in the way: a table of any
/// rows (F# records, C# records, <see cref="Observation"/>s) and an offline plotly line chart whose
/// plotly.js is embedded inline (no CDN). Polyglot/.NET Interactive notebooks ship their own FSharp.Core,
/// older than the one Deedle 8 and the F# assemblies of this library are built against, so a notebook
/// reaches the library through its C# assemblies and these helpers
/// (see <c>analysis/notebooks/</c>).
/// </summary>
public static class NotebookHtml
{
    /// <summary>
    /// An HTML <c>&lt;table&gt;</c> of <paramref name="rows"/>: one column per public instance property
    /// (then field) of the row type, in declaration order; numbers in invariant culture with
    /// <paramref name="digits"/> significant digits, null as an empty cell, text HTML-encoded. At most
    /// <paramref name="maxRows"/> rows are written, then a line saying how many were left out.
    /// </summary>
    public static string Table<T>(IEnumerable<T> rows, int digits = 4, int maxRows = 50)
    {
        var t = typeof(T);
        var props = t.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .OrderBy(p => p.MetadataToken)
            .Select(p => (p.Name, Get: (Func<object, object?>)p.GetValue));
        var fields = t.GetFields(BindingFlags.Public | BindingFlags.Instance)
            .OrderBy(f => f.MetadataToken)
            .Select(f => (f.Name, Get: (Func<object, object?>)f.GetValue));
        var columns = props.Concat(fields).ToList();
        return Table(
            columns.Select(c => c.Name).ToList(),
            rows.Select(r => columns.Select(c => r is null ? null : c.Get(r)).ToArray()),
            digits,
            maxRows
        );
    }

    /// <summary>An HTML <c>&lt;table&gt;</c> with the given header and cells (see <see cref="Table{T}"/>).</summary>
    public static string Table(
        IReadOnlyList<string> columns,
        IEnumerable<object?[]> rows,
        int digits = 4,
        int maxRows = 50
    )
    {
        var sb = new StringBuilder(
            "<table class=\"telescope\" style=\"border-collapse:collapse;font-family:sans-serif;font-size:0.9em\">\n<thead><tr>"
        );
        foreach (var c in columns)
            sb.Append("<th style=\"border-bottom:1px solid #999;padding:2px 8px;text-align:left\">")
                .Append(WebUtility.HtmlEncode(c))
                .Append("</th>");
        sb.Append("</tr></thead>\n<tbody>\n");
        int n = 0,
            left = 0;
        foreach (var row in rows)
        {
            if (n >= maxRows)
            {
                left++;
                continue;
            }
            n++;
            sb.Append("<tr>");
            foreach (var cell in row)
                sb.Append("<td style=\"padding:2px 8px\">")
                    .Append(WebUtility.HtmlEncode(Cell(cell, digits)))
                    .Append("</td>");
            sb.Append("</tr>\n");
        }
        sb.Append("</tbody></table>\n");
        if (left > 0)
            sb.Append("<p><i>… ").Append(left).Append(" more rows</i></p>\n");
        return sb.ToString();
    }

    /// <summary>The text of one cell: numbers to <paramref name="digits"/> significant digits (invariant), null empty.</summary>
    public static string Cell(object? value, int digits = 4) =>
        value switch
        {
            null => "",
            double d => d.ToString("G" + digits, CultureInfo.InvariantCulture),
            float f => f.ToString("G" + digits, CultureInfo.InvariantCulture),
            IFormattable x => x.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };

    /// <summary>
    /// The vendored plotly.js embedded in the <c>Telescope.Plots</c> assembly at
    /// <paramref name="plotsAssemblyPath"/> (read as a resource: no F# code of that assembly runs, so this
    /// works in a host whose FSharp.Core is older than the library's).
    /// </summary>
    public static string PlotlyFrom(string plotsAssemblyPath)
    {
        var asm = Assembly.LoadFrom(plotsAssemblyPath);
        using var s = asm.GetManifestResourceStream("plotly.min.js")
            ?? throw new InvalidDataException($"{plotsAssemblyPath} holds no plotly.min.js");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }

    /// <summary>
    /// A plotly line chart as one self-contained HTML fragment: a <c>&lt;div&gt;</c>, <paramref name="plotlyJs"/>
    /// inline (loaded once per page: skipped when <c>window.Plotly</c> exists) and the call that draws
    /// <paramref name="lines"/>. Log axes drop non-positive values (plotly would). Needs no network.
    /// </summary>
    public static string LineChart(
        string title,
        IEnumerable<ChartLine> lines,
        string plotlyJs,
        string xTitle = "step",
        string yTitle = "",
        bool logX = false,
        bool logY = false,
        int height = 420
    )
    {
        var id = "telescope-" + Guid.NewGuid().ToString("N")[..12];
        var traces = lines
            .Select(l =>
            {
                var pts = l
                    .X.Zip(l.Y)
                    .Where(p =>
                        double.IsFinite(p.First)
                        && double.IsFinite(p.Second)
                        && (!logX || p.First > 0)
                        && (!logY || p.Second > 0)
                    )
                    .ToList();
                return new Dictionary<string, object>
                {
                    ["type"] = "scatter",
                    ["mode"] = l.Markers ? "markers" : "lines",
                    ["name"] = l.Name,
                    ["x"] = pts.Select(p => p.First).ToArray(),
                    ["y"] = pts.Select(p => p.Second).ToArray(),
                };
            })
            .ToList();
        var layout = new Dictionary<string, object>
        {
            ["title"] = new { text = title },
            ["height"] = height,
            ["xaxis"] = new { title = new { text = xTitle }, type = logX ? "log" : "linear" },
            ["yaxis"] = new { title = new { text = yTitle }, type = logY ? "log" : "linear" },
        };
        var sb = new StringBuilder();
        sb.Append("<div id=\"").Append(id).Append("\"></div>\n");
        // the library once per page; a second chart finds window.Plotly and skips it
        sb.Append("<script>if (typeof window.Plotly === 'undefined') {\n")
            .Append(plotlyJs.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase))
            .Append("\n}</script>\n");
        sb.Append("<script>Plotly.newPlot(\"")
            .Append(id)
            .Append("\", ")
            .Append(JsonSerializer.Serialize(traces))
            .Append(", ")
            .Append(JsonSerializer.Serialize(layout))
            .Append(", {\"responsive\": true});</script>\n");
        return sb.ToString();
    }
}
