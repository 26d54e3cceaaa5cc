using System.Text;
using Telescope.Cli;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// Issue 24: <c>telescope report</c> held every row of every table in memory (a 140 MB table peaked at 5.8 GB). A
/// table above the report's declared bound is now summarised in one streamed pass and its figures are left out,
/// with a line saying why.
/// </summary>
public sealed class ReportBoundTests : IDisposable
{
    private readonly string _dir = Path.Combine(
        Path.GetTempPath(),
        "telescope-report-bound-" + Guid.NewGuid().ToString("N")
    );

    public ReportBoundTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, true);
    }

    [Fact]
    public void ATableAboveTheBoundIsSummarisedStreamedAndNotDrawn()
    {
        // two runs' loss, steps 0..K; every value 1 except the last step's (0.25 and 0.75): the summary's final mean,
        // min and max are known without the report's code; K makes the file just larger than the bound
        var study = Path.Combine(_dir, "big");
        Directory.CreateDirectory(study);
        var table = Path.Combine(study, "approximation.csv");
        const string header = "study,run,seed,step,split,example,output,quantity,value\n";
        long bound = Telescope.Plots.Report.MaxDrawnTableBytes;
        int rows = 0;
        int k = 0;
        using (var w = new StreamWriter(table, false, new UTF8Encoding(false)))
        {
            w.Write(header);
            long bytes = header.Length;
            for (k = 0; bytes <= bound; k++)
            for (int r = 0; r < 2; r++)
            {
                var line = $"approximation,r{r},{r},{k},train,,,loss,1\n";
                w.Write(line);
                bytes += line.Length;
                rows++;
            }
            w.Write(
                $"approximation,r0,0,{k},train,,,loss,0.25\napproximation,r1,1,{k},train,,,loss,0.75\n"
            );
            rows += 2;
        }
        Assert.True(new FileInfo(table).Length > bound);
        var page = Path.Combine(_dir, "report.html");
        var (code, _, err) = Fixtures.RunCli("report", "--in", study, "--out", page);
        Assert.True(code == TelescopeCli.Ok, $"exit {code}: {err}");
        var html = File.ReadAllText(page);
        Assert.Contains($"({rows} rows × 9 columns)", html);
        Assert.Contains(
            $"<tr><td>loss</td><td>train</td><td>{rows}</td><td>2</td><td>2</td><td>0–{k.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}</td><td>0.5</td><td>0.25</td><td>0.75</td></tr>",
            html
        );
        Assert.Contains("figures not drawn: approximation.csv is", html);
        Assert.Contains("data-figures=\"0\"", html);
    }
}
