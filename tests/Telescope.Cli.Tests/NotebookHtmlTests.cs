using Telescope.Frames;
using Xunit;

namespace Telescope.Tests;

/// <summary>HTML tables and offline charts for notebooks (<see cref="NotebookHtml"/>).</summary>
public class NotebookHtmlTests
{
    private sealed record Row(string Name, double Value, int? Count);

    [Fact]
    public void TableHasOneColumnPerPropertyInOrderWithEncodedInvariantCells()
    {
        var html = NotebookHtml.Table(
            [new Row("a<b", 1.0 / 3, null), new Row("c", 1e-12, 7)],
            digits: 3
        );
        Assert.Contains("<th", html);
        var heads = html.Split("<th style")[1..]
            .Select(h => h[(h.IndexOf('>') + 1)..h.IndexOf("</th>")]);
        Assert.Equal(["Name", "Value", "Count"], heads);
        Assert.Contains(">a&lt;b</td>", html);
        Assert.Contains(">0.333</td>", html);
        Assert.Contains(">1E-12</td>", html);
        Assert.Contains("<td style=\"padding:2px 8px\"></td>", html); // null → empty cell
        Assert.Equal(2, html.Split("<tr>").Length - 2); // header row + 2 rows
    }

    [Fact]
    public void TableStopsAtMaxRowsAndSaysHowManyWereLeftOut()
    {
        var html = NotebookHtml.Table(
            Enumerable.Range(0, 10).Select(i => new Row("r", i, i)),
            maxRows: 3
        );
        Assert.Equal(3, html.Split("<tr>").Length - 2);
        Assert.Contains("7 more rows", html);
    }

    [Fact]
    public void TableOfObservationsShowsTheirFields()
    {
        var html = NotebookHtml.Table([new Observation("loss", 0.5, 3, "test")]);
        Assert.Contains(">Quantity</th>", html);
        Assert.Contains(">loss</td>", html);
        Assert.Contains(">test</td>", html);
    }

    [Fact]
    public void LineChartEmbedsPlotlyOnceAndDropsPointsALogAxisCannotShow()
    {
        var plotly = NotebookHtml.PlotlyFrom(typeof(Telescope.Plots.Offline).Assembly.Location);
        Assert.Contains("plotly.js v2.35.2", plotly);
        var html = NotebookHtml.LineChart(
            "t",
            [
                new ChartLine("a", [1, 2, 3], [0.0, 0.1, double.NaN]),
                new ChartLine("b", [1], [1], Markers: true),
            ],
            plotly,
            logY: true
        );
        Assert.Contains("typeof window.Plotly === 'undefined'", html);
        Assert.Contains("Plotly.newPlot", html);
        Assert.Contains("\"x\":[2],\"y\":[0.1]", html);
        Assert.Contains("\"mode\":\"markers\"", html);
        Assert.Contains("\"type\":\"log\"", html);
        Assert.DoesNotContain("<script src=", html);
    }
}
