namespace Telescope.Plots

open System
open Deedle
open XPlot.Plotly
open Telescope.Frames

/// Figures drawn from Deedle frames (the tables of `Telescope.Frames.TidyQueries`), with the
/// defaults of the paper's figures: x is the optimiser step t, one colour per hyper-parameter value
/// (legend `name=value`), a shaded band for a confidence interval over seeds, log axes on request.
/// Every function takes the frame last and returns one chart; from C# call them with named
/// arguments, e.g. `FrameFigures.seedBands(title: …, groupBy: new[] { "lr" }, logX: false, logY: true,
/// yTitle: …, frame: agg)`.
[<RequireQualifiedAccess>]
module FrameFigures =

    /// The palette (plotly's default colour cycle).
    let palette = Figures.palette

    /// The x-axis title used for steps.
    [<Literal>]
    let StepTitle = "step t (optimiser steps)"

    let private rgba (hex: string) (alpha: float) =
        let c i =
            Convert.ToInt32(hex.Substring(i, 2), 16)

        sprintf "rgba(%d,%d,%d,%g)" (c 1) (c 3) (c 5) alpha

    /// The size of every figure unless one is given: 900 × 500 px (width, height).
    let DefaultSize = 900, 500

    /// The layout of every figure at `size` (width, height in px): titles, log or linear axes, legend on the right.
    let layoutAt (width: int, height: int) (title: string) (xTitle: string) (yTitle: string) (logX: bool) (logY: bool) =
        Layout(
            title = title,
            xaxis = Xaxis(title = xTitle, ``type`` = (if logX then "log" else "linear")),
            yaxis = Yaxis(title = yTitle, ``type`` = (if logY then "log" else "linear")),
            showlegend = true,
            width = float width,
            height = float height
        )

    /// The layout of every figure (`layoutAt` the `DefaultSize`).
    let layout (title: string) (xTitle: string) (yTitle: string) (logX: bool) (logY: bool) =
        layoutAt DefaultSize title xTitle yTitle logX logY

    let private groups (groupBy: string seq) (frame: Frame<'R, string>) =
        let cols = groupBy |> Seq.map (fun c -> c, TidyFrames.Cells(frame, c)) |> List.ofSeq
        let n = frame.RowCount

        [ 0 .. n - 1 ]
        |> List.groupBy (fun i ->
            cols
            |> List.choose (fun (c, cells) ->
                if cells.[i] = "" then
                    None
                else
                    Some(sprintf "%s=%s" c cells.[i]))
            |> String.concat ", ")

    /// Mean over seeds as a line with its confidence interval as a shaded band, one colour per group
    /// (on a log y axis the band is drawn only where its lower bound is positive, and zero means are
    /// left off).
    /// The frame is an aggregate (`TidyQueries.AggregateOverSeeds`) with columns `step`, `mean`,
    /// `ci_low`, `ci_high` (missing bounds, e.g. one seed, draw no band) and the `groupBy` columns.
    /// At `size` (width, height in px); `seedBands` draws it at the `DefaultSize`.
    let seedBandsAt
        (size: int * int)
        (title: string)
        (groupBy: string seq)
        (logX: bool)
        (logY: bool)
        (yTitle: string)
        (frame: Frame<int, string>)
        =
        let step = TidyFrames.Numbers(frame, "step")
        let mean = TidyFrames.Numbers(frame, "mean")
        let lo = TidyFrames.Numbers(frame, "ci_low")
        let hi = TidyFrames.Numbers(frame, "ci_high")

        let traces =
            [
                for gi, (name, rows) in groups groupBy frame |> List.indexed do
                    let colour = palette.[gi % palette.Length]

                    let rows =
                        rows
                        |> List.filter (fun i -> not (Double.IsNaN step.[i]))
                        |> List.sortBy (fun i -> step.[i])
                    // on a log axis a band can only be drawn where its lower bound is positive: one
                    // band per contiguous run of such steps, so that no band bridges a gap
                    let drawable i =
                        Double.IsFinite lo.[i] && Double.IsFinite hi.[i] && (not logY || lo.[i] > 0.0)

                    let segments =
                        (rows, [])
                        ||> List.foldBack (fun i acc ->
                            match drawable i, acc with
                            | false, _ -> [] :: acc
                            | true, seg :: rest -> (i :: seg) :: rest
                            | true, [] -> [ [ i ] ])
                        |> List.filter (fun seg -> not (List.isEmpty seg))

                    let label = if name = "" then "mean" else name

                    for band in segments do
                        yield
                            Scatter(
                                x = (band |> List.map (fun i -> step.[i])),
                                y = (band |> List.map (fun i -> hi.[i])),
                                mode = "lines",
                                line = Line(width = 0., color = colour),
                                showlegend = false,
                                legendgroup = label,
                                hoverinfo = "skip",
                                name = label + " CI"
                            )

                        yield
                            Scatter(
                                x = (band |> List.map (fun i -> step.[i])),
                                y = (band |> List.map (fun i -> lo.[i])),
                                mode = "lines",
                                line = Line(width = 0., color = colour),
                                fill = "tonexty",
                                fillcolor = rgba colour 0.2,
                                showlegend = false,
                                legendgroup = label,
                                hoverinfo = "skip",
                                name = label + " CI"
                            )

                    // a log axis cannot show a mean of 0 (e.g. at t = 0): leave it off
                    let rows = rows |> List.filter (fun i -> not logY || mean.[i] > 0.0)

                    yield
                        Scatter(
                            x = (rows |> List.map (fun i -> step.[i])),
                            y = (rows |> List.map (fun i -> mean.[i])),
                            mode = (if rows.Length < 3 then "lines+markers" else "lines"),
                            line = Line(color = colour),
                            legendgroup = label,
                            name = label
                        )
            ]

        // the layout and the div it is drawn in at one size
        Chart.Plot(traces, layoutAt size title StepTitle yTitle logX logY)
        |> Chart.WithSize size

    /// Mean over seeds with its confidence band (`seedBandsAt` the `DefaultSize`).
    let seedBands title groupBy logX logY yTitle frame =
        seedBandsAt DefaultSize title groupBy logX logY yTitle frame

    /// One line per column of a step × parameter table (`TidyQueries.Pivot`; row keys are steps).
    let pivotLines (title: string) (logX: bool) (logY: bool) (yTitle: string) (frame: Frame<float, string>) =
        let steps = frame.RowKeys |> Array.ofSeq

        let traces =
            [
                for ci, c in frame.ColumnKeys |> Seq.indexed do
                    let ys = TidyFrames.Numbers(frame, c)
                    let pts = Array.zip steps ys |> Array.filter (fun (_, y) -> not (Double.IsNaN y))

                    yield
                        Scatter(
                            x = (pts |> Array.map fst),
                            y = (pts |> Array.map snd),
                            mode = "lines+markers",
                            line = Line(color = palette.[ci % palette.Length]),
                            name = c
                        )
            ]

        Chart.Plot(traces, layout title StepTitle yTitle logX logY)

    /// Closed form as a line and simulation (mean over seeds) as points with interval error bars, one
    /// colour per group; the frame is `TidyQueries.JoinTheory`'s. At `size` (width, height in px);
    /// `theoryVsSimulated` draws it at the `DefaultSize`.
    let theoryVsSimulatedAt
        (size: int * int)
        (title: string)
        (groupBy: string seq)
        (logX: bool)
        (logY: bool)
        (yTitle: string)
        (frame: Frame<int, string>)
        =
        let step = TidyFrames.Numbers(frame, "step")
        let sim = TidyFrames.Numbers(frame, "simulated")
        let cf = TidyFrames.Numbers(frame, "closed_form")
        let lo = TidyFrames.Numbers(frame, "ci_low")
        let hi = TidyFrames.Numbers(frame, "ci_high")

        let traces =
            [
                for gi, (name, rows) in groups groupBy frame |> List.indexed do
                    let colour = palette.[gi % palette.Length]
                    let rows = rows |> List.sortBy (fun i -> step.[i])
                    let suffix = if name = "" then "" else " " + name

                    yield
                        Scatter(
                            x = (rows |> List.map (fun i -> step.[i])),
                            y = (rows |> List.map (fun i -> cf.[i])),
                            mode = "lines",
                            line = Line(color = colour),
                            name = "closed form" + suffix
                        )

                    yield
                        Scatter(
                            x = (rows |> List.map (fun i -> step.[i])),
                            y = (rows |> List.map (fun i -> sim.[i])),
                            mode = "markers",
                            marker = Marker(color = colour),
                            error_y =
                                Error_y(
                                    ``type`` = "data",
                                    symmetric = false,
                                    array =
                                        (rows
                                         |> List.map (fun i -> if Double.IsFinite hi.[i] then hi.[i] - sim.[i] else 0.)),
                                    arrayminus =
                                        (rows
                                         |> List.map (fun i -> if Double.IsFinite lo.[i] then sim.[i] - lo.[i] else 0.))
                                ),
                            name = "simulated" + suffix
                        )
            ]

        // the layout and the div it is drawn in at one size
        Chart.Plot(traces, layoutAt size title StepTitle yTitle logX logY)
        |> Chart.WithSize size

    /// Closed form against simulation (`theoryVsSimulatedAt` the `DefaultSize`).
    let theoryVsSimulated title groupBy logX logY yTitle frame =
        theoryVsSimulatedAt DefaultSize title groupBy logX logY yTitle frame
