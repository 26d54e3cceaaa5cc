namespace Telescope.Experiments.Hosting;

/// <summary>One self-contained HTML page (plotly.js inlined) of a folder of outputs: what <c>telescope report</c> writes.</summary>
public static class FolderReport
{
    /// <summary>The page's title when none is given.</summary>
    public const string DefaultTitle = "Telescope.Analytics report";

    /// <summary>The page written for <paramref name="root"/> when no file is given: <c>ROOT/report.html</c>.</summary>
    public static string DefaultFile(string root) => Path.Combine(root, "report.html");

    /// <summary>
    /// Write the report of every output folder under <paramref name="root"/> (run.json, table summaries, figures
    /// redrawn from the tables) to <paramref name="file"/>, atomically; returns the sections and figures written.
    /// </summary>
    public static (int Sections, int Figures) Write(string root, string file, string title) =>
        Telescope.Plots.Report.write(root, file, title).ToValueTuple();
}
