using System.CommandLine;
using Telescope.Experiments.Hosting;

namespace Telescope.Cli.Commands;

/// <summary>
/// <c>telescope report --in DIR [--out FILE]</c>: one self-contained HTML page (plotly.js inlined, no
/// network) from a folder of study or analysis outputs — every output folder's run.json, a summary of
/// each table and every figure redrawn from the tables.
/// </summary>
public static class ReportCommand
{
    /// <summary>Build the command.</summary>
    public static Command Build()
    {
        var input = new Option<string>("--in")
        {
            Description =
                "Folder of outputs (searched recursively; runs/ part folders are skipped).",
            Required = true,
        };
        var output = new Option<string?>("--out")
        {
            Description = "The HTML file. Default: DIR/report.html.",
        };
        var title = new Option<string>("--title")
        {
            Description = "Page title.",
            DefaultValueFactory = _ => FolderReport.DefaultTitle,
        };
        var cmd = new Command(
            "report",
            "Build one self-contained HTML report (figures, table summaries, run metadata) from a folder of outputs."
        )
        {
            input,
            output,
            title,
        };
        cmd.SetAction(r =>
            ScriptCommand.Guarded(() =>
            {
                var dir = r.GetValue(input)!;
                if (!Directory.Exists(dir))
                    throw new UsageException($"--in: folder not found: {dir}");
                var file = r.GetValue(output) ?? FolderReport.DefaultFile(dir);
                FolderReport.Check(file);
                Frames.OutputFolder.Check(Path.GetDirectoryName(Path.GetFullPath(file))!);
                var (sections, figures) = FolderReport.Write(dir, file, r.GetValue(title)!);
                Console.WriteLine(
                    $"wrote {file}: {sections} output folder(s), {figures} figure(s), self-contained (plotly.js inlined)"
                );
                return 0;
            })
        );
        return cmd;
    }
}
