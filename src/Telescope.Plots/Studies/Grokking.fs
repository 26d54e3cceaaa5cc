namespace Telescope.Plots.Studies

open System.IO
open XPlot.Plotly
open Telescope.Plots
open Telescope.Plots.Studies.Smoother

/// The figure of the grokking study (paper Fig. 4), drawn from its saved tidy table; steps that fail the validity gate are drawn again as "GATE FAILED" markers.
[<RequireQualifiedAccess>]
module Grokking =

    /// Grokking (paper Fig. 4): per run setting, train/test loss against step (log–log), accuracy (MNIST),
    /// p_train and p_test against step, and the telescoping error and smoother gap on test points.
    let figure (table: string) (html: string) (caption: string) =
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
