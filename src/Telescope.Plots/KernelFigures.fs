namespace Telescope.Plots

open System.IO
open XPlot.Plotly

/// Figures of the kernel studies (grokking, double descent), drawn from their saved tidy tables.
/// Effective parameters from steps or runs that fail the validity gate (`gate_passed` = 0: the
/// telescoping error or the smoother gap exceeds 5% of the label scale, spec §6) are drawn again as
/// markers named "GATE FAILED", so they are never shown silently as valid.
[<RequireQualifiedAccess>]
module KernelFigures =

    let private num = TidyFrame.number
    let private cell = TidyFrame.cell

    /// Mean of `value` over rows sharing `x` (seeds), sorted by x.
    let private series (x: string) (rows: Row list) =
        rows
        |> List.map (fun r -> num x r, num "value" r)
        |> List.filter (fun (a, b) -> not (System.Double.IsNaN a || System.Double.IsNaN b))
        |> List.groupBy fst
        |> List.map (fun (a, g) -> a, g |> List.averageBy snd)
        |> List.sortBy fst

    let private layout title xTitle yTitle logX logY =
        Layout(
            title = title,
            xaxis = Xaxis(title = xTitle, ``type`` = (if logX then "log" else "linear")),
            yaxis = Yaxis(title = yTitle, ``type`` = (if logY then "log" else "linear")),
            width = 900.,
            height = 450.
        )

    /// Per panel: one line per split for `quantity`, plus "GATE FAILED" markers where the gate failed
    /// (x values whose `gate_passed` is 0 for any seed).
    let private withGate
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

    /// Grokking (paper Fig. 4): per run setting, train/test loss against step (log–log), accuracy (MNIST),
    /// p_train and p_test against step, and the telescoping error and smoother gap on test points.
    let grokking (table: string) (html: string) (caption: string) =
        let rows =
            TidyFrame.read table
            |> List.filter (fun r -> cell "step" r <> "0" || cell "quantity" r = "effective_parameters")

        let panelCols = [ "task"; "epsilon"; "alpha" ]

        let charts =
            [
                for panel, prow in rows |> List.groupBy (TidyFrame.label panelCols) do
                    let positive = prow |> List.filter (fun r -> num "step" r > 0.0)
                    yield! withGate (sprintf "Loss — %s" panel) "loss" "step" true true "½ mean (y − f)²" positive

                    if prow |> List.exists (fun r -> cell "quantity" r = "accuracy") then
                        yield! withGate (sprintf "Accuracy — %s" panel) "accuracy" "step" true false "accuracy" positive

                    yield!
                        withGate
                            (sprintf "Effective parameters — %s" panel)
                            "effective_parameters"
                            "step"
                            true
                            false
                            "p"
                            positive

                    yield!
                        Figures.lines
                            { Figures.lineSpec (sprintf "Validity — %s" panel) [ "telescoping_error"; "smoother_gap" ] with
                                GroupBy = [ "split" ]
                                LogX = true
                                LogY = true
                                YTitle = "mean |f − f̃|, mean |f̂ − f̃|"
                            }
                            positive
            ]

        Offline.save html "Telescoping lens: grokking and effective parameters (Fig. 4)" caption charts
        Path.GetFileName html

    /// Rows of the final logged step of every run.
    let finalRows (rows: Row list) =
        rows
        |> List.groupBy (cell "run")
        |> List.collect (fun (_, rs) ->
            let last =
                rs
                |> List.map (num "step")
                |> List.filter (fun s -> not (System.Double.IsNaN s))
                |> List.max

            rs |> List.filter (fun r -> num "step" r = last))

    /// Double descent (paper Fig. 3): final train/test loss and accuracy against width h (log x), then
    /// p_train and p_test of the final smoother against h, with runs past the gate marked.
    let doubleDescent (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table |> finalRows

        let charts =
            withGate "Loss of the final network" "loss" "width" true false "½ mean (y − f)²" rows
            @ withGate "Accuracy of the final network" "accuracy" "width" true false "accuracy" rows
            @ withGate "Effective parameters of the final smoother" "effective_parameters" "width" true false "p" rows
            @ Figures.lines
                { Figures.lineSpec "Validity at the final step" [ "telescoping_error"; "smoother_gap" ] with
                    X = "width"
                    GroupBy = [ "split" ]
                    LogX = true
                    LogY = true
                    XTitle = "width h"
                    YTitle = "mean |f − f̃|, mean |f̂ − f̃|"
                }
                rows

        Offline.save html "Telescoping lens: double descent and effective parameters (Fig. 3)" caption charts
        Path.GetFileName html

    /// The map of double-descent settings (issue 16), from its CSV (one row per setting tried): the largest
    /// width's train accuracy against the worst width's gate value (max of test mean|f − f̃| and mean|f̂ − f̃|,
    /// log y), one marker per setting labelled with its column `setting`; the goal is the corner right of
    /// train accuracy 0.99 and below the gate.
    let doubleDescentMap (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table

        let worst r =
            max (num "worst_test_telescoping_error" r) (num "worst_test_smoother_gap" r)

        let gate = rows |> List.map (num "gate") |> List.max

        let traces =
            [
                // one trace per setting, so the legend names them (labels on the plot would overlap)
                for r in rows do
                    yield
                        Scatter(
                            x = [ num "largest_width_train_accuracy" r ],
                            y = [ worst r ],
                            name =
                                (if cell "shown" r = "1" then
                                     cell "setting" r + " — SHOWN"
                                 else
                                     cell "setting" r),
                            mode = "markers",
                            marker = Marker(size = 10.)
                        )
                yield
                    Scatter(
                        x = [ 0.5; 1.0 ],
                        y = [ gate; gate ],
                        name = sprintf "validity gate %g" gate,
                        mode = "lines"
                    )
                yield Scatter(x = [ 0.99; 0.99 ], y = [ 1e-5; 10.0 ], name = "train accuracy 0.99", mode = "lines")
            ]

        let chart =
            Chart.Plot(
                traces,
                layout
                    "Where the lens holds and where the networks interpolate"
                    "train accuracy of the largest width"
                    "worst width: max(test mean|f − f̃|, mean|f̂ − f̃|)"
                    false
                    true
            )

        Offline.save html "Double descent: the map of settings" caption [ chart ]
        Path.GetFileName html
