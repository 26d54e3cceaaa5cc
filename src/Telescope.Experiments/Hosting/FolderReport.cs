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
    /// redrawn from the tables) to <paramref name="file"/>, atomically, holding the lock of the file's folder; returns
    /// the sections and figures written. A report writes only report files: <paramref name="file"/> must end in
    /// <c>.html</c> and, when it exists, be an earlier report (<see cref="Check"/>); a study's run.json, tables and
    /// figures are never replaced.
    /// </summary>
    public static (int Sections, int Figures) Write(string root, string file, string title)
    {
        Check(file);
        if (Telescope.Plots.Report.discover(root).IsEmpty)
            throw new ArgumentException($"{Option("in")}: no run.json or CSV table under {root}"); // before anything is written
        // built first (a bad table is refused before the output folder exists), then written under the lock
        var (html, figures) = Telescope.Plots.Report.build(root, title);
        int sections = Telescope.Plots.Report.discover(root).Length;
        using var folder = Telescope.Frames.OutputFolder.Acquire(
            Path.GetDirectoryName(Path.GetFullPath(file))!,
            Option("out")
        );
        Check(file); // again under the lock: a study may have written the file meanwhile
        Telescope.Frames.AtomicFile.WriteAllText(file, html);
        return (sections, figures);
    }

    /// <summary>
    /// Refuse (<see cref="Telescope.Frames.OutputFolderException"/>) a report file that is not an <c>.html</c> name, is
    /// a folder, or exists without being a page this command wrote (a study's table, run.json or figure).
    /// </summary>
    public static void Check(string file)
    {
        if (Directory.Exists(file))
            throw new Telescope.Frames.OutputFolderException(
                $"{Option("out")} '{file}' is a folder; name the HTML file"
            );
        if (!file.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
            throw new Telescope.Frames.OutputFolderException(
                $"{Option("out")} '{file}': a report is an .html file; name one that ends in .html"
            );
        if (File.Exists(file) && !IsReport(file))
            throw new Telescope.Frames.OutputFolderException(
                $"{Option("out")} '{file}' exists and is not a page written by telescope report (a study's figure?); it is kept — choose another {Option("out")}"
            );
    }

    /// <summary>Whether <paramref name="file"/> begins like a page written by <c>telescope report</c>.</summary>
    public static bool IsReport(string file)
    {
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var head = new byte[1024];
        int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return System
            .Text.Encoding.UTF8.GetString(head, 0, n)
            .Contains(Telescope.Plots.Report.generator, StringComparison.Ordinal);
    }
}
