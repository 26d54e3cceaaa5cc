namespace Telescope.Plots

open System
open System.IO
open System.Text
open XPlot.Plotly

/// Offline HTML for XPlot.Plotly charts. XPlot points its pages at a CDN copy of plotly.js; here every
/// page loads `plotly.min.js` from its own folder (a vendored plotly.js 2.35.2, MIT, from the npm
/// package `plotly.js-dist-min`), written beside the page, so figures open with no network.
[<RequireQualifiedAccess>]
module Offline =

    /// The file name of the local plotly.js copy written beside every page.
    [<Literal>]
    let PlotlyFileName = "plotly.min.js"

    /// The vendored plotly.js source.
    let plotlyJs: Lazy<string> =
        lazy
            (use s =
                typeof<PlotlyChart>.Assembly |> ignore
                Reflection.Assembly.GetExecutingAssembly().GetManifestResourceStream(PlotlyFileName)

             use r = new StreamReader(s)
             r.ReadToEnd())

    let private writeAtomic (path: string) (text: string) =
        Telescope.Frames.AtomicFile.WriteAllText(path, text)

    /// Ensure `plotly.min.js` exists in `dir`.
    let ensurePlotlyIn (dir: string) =
        let p = Path.Combine(dir, PlotlyFileName)

        if
            not (File.Exists p)
            || FileInfo(p).Length <> int64 (Encoding.UTF8.GetByteCount plotlyJs.Value)
        then
            writeAtomic p plotlyJs.Value

    let private escape (s: string) = Net.WebUtility.HtmlEncode s

    /// The CSS that keeps each figure's tool bar in a strip above its plot, clear of the title (every page that
    /// wraps its charts in `<div class="figure">`: study pages, `telescope report`, the docs site).
    [<Literal>]
    let FigureStyle =
        ".figure{position:relative;padding-top:28px} .figure .modebar{top:-26px !important}"

    /// The `<div>`+`<script>` of one chart (no page, no plotly.js).
    let chartDiv (chart: PlotlyChart) = chart.GetInlineHtml()

    /// A whole page: a title, an optional caption (provenance), and each chart in order.
    /// `inlinePlotly` embeds plotly.js in the page (self-contained, larger); otherwise the page loads
    /// `plotly.min.js` from its folder.
    let page (title: string) (caption: string) (inlinePlotly: bool) (charts: PlotlyChart seq) =
        let sb = StringBuilder()

        sb
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
            .Append(escape title)
            .Append("</title>\n")
        |> ignore

        if inlinePlotly then
            sb.Append("<script>").Append(plotlyJs.Value).Append("</script>\n") |> ignore
        else
            sb.Append("<script src=\"").Append(PlotlyFileName).Append("\"></script>\n")
            |> ignore

        sb
            .Append(
                "<style>body{font-family:sans-serif;margin:1.5em;} .caption{color:#555;font-size:0.9em;white-space:pre-wrap;} "
                + FigureStyle
                + "</style>\n"
            )
            .Append("</head><body>\n<h1>")
            .Append(escape title)
            .Append("</h1>\n<div class=\"caption\">")
            .Append(escape caption)
            .Append("</div>\n")
        |> ignore

        for c in charts do
            sb.Append("<div class=\"figure\">").Append(chartDiv c).Append("</div>\n")
            |> ignore

        sb.Append("</body></html>\n").ToString()

    /// A page of sections: (heading, as a grid, charts). Grid sections lay their (small) charts side by side,
    /// wrapping; other sections stack them.
    let pageSections (title: string) (caption: string) (sections: (string * bool * PlotlyChart list) list) =
        let body = StringBuilder()

        for heading, grid, charts in sections do
            if heading <> "" then
                body.Append("<h2>").Append(escape heading).Append("</h2>\n") |> ignore

            body.Append(if grid then "<div class=\"grid\">\n" else "<div>\n") |> ignore

            for c in charts do
                body.Append("<div class=\"figure\">").Append(chartDiv c).Append("</div>\n")
                |> ignore

            body.Append("</div>\n") |> ignore

        let page = page title caption false []
        let at = page.LastIndexOf "</body>"

        page
            .Insert(at, body.ToString())
            .Replace(
                "</style>",
                " .grid{display:flex;flex-wrap:wrap;gap:4px;} h2{font-size:1.1em;margin-top:1.5em;}</style>"
            )

    /// Write a page of sections (see `pageSections`) to `path` (atomically) with `plotly.min.js` beside it.
    let saveSections (path: string) (title: string) (caption: string) sections =
        let dir = Path.GetDirectoryName(Path.GetFullPath path)
        Directory.CreateDirectory dir |> ignore
        ensurePlotlyIn dir
        writeAtomic path (pageSections title caption sections)

    /// Write a page of charts to `path` (atomically) with `plotly.min.js` beside it.
    let save (path: string) (title: string) (caption: string) (charts: PlotlyChart seq) =
        let dir = Path.GetDirectoryName(Path.GetFullPath path)
        Directory.CreateDirectory dir |> ignore
        ensurePlotlyIn dir
        writeAtomic path (page title caption false charts)
