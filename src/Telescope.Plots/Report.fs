namespace Telescope.Plots

open System
open System.IO
open System.Text
open System.Text.Json.Nodes
open Deedle
open XPlot.Plotly
open Telescope.Frames

/// One section of a report: an output folder (a study run, an analysis script's output) with its
/// `run.json` and its tables.
type ReportSection =
    {
        /// The folder.
        Dir: string
        /// Its path relative to the report's input folder ("." for the folder itself).
        Title: string
        /// `run.json`, when there is one.
        Manifest: string option
        /// CSV tables in the folder (not in its `runs/` sub-folder of per-run parts).
        Tables: string list
    }

/// `telescope report`: one self-contained HTML page (plotly.js inlined, no network) from a folder of
/// outputs — for every output folder, its run metadata (run.json), a summary of each table and every
/// figure, redrawn from the tables (figures are drawn from tables only).
///
/// Tables are recognised by their columns: tidy tables (`quantity`, `value`, `step`) get one chart per
/// quantity (mean over seeds, one line per hyper-parameter setting; the approximation study gets its
/// paper figures); aggregates (`step`, `mean`, `ci_low`, `ci_high`) get mean lines with interval bands;
/// step-indexed tables (first column `step`, e.g. pivots) get one line per column; other tables are
/// summarised only.
[<RequireQualifiedAccess>]
module Report =

    let private enc (s: string) = Net.WebUtility.HtmlEncode s

    let private header (path: string) =
        use r = new StreamReader(path)

        match Csv.Records(r, path) |> Seq.tryHead with
        | None -> []
        | Some(struct (_, h)) -> List.ofSeq h

    /// Every folder under `root` (itself included, `runs/` part folders excluded) holding a run.json or
    /// a CSV table, in path order.
    let discover (root: string) : ReportSection list =
        let root = Path.GetFullPath root

        if not (Directory.Exists root) then
            raise (DirectoryNotFoundException(sprintf "report input folder not found: %s" root))

        let rec dirs (d: string) =
            seq {
                yield d

                for s in Directory.GetDirectories d |> Array.sort do
                    if Path.GetFileName s <> "runs" then
                        yield! dirs s
            }

        [
            for d in dirs root do
                let manifest = Path.Combine(d, "run.json")
                let manifest = if File.Exists manifest then Some manifest else None
                let tables = Directory.GetFiles(d, "*.csv") |> Array.sort |> List.ofArray

                if manifest.IsSome || not tables.IsEmpty then
                    let rel = Path.GetRelativePath(root, d)
                    let rel = if rel = "." then Path.GetFileName root else rel

                    yield
                        {
                            Dir = d
                            Title = rel
                            Manifest = manifest
                            Tables = tables
                        }
        ]

    let private isTidy (h: string list) =
        List.contains "quantity" h && List.contains "value" h && List.contains "step" h

    let private isAggregate (h: string list) =
        [ "step"; "mean"; "ci_low"; "ci_high" ]
        |> List.forall (fun c -> List.contains c h)

    let private isStepIndexed (h: string list) = List.tryHead h = Some "step"

    /// Between `output` and `quantity`: the swept hyper-parameters of a tidy table.
    let private parameterColumns (h: string list) =
        let i = List.tryFindIndex ((=) "output") h
        let j = List.tryFindIndex ((=) "quantity") h

        match i, j with
        | Some i, Some j when j > i -> h.[i + 1 .. j - 1]
        | _ -> []

    /// Log y for errors and losses whose values are all ≥ 0 with some > 0 (zeros, e.g. at t = 0, are
    /// left off a log axis).
    let private logYFor (q: string) (values: float seq) =
        (q.EndsWith "error" || q.Contains "loss")
        && Seq.forall (fun v -> v >= 0.0 || Double.IsNaN v) values
        && Seq.exists (fun v -> v > 0.0) values

    let private tidyCharts (h: string list) (rows: Row list) =
        let study =
            rows
            |> List.tryHead
            |> Option.map (TidyFrame.cell "study")
            |> Option.defaultValue ""

        if study = "approximation" then
            Studies.Approximation.charts rows
        else
            let rows =
                rows
                |> List.filter (fun r -> TidyFrame.cell "example" r = "" && TidyFrame.cell "step" r <> "")

            let varying =
                (parameterColumns h @ [ "split" ])
                |> List.filter (fun c -> (TidyFrame.levels c rows |> List.length) > 1)

            [
                for q in TidyFrame.levels "quantity" rows |> List.truncate 16 do
                    let qrows = TidyFrame.quantity q rows

                    let spec =
                        { Figures.lineSpec q [ q ] with
                            GroupBy = varying
                            LogY = logYFor q (qrows |> List.map (TidyFrame.number "value"))
                            XTitle = FrameFigures.StepTitle
                            YTitle = q
                        }

                    yield! Figures.lines spec qrows
            ]

    let private subset (frame: Frame<int, string>) (keep: int -> bool) =
        let keys =
            frame.RowKeys
            |> Seq.indexed
            |> Seq.filter (fst >> keep)
            |> Seq.map snd
            |> Array.ofSeq

        frame.Rows.[keys] |> Frame.indexRowsOrdinally

    let private aggregateCharts (h: string list) (frame: Frame<int, string>) =
        let stats =
            set [ "step"; "n"; "mean"; "std"; "sem"; "ci_low"; "ci_high"; "quantity"; "study" ]

        let varying (f: Frame<int, string>) =
            h
            |> List.filter (fun c -> not (stats.Contains c))
            |> List.filter (fun c -> TidyFrames.Cells(f, c) |> Array.distinct |> Array.length > 1)

        let steps = TidyFrames.Numbers(frame, "step") |> Array.distinct

        if steps.Length < 2 then
            [] // one step: nothing to draw over time, the summary table says it all
        elif List.contains "quantity" h then
            let q = TidyFrames.Cells(frame, "quantity")

            [
                for level in Array.distinct q |> Array.truncate 16 do
                    let f = subset frame (fun i -> q.[i] = level)
                    let logY = logYFor level (TidyFrames.Numbers(f, "mean"))
                    yield FrameFigures.seedBands (level + " (mean over seeds, 95% CI)") (varying f) false logY level f
            ]
        else
            [
                FrameFigures.seedBands "mean over seeds" (varying frame) false false "mean" frame
            ]

    /// What the line styles and colours of a table's small multiples mean, when the panels themselves carry no
    /// legend (the approximation study's per-run panels).
    let legendNote (table: string) : string option =
        let h = header table

        if isTidy h then
            use r = new StreamReader(table)

            match Csv.Records(r, table) |> Seq.tryItem 1 with
            | Some(struct (_, row)) when (row |> Seq.tryHead) = Some "approximation" ->
                Some Studies.Approximation.ApproximationGridNote
            | _ -> None
        else
            None

    /// The charts of one table (empty for tables that are only summarised).
    let chartsFor (table: string) : PlotlyChart list =
        let h = header table

        if isTidy h then
            tidyCharts h (TidyFrame.read table)
        elif isAggregate h then
            aggregateCharts h (TidyTable.Load table)
        elif isStepIndexed h then
            let f: Frame<float, string> = (TidyTable.Load table).IndexRows<float>("step")

            let numeric =
                f.ColumnKeys
                |> Seq.filter (fun c -> TidyFrames.Numbers(f, c) |> Array.exists (Double.IsNaN >> not))
                |> Array.ofSeq

            let f = f.Columns.[numeric]

            let positive =
                numeric
                |> Array.forall (fun c -> TidyFrames.Numbers(f, c) |> Array.forall (fun v -> v > 0.0 || Double.IsNaN v))

            [
                FrameFigures.pivotLines (Path.GetFileNameWithoutExtension table) false positive "value" f
            ]
        else
            []

    let private fmt (x: float) =
        if Double.IsNaN x then
            ""
        else
            x.ToString("G4", Globalization.CultureInfo.InvariantCulture)

    /// The largest table (bytes) whose figures a report draws: drawing holds every row in memory, about 40 times
    /// the file's size (a 140 MB table peaked at 5.8 GB). A larger table is summarised in one streamed pass
    /// (memory independent of its length) and its figures are left out, with a line saying so.
    [<Literal>]
    let MaxDrawnTableBytes = 33554432L

    /// Whether `table` is above `MaxDrawnTableBytes`.
    let tooLargeToDraw (table: string) =
        FileInfo(table).Length > MaxDrawnTableBytes

    /// Running statistics of one (quantity, split) group, updated row by row.
    type private Group() =
        member val Rows = 0 with get, set
        member val Runs = Collections.Generic.HashSet<string>() with get
        member val Seeds = Collections.Generic.HashSet<string>() with get
        member val FirstStep = nan with get, set
        member val LastStep = nan with get, set
        member val Sum = 0.0 with get, set
        member val Count = 0 with get, set
        member val Min = nan with get, set
        member val Max = nan with get, set

    /// An HTML summary of a table: for tidy tables one line per (quantity, split) with rows, runs, seeds,
    /// step range and the final-step mean, min and max of `value`; otherwise its size and first rows. Read in
    /// one streamed pass: memory grows with the number of groups, runs and seeds, not with the rows.
    let summaryHtml (table: string) =
        let h = header table
        let sb = StringBuilder()
        let groups = Collections.Generic.Dictionary<string * string, Group>()
        let order = Collections.Generic.List<string * string>()
        let first = Collections.Generic.List<Row>()
        let mutable total = 0
        let tidy = isTidy h

        for r in Telescope.Frames.TidyTable.ReadRows table do
            total <- total + 1

            if not tidy then
                if first.Count < 8 then
                    first.Add r
            elif TidyFrame.cell "example" r = "" then
                let key = TidyFrame.cell "quantity" r, TidyFrame.cell "split" r

                let g =
                    match groups.TryGetValue key with
                    | true, g -> g
                    | _ ->
                        let g = Group()
                        groups[key] <- g
                        order.Add key
                        g

                g.Rows <- g.Rows + 1
                g.Runs.Add(TidyFrame.cell "run" r) |> ignore
                g.Seeds.Add(TidyFrame.cell "seed" r) |> ignore
                let step = TidyFrame.number "step" r

                if not (Double.IsNaN step) then
                    if Double.IsNaN g.FirstStep || step < g.FirstStep then
                        g.FirstStep <- step

                    let v = TidyFrame.number "value" r
                    // the final step's values: a later step starts them again (as List.max / List.min would see them)
                    if Double.IsNaN g.LastStep || step > g.LastStep then
                        g.LastStep <- step
                        g.Sum <- v
                        g.Count <- 1
                        g.Min <- v
                        g.Max <- v
                    elif step = g.LastStep then
                        g.Sum <- g.Sum + v
                        g.Count <- g.Count + 1

                        if v < g.Min then
                            g.Min <- v

                        if v > g.Max then
                            g.Max <- v

        sb.AppendFormat(
            "<h4>{0} <span class=\"dim\">({1} rows × {2} columns)</span></h4>\n",
            enc (Path.GetFileName table),
            total,
            h.Length
        )
        |> ignore

        if tidy then
            sb.Append(
                "<table class=\"summary\"><tr><th>quantity</th><th>split</th><th>rows</th><th>runs</th><th>seeds</th><th>steps</th><th>final mean</th><th>final min</th><th>final max</th></tr>\n"
            )
            |> ignore

            for (q, s) in order do
                let g = groups[(q, s)]
                let stat x = if g.Count = 0 then nan else x

                sb.AppendFormat(
                    "<tr><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}</td><td>{5}</td><td>{6}</td><td>{7}</td><td>{8}</td></tr>\n",
                    enc q,
                    enc s,
                    g.Rows,
                    g.Runs.Count,
                    g.Seeds.Count,
                    (if Double.IsNaN g.LastStep then
                         ""
                     else
                         sprintf "%s–%s" (fmt g.FirstStep) (fmt g.LastStep)),
                    fmt (stat (g.Sum / float g.Count)),
                    fmt (stat g.Min),
                    fmt (stat g.Max)
                )
                |> ignore

            sb.Append("</table>\n") |> ignore
        else
            sb.Append("<table class=\"summary\"><tr>") |> ignore

            for c in h do
                sb.Append("<th>").Append(enc c).Append("</th>") |> ignore

            sb.Append("</tr>\n") |> ignore

            for r in first do
                sb.Append("<tr>") |> ignore

                for c in h do
                    let cell = TidyFrame.cell c r

                    let cell =
                        match
                            Double.TryParse(
                                cell,
                                Globalization.NumberStyles.Float,
                                Globalization.CultureInfo.InvariantCulture
                            )
                        with
                        | true, v -> fmt v
                        | _ -> cell

                    sb.Append("<td>").Append(enc cell).Append("</td>") |> ignore

                sb.Append("</tr>\n") |> ignore

            if total > 8 then
                sb.AppendFormat(
                    "<tr><td colspan=\"{0}\" class=\"dim\">… {1} more rows</td></tr>\n",
                    h.Length,
                    total - 8
                )
                |> ignore

            sb.Append("</table>\n") |> ignore

        sb.ToString()

    /// An HTML block for run.json: the key facts, then the whole file.
    let manifestHtml (path: string) =
        let text = File.ReadAllText path
        let sb = StringBuilder()

        let facts =
            try
                match JsonNode.Parse text with
                | :? JsonObject as o ->
                    [
                        for k in
                            [
                                "study"
                                "status"
                                "data_source"
                                "seeds"
                                "started"
                                "finished"
                                "command_line"
                            ] do
                            match o.[k] with
                            | null -> ()
                            | v -> yield k, v.ToString()
                    ]
                | _ -> []
            with _ ->
                [ "error", "run.json is not valid JSON" ]

        sb.Append("<dl class=\"meta\">") |> ignore

        for k, v in facts do
            sb.Append("<dt>").Append(enc k).Append("</dt><dd>").Append(enc v).Append("</dd>")
            |> ignore

        sb
            .Append("</dl>\n<details><summary>run.json</summary><pre>")
            .Append(enc text)
            .Append("</pre></details>\n")
            .ToString()

    let private style =
        "body{font-family:sans-serif;margin:1.5em} .dim{color:#777;font-weight:normal}"
        // figures side by side, wrapping; each figure's tool bar sits in a strip above the plot, clear of its title
        + " .grid{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:flex-start}"
        + " "
        + Offline.FigureStyle
        + " .legend-note{color:#555;font-size:0.9em;margin:0.3em 0}"
        + " table.summary{border-collapse:collapse;font-size:0.85em;margin-bottom:1em} table.summary td,table.summary th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        + " dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 12px;font-size:0.9em} dt{font-weight:bold} dd{margin:0;word-break:break-all}"
        + " pre{background:#f6f6f6;padding:0.5em;font-size:0.8em;overflow:auto} section{border-top:2px solid #ddd;margin-top:2em}"

    /// The tag near the top of every page `telescope report` writes: a report may replace only a page carrying it.
    [<Literal>]
    let generator = "<meta name=\"generator\" content=\"telescope report\">"

    /// The report page for `root` and the number of figures in it.
    let build (root: string) (title: string) : string * int =
        let sections = discover root
        let sb = StringBuilder()
        let mutable figures = 0
        let body = StringBuilder()

        for i, s in List.indexed sections do
            body.AppendFormat("<section id=\"s{0}\"><h2>{1}</h2>\n", i, enc s.Title)
            |> ignore

            match s.Manifest with
            | Some m -> body.Append(manifestHtml m) |> ignore
            | None -> body.Append("<p class=\"dim\">no run.json in this folder</p>\n") |> ignore

            for t in s.Tables do
                body.Append(summaryHtml t) |> ignore

                if tooLargeToDraw t then
                    body
                        .Append("<p class=\"dim\">")
                        .Append(
                            enc (
                                sprintf
                                    "figures not drawn: %s is %.0f MB, above the report's bound of %.0f MB (drawing holds every row in memory); draw them from a part of it, e.g. one run's table in runs/"
                                    (Path.GetFileName t)
                                    (float (FileInfo(t).Length) / 1048576.0)
                                    (float MaxDrawnTableBytes / 1048576.0)
                            )
                        )
                        .Append("</p>\n")
                    |> ignore

                let charts = if tooLargeToDraw t then [] else chartsFor t

                if not (List.isEmpty charts) then
                    match legendNote t with
                    | Some note ->
                        body.Append("<p class=\"legend-note\">").Append(enc note).Append("</p>\n")
                        |> ignore
                    | None -> ()

                    body.Append("<div class=\"grid\">\n") |> ignore

                    for c in charts do
                        figures <- figures + 1

                        body.Append("<div class=\"figure\">").Append(Offline.chartDiv c).Append("</div>\n")
                        |> ignore

                    body.Append("</div>\n") |> ignore

            body.Append("</section>\n") |> ignore

        sb
            .Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">")
            .Append(generator)
            .Append("<title>")
            .Append(enc title)
            .Append("</title>\n<script>")
            .Append(Offline.plotlyJs.Value)
            .Append("</script>\n<style>")
            .Append(style)
            .Append("</style></head>\n")
            .AppendFormat("<body data-figures=\"{0}\" data-sections=\"{1}\">\n<h1>", figures, sections.Length)
            .Append(enc title)
            .Append("</h1>\n<p class=\"dim\">")
            .Append(
                enc (
                    sprintf
                        "Input: %s — %d folders, %d figures; generated %s UTC. Figures are redrawn from the tables; this page needs no network."
                        (Path.GetFullPath root)
                        sections.Length
                        figures
                        (DateTime.UtcNow.ToString "yyyy-MM-dd HH:mm")
                )
            )
            .Append("</p>\n<ul>")
        |> ignore

        for i, s in List.indexed sections do
            sb.AppendFormat("<li><a href=\"#s{0}\">{1}</a></li>", i, enc s.Title) |> ignore

        sb.Append("</ul>\n").Append(body).Append("</body></html>\n") |> ignore
        sb.ToString(), figures

    /// Write the report for `root` to `out` (atomically); returns (sections, figures).
    let write (root: string) (out: string) (title: string) =
        let html, figures = build root title
        AtomicFile.WriteAllText(out, html)
        (discover root).Length, figures
