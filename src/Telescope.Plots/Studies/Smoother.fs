namespace Telescope.Plots.Studies

open System.IO
open XPlot.Plotly
open Telescope.Plots

/// What the figures of the smoother studies (grokking, double descent) share, drawn from their saved tidy tables.
/// Effective parameters from steps or runs that fail the validity gate (`gate_passed` = 0: the
/// telescoping error or the smoother gap exceeds 5% of the label scale, spec §6) are drawn again as
/// markers named "GATE FAILED", so they are never shown silently as valid.
module internal Smoother =

    let num = TidyFrame.number
    let cell = TidyFrame.cell

    /// Mean of `value` over rows sharing `x` (seeds), sorted by x.
    let series (x: string) (rows: Row list) =
        rows
        |> List.map (fun r -> num x r, num "value" r)
        |> List.filter (fun (a, b) -> not (System.Double.IsNaN a || System.Double.IsNaN b))
        |> List.groupBy fst
        |> List.map (fun (a, g) -> a, g |> List.averageBy snd)
        |> List.sortBy fst

    let layout title xTitle yTitle logX logY =
        Layout(
            title = title,
            xaxis = Xaxis(title = xTitle, ``type`` = (if logX then "log" else "linear")),
            yaxis = Yaxis(title = yTitle, ``type`` = (if logY then "log" else "linear")),
            width = 900.,
            height = 450.
        )

    /// Per panel: one line per split for `quantity`, plus "GATE FAILED" markers where the gate failed
    /// (x values whose `gate_passed` is 0 for any seed).
    let withGate
        (title: string)
        (quantity: string)
        (x: string)
        (logX: bool)
        (logY: bool)
        (yTitle: string)
        (rows: Row list)
        =
        // only smoother-derived quantities depend on the approximation; the network's own loss and
        // accuracy are real whatever the gate says, so they are never marked
        let gated = quantity = "effective_parameters" || quantity.StartsWith "smoother"

        let failed =
            if not gated then
                Set.empty
            else
                rows
                |> TidyFrame.quantity "gate_passed"
                |> List.filter (fun r -> num "value" r = 0.0)
                |> List.map (num x)
                |> Set.ofList

        let traces =
            [
                for split in [ "train"; "test" ] do
                    let pts =
                        rows
                        |> TidyFrame.quantity quantity
                        |> List.filter (fun r -> cell "split" r = split)
                        |> series x
                        |> List.filter (fun (a, _) -> not logX || a > 0.0)

                    if not (List.isEmpty pts) then
                        yield
                            Scatter(
                                x = List.map fst pts,
                                y = List.map snd pts,
                                name = sprintf "%s %s" quantity split,
                                mode = "lines+markers"
                            )

                        let bad = pts |> List.filter (fun (a, _) -> Set.contains a failed)

                        if not (List.isEmpty bad) then
                            yield
                                Scatter(
                                    x = List.map fst bad,
                                    y = List.map snd bad,
                                    name = sprintf "%s %s — GATE FAILED (not trustworthy)" quantity split,
                                    mode = "markers"
                                )
            ]

        let suffix =
            if not gated then
                ""
            elif Set.isEmpty failed then
                " — gate passed throughout"
            else
                sprintf " — gate FAILED at %d logged points" (Set.count failed)

        if List.isEmpty traces then
            []
        else
            [ Chart.Plot(traces, layout (title + suffix) x yTitle logX logY) ]
