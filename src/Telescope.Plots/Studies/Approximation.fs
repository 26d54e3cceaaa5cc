namespace Telescope.Plots.Studies

open System
open System.IO
open XPlot.Plotly
open Telescope.Frames
open Telescope.Plots

/// The figure page of the approximation study, drawn from its saved tidy table.
[<RequireQualifiedAccess>]
module Approximation =


    /// Log axis with a label at every decade, written like `1e-4`.
    let private logX title =
        Xaxis(title = title, ``type`` = "log", exponentformat = "e", dtick = 1.0)

    let private logY title =
        Yaxis(title = title, ``type`` = "log", exponentformat = "e", dtick = 1.0)

    /// The words of a run's flags (empty when healthy).
    let private flagsOf (r: RunSummary) =
        Telescope.RunFlags.All
        |> Seq.filter (fun struct (q, _) -> r.Flag q)
        |> Seq.map (fun struct (_, w) -> w)
        |> String.concat ", "

    let private healthy (r: RunSummary) = flagsOf r = ""

    let private lrOf (r: RunSummary) = TidyFrame.number "lr" r.Key

    /// Per run (setting, lr, seed): test errors' step means and final values, and its flags.
    let private runSummaries (rows: Row list) =
        RunSummary.Of(rows |> Seq.map id, [| "setting"; "lr"; "seed" |], "test")
        |> List.ofSeq

    /// (x, mean, min, max) of the values at each x, in x order: a line through the means, the range as error bars.
    let private meanAndRange (pairs: (float * float) list) =
        pairs
        |> List.groupBy fst
        |> List.map (fun (x, g) ->
            let ys = List.map snd g
            x, List.average ys, List.min ys, List.max ys)
        |> List.sortBy (fun (x, _, _, _) -> x)

    /// Error bars of `meanAndRange` points: up to the max, down to the min.
    let private rangeBars (points: (float * float * float * float) list) =
        Error_y(
            ``type`` = "data",
            symmetric = false,
            array = (points |> List.map (fun (_, m, _, hi) -> hi - m)),
            arrayminus = (points |> List.map (fun (_, m, lo, _) -> m - lo))
        )

    /// A 620 × 480 panel of `traces` against the learning rate, log–log.
    let private ratePanel (traces: Scatter list) (title: string) (yTitle: string) =
        Chart.Plot(
            traces,
            Layout(
                title = title,
                xaxis = logX "learning rate",
                yaxis = logY yTitle,
                width = 620.,
                height = 480.
            )
        )
        |> Chart.WithSize(620, 480)

    /// The first panel: telescoping (solid) and linearised (dotted) error against the learning rate, one colour per
    /// optimiser setting, log–log; points are means over the healthy seeds with their range as error bars; flagged
    /// runs (did not learn, diverged, f̃ diverged) are drawn one by one as crosses (hover: why) and left out of the means.
    let private errorVsRate (runs: RunSummary list) (title: string) (valueOf: RunSummary -> string -> float) =
        let settings = runs |> List.map (fun r -> r.Key.["setting"]) |> List.distinct

        let traces =
            [
                for i, setting in List.indexed settings do
                    let colour = Figures.palette.[i % Figures.palette.Length]
                    let mine = runs |> List.filter (fun r -> r.Key.["setting"] = setting)

                    for q, label, dash in
                        [
                            "telescoping_error", "|f − f̃|", "solid"
                            "linearised_error", "|f − f_lin|", "dot"
                        ] do
                        let points =
                            mine
                            |> List.filter healthy
                            |> List.map (fun r -> lrOf r, valueOf r q)
                            |> meanAndRange

                        if not (List.isEmpty points) then
                            yield
                                Scatter(
                                    x = (points |> List.map (fun (x, _, _, _) -> x)),
                                    y = (points |> List.map (fun (_, m, _, _) -> m)),
                                    mode = "lines+markers",
                                    name = setting,
                                    legendgroup = setting,
                                    showlegend = (dash = "solid"),
                                    text = (points |> List.map (fun _ -> sprintf "%s %s" setting label)),
                                    line = Line(color = colour, dash = dash),
                                    marker = Marker(color = colour, size = 7.),
                                    error_y = rangeBars points
                                )

                        let flagged = mine |> List.filter (healthy >> not)

                        if not (List.isEmpty flagged) then
                            yield
                                Scatter(
                                    x = (flagged |> List.map lrOf),
                                    y = (flagged |> List.map (fun r -> valueOf r q)),
                                    mode = "markers",
                                    name = sprintf "%s (flagged)" setting,
                                    legendgroup = setting,
                                    showlegend = (dash = "solid" && not (List.exists healthy mine)),
                                    text =
                                        (flagged
                                         |> List.map (fun r ->
                                             sprintf
                                                 "%s %s, lr %s, seed %s: %s"
                                                 setting
                                                 label
                                                 r.Key.["lr"]
                                                 r.Key.["seed"]
                                                 (flagsOf r))),
                                    marker = Marker(color = colour, symbol = "x-open", size = 11.)
                                )
            ]

        // legend keys for the two line styles: one point with no value each (plotly.js leaves a trace without
        // points out of the legend), so they only explain solid and dotted
        let keyX = runs |> List.map lrOf |> List.tryHead |> Option.toList

        let keys =
            [
                for label, dash in
                    [
                        "solid: |f − f̃| (telescoped)", "solid"
                        "dotted: |f − f_lin| (linearised)", "dot"
                    ] ->
                    Scatter(
                        x = keyX,
                        y = (keyX |> List.map (fun _ -> (null: obj))),
                        mode = "lines",
                        name = label,
                        legendgroup = "line style",
                        line = Line(color = "#444", dash = dash)
                    )
            ]

        ratePanel (traces @ keys) title "mean |f − model| (test)"

    /// The second lead panel: how many times closer the telescoped model stays to the network than the linearised
    /// one, r = mean|f − f_lin| / mean|f − f̃| at the final step (test), against the learning rate, log–log, one colour
    /// per optimiser setting; points are the mean over the healthy seeds of the per-seed ratio, the seeds' range as
    /// error bars (flagged runs left out: their errors are not an approximation quality). r > 1: f̃ is closer.
    let private advantageVsRate (runs: RunSummary list) (title: string) =
        let ratio (r: RunSummary) =
            r.FinalOf "linearised_error" / r.FinalOf "telescoping_error"

        let settings = runs |> List.map (fun r -> r.Key.["setting"]) |> List.distinct

        let traces =
            [
                for i, setting in List.indexed settings do
                    let colour = Figures.palette.[i % Figures.palette.Length]

                    let points =
                        runs
                        |> List.filter (fun r -> r.Key.["setting"] = setting && healthy r)
                        |> List.map (fun r -> lrOf r, ratio r)
                        |> List.filter (fun (_, v) -> Double.IsFinite v && v > 0.)
                        |> meanAndRange

                    if not (List.isEmpty points) then
                        yield
                            Scatter(
                                x = (points |> List.map (fun (x, _, _, _) -> x)),
                                y = (points |> List.map (fun (_, m, _, _) -> m)),
                                mode = "lines+markers",
                                name = setting,
                                legendgroup = setting,
                                text = (points |> List.map (fun _ -> sprintf "%s: |f − f_lin| / |f − f̃|" setting)),
                                line = Line(color = colour, dash = "dash"),
                                marker = Marker(color = colour, size = 7., symbol = "diamond"),
                                error_y = rangeBars points
                            )
            ]

        ratePanel traces title "|f − f_lin| / |f − f̃| (test, final step; > 1: f̃ closer)"

    /// Small multiples over (setting, lr) sharing one x and one y range: `quantities` against step, means over the
    /// healthy seeds (over all seeds, titled "flagged", when none is healthy).
    let private smallMultiples (rows: Row list) (runs: RunSummary list) (quantities: string list) logY' yTitle =
        let healthyKeys =
            runs
            |> List.filter healthy
            |> List.map (fun r -> r.Key.["setting"], r.Key.["lr"], r.Key.["seed"])
            |> Set.ofList

        let test =
            rows
            |> List.filter (fun r ->
                TidyFrame.cell "split" r = "test"
                && TidyFrame.cell "example" r = ""
                && List.contains (TidyFrame.cell "quantity" r) quantities
                && TidyFrame.number "step" r >= 1.)

        let panels =
            test
            |> List.groupBy (fun r -> TidyFrame.cell "setting" r, TidyFrame.cell "lr" r)

        let values =
            test
            |> List.map (TidyFrame.number "value")
            |> List.filter (fun v -> v > 0. || not logY')

        let steps = test |> List.map (TidyFrame.number "step")

        let yRange =
            if List.isEmpty values then
                None
            elif logY' then
                Some [ floor (log10 (List.min values)); ceil (log10 (List.max values)) ]
            else
                Some [ min 0.4 (List.min values); 1.0 ]

        let xRange =
            if List.isEmpty steps then
                None
            else
                Some [ 0.; log10 (List.max steps) ]

        [
            for (setting, lr), prows in panels do
                let key (r: Row) = setting, lr, TidyFrame.cell "seed" r
                let good = prows |> List.filter (fun r -> healthyKeys.Contains(key r))
                let used, note = if List.isEmpty good then prows, " (flagged)" else good, ""

                let traces =
                    [
                        for qi, q in List.indexed quantities do
                            let pts =
                                TidyFrame.quantity q used
                                |> List.groupBy (TidyFrame.number "step")
                                |> List.map (fun (s, g) -> s, g |> List.averageBy (TidyFrame.number "value"))
                                |> List.sortBy fst

                            yield
                                Scatter(
                                    x = List.map fst pts,
                                    y = List.map snd pts,
                                    name = q,
                                    mode = "lines",
                                    showlegend = false,
                                    line =
                                        Line(color = Figures.palette.[qi], dash = (if qi = 0 then "solid" else "dot"))
                                )
                    ]

                let xa = Xaxis(title = "step", ``type`` = "log", exponentformat = "e", dtick = 1.0)
                xRange |> Option.iter (fun r -> xa.range <- r)

                let ya =
                    if logY' then
                        Yaxis(title = yTitle, ``type`` = "log", exponentformat = "e", dtick = 1.0)
                    else
                        Yaxis(title = yTitle)

                yRange |> Option.iter (fun r -> ya.range <- r)

                yield
                    Chart.Plot(
                        traces,
                        Layout(
                            title = sprintf "%s, lr %s%s" setting lr note,
                            xaxis = xa,
                            yaxis = ya,
                            width = 300.,
                            height = 240.,
                            margin = Margin(l = 60., r = 10., t = 60., b = 40.),
                            font = Font(size = 10.)
                        )
                    )
                    |> Chart.WithSize(300, 240)
        ]

    /// Approximation quality (paper Figs 2, 7, 8). First, the claim at a glance: test telescoping (solid) and
    /// linearised (dotted) error against the learning rate, per optimiser setting, log–log, as the mean over logged
    /// steps (means over healthy seeds, range as error bars, flagged runs as crosses; the legend says solid and
    /// dotted), beside the final step's ratio |f − f_lin| / |f − f̃| against the learning rate. Below, small multiples
    /// over (setting, lr) on shared axes: the two errors against step (solid: |f − f̃|, dotted: |f − f_lin|), then
    /// the test accuracy of the network, f̃ and f_lin (solid, dotted, dashed in that order: blue, orange, green).
    /// Returns the lead charts and the small multiples.
    let sections (rows: Row list) =
        let runs = runSummaries rows

        let lead =
            [
                errorVsRate runs "Approximation error against learning rate — mean over logged steps t ≥ 1" (fun r q ->
                    r.MeanOf q)
                advantageVsRate runs "How many times closer f̃ stays than f_lin — final step"
            ]

        let errors =
            smallMultiples rows runs [ "telescoping_error"; "linearised_error" ] true "mean |f − model|"

        let accuracy =
            smallMultiples
                rows
                runs
                [ "accuracy"; "telescoped_accuracy"; "linearised_accuracy" ]
                false
                "accuracy (test)"

        lead, errors @ accuracy

    /// What the per-run panels' line styles and colours mean (they carry no legend of their own).
    [<Literal>]
    let ApproximationGridNote =
        "Per setting and learning rate, on shared axes: errors (solid |f − f̃|, dotted |f − f_lin|), then test accuracy (blue f, orange f̃, green f_lin)"

    /// Every chart of the approximation figure, in order (for pages that stack charts).
    let charts (rows: Row list) =
        let lead, grid = sections rows
        lead @ grid

    /// Approximation quality (paper Figs 2, 7, 8) drawn from the study's table into `html`.
    let figure (table: string) (html: string) (caption: string) =
        let lead, grid = sections (TidyFrame.read table)

        Offline.saveSections
            html
            "Telescoping lens: approximation quality (Figs 2, 7, 8)"
            caption
            [ "", true, lead; ApproximationGridNote, true, grid ]

        Path.GetFileName html
