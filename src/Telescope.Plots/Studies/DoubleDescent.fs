namespace Telescope.Plots.Studies

open System.IO
open XPlot.Plotly
open Telescope.Plots
open Telescope.Plots.Studies.Smoother

/// The figures of the double-descent study (paper Fig. 3), drawn from its saved tidy tables; widths that fail the validity gate are drawn again as "GATE FAILED" markers.
[<RequireQualifiedAccess>]
module DoubleDescent =

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
    let figure (table: string) (html: string) (caption: string) =
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
    let map (table: string) (html: string) (caption: string) =
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
