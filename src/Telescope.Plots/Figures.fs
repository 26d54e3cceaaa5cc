namespace Telescope.Plots

open XPlot.Plotly

/// How to draw a family of curves from a tidy table.
type LineSpec =
    {
        /// Figure title.
        Title: string
        /// Quantities drawn (one trace per quantity × group); each quantity gets its own dash style.
        Quantities: string list
        /// Column used for x (usually "step").
        X: string
        /// Columns whose values define one curve (for example ["optimizer"; "lr"]).
        GroupBy: string list
        /// Columns whose values define one panel (one chart per distinct value).
        PanelBy: string list
        /// Average the y values of rows that share x within a curve (for example over seeds or examples).
        MeanOver: bool
        LogX: bool
        LogY: bool
        XTitle: string
        YTitle: string
        /// Draw markers only (points), e.g. simulated points over a closed-form curve.
        Markers: bool
    }

/// Figures built from tidy rows.
[<RequireQualifiedAccess>]
module Figures =

    let private dashes = [| "solid"; "dot"; "dash"; "dashdot"; "longdash" |]

    /// The palette (plotly's default colour cycle).
    let palette =
        [|
            "#1f77b4"
            "#ff7f0e"
            "#2ca02c"
            "#d62728"
            "#9467bd"
            "#8c564b"
            "#e377c2"
            "#7f7f7f"
        |]

    /// Default spec: x = step, linear axes, no grouping.
    let lineSpec title quantities =
        {
            Title = title
            Quantities = quantities
            X = "step"
            GroupBy = []
            PanelBy = []
            MeanOver = true
            LogX = false
            LogY = false
            XTitle = "step"
            YTitle = "value"
            Markers = false
        }

    let private trace (spec: LineSpec) (name: string) (dash: string) (rows: Row list) (yOf: Row -> float) =
        let points =
            rows
            |> List.map (fun r -> TidyFrame.number spec.X r, yOf r)
            |> List.filter (fun (x, y) -> not (System.Double.IsNaN x) && not (System.Double.IsNaN y))
            |> fun ps ->
                if spec.MeanOver then
                    ps |> List.groupBy fst |> List.map (fun (x, g) -> x, g |> List.averageBy snd)
                else
                    ps
            |> List.sortBy fst

        Scatter(
            x = (points |> List.map fst),
            y = (points |> List.map snd),
            name = name,
            mode = (if spec.Markers then "markers" else "lines"),
            line = Line(dash = dash)
        )

    let private layout (spec: LineSpec) (title: string) =
        Layout(
            title = title,
            xaxis = Xaxis(title = spec.XTitle, ``type`` = (if spec.LogX then "log" else "linear")),
            yaxis = Yaxis(title = spec.YTitle, ``type`` = (if spec.LogY then "log" else "linear")),
            width = 900.,
            height = 500.
        )

    /// One chart per panel, one trace per (quantity, group).
    let lines (spec: LineSpec) (rows: Row list) : PlotlyChart list =
        let rows =
            rows
            |> List.filter (fun r -> List.contains (TidyFrame.cell "quantity" r) spec.Quantities)

        let panels =
            if List.isEmpty spec.PanelBy then
                [ spec.Title, rows ]
            else
                rows
                |> List.groupBy (TidyFrame.label spec.PanelBy)
                |> List.map (fun (p, rs) -> sprintf "%s — %s" spec.Title p, rs)

        [
            for (title, prow) in panels do
                let traces =
                    [
                        for qi, q in List.indexed spec.Quantities do
                            let qrows = TidyFrame.quantity q prow

                            for g, grows in qrows |> List.groupBy (TidyFrame.label spec.GroupBy) do
                                let name =
                                    match g, spec.Quantities with
                                    | "", _ -> q
                                    | _, [ _ ] -> g
                                    | _ -> sprintf "%s (%s)" q g

                                yield trace spec name dashes.[qi % dashes.Length] grows (TidyFrame.number "value")
                    ]

                if not (List.isEmpty traces) then
                    yield Chart.Plot(traces, layout spec title)
        ]

    /// Closed form as a curve and simulation as points, per quantity (theory tables with the
    /// `closed_form` and `simulated` columns).
    let closedFormVsSimulated (spec: LineSpec) (rows: Row list) : PlotlyChart list =
        [
            for q in spec.Quantities do
                let qrows = TidyFrame.quantity q rows

                let traces =
                    [
                        for g, grows in qrows |> List.groupBy (TidyFrame.label spec.GroupBy) do
                            let suffix = if g = "" then "" else " " + g

                            yield
                                trace
                                    { spec with Markers = false }
                                    ("closed form" + suffix)
                                    "solid"
                                    grows
                                    (TidyFrame.number "closed_form")

                            yield
                                trace
                                    { spec with Markers = true }
                                    ("simulated" + suffix)
                                    "solid"
                                    grows
                                    (TidyFrame.number "simulated")
                    ]

                if not (List.isEmpty traces) then
                    yield Chart.Plot(traces, layout spec (sprintf "%s — %s" spec.Title q))
        ]
