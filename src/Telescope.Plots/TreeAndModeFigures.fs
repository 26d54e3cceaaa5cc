namespace Telescope.Plots

open System.Collections.Generic
open System.IO

/// Figure pages of the gbt-vs-nn (Fig. 5) and lmc (Fig. 6) studies, drawn from their saved tidy tables.
[<RequireQualifiedAccess>]
module TreeAndModeFigures =

    /// Means over seeds of the rows (`TidyQueries.MeanOverSeeds`: every other coordinate kept apart).
    let private meanOverSeeds (rows: Row list) : Row list =
        Telescope.Frames.TidyQueries.MeanOverSeeds rows |> List.ofSeq

    /// GBT vs NN on irregular inputs (paper Fig. 5): ΔMSE(p)/ΔMSE(0), R_NN(p) and R_GBT(p), the two
    /// models' test MSE against p (means over seeds), then the per-step maximum kernel-weight norms.
    let gbtVsNn (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table

        // rows of a test set carry its irregular share in column p
        let byShare =
            rows |> List.filter (fun r -> TidyFrame.cell "p" r <> "") |> meanOverSeeds

        let overP title quantities ytitle =
            Figures.lines
                { Figures.lineSpec title quantities with
                    X = "p"
                    XTitle = "share p of irregular rows in the test set"
                    YTitle = ytitle
                }
                byShare

        let perStep title quantity xtitle =
            Figures.lines
                { Figures.lineSpec title [ quantity ] with
                    GroupBy = [ "split" ]
                    LogY = true
                    XTitle = xtitle
                    YTitle = "max_j ‖k_t(x_j)‖₂"
                }
                rows

        let charts =
            overP "Relative performance ΔMSE(p)/ΔMSE(0), ΔMSE = MSE_NN − MSE_GBT" [ "relative_mse" ] "ΔMSE(p)/ΔMSE(0)"
            @ overP
                "Normalised max kernel-weight norm R(p) (1 = the largest weight any training input got)"
                [ "r_nn"; "r_gbt" ]
                "R(p)"
            @ overP "Test MSE (standardised target)" [ "mse_nn"; "mse_gbt" ] "MSE"
            @ perStep "NN: max kernel-weight norm per SGD step" "nn_max_weight_norm" "SGD step"
            @ perStep "GBT: max kernel-weight norm per tree" "gbt_max_weight_norm" "tree"

        Offline.save
            html
            "Telescoping lens: gradient-boosted trees vs neural network on irregular inputs (Fig. 5)"
            caption
            charts

        Path.GetFileName html

    /// Linear mode connectivity and gradient stabilisation (paper Fig. 6): barrier (max over α and at
    /// α = ½) against the spawn step t′ per model, then the per-layer gradient change against t′.
    let lmc (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table

        let spawn =
            Figures.lines
                { Figures.lineSpec
                      "Error barrier between the two children against spawn step t′"
                      [ "error_barrier_max"; "error_barrier_half" ] with
                    GroupBy = [ "model" ]
                    XTitle = "spawn step t′"
                    YTitle = "test error barrier"
                }
                rows

        let lossBarrier =
            Figures.lines
                { Figures.lineSpec "Loss barrier against spawn step t′" [ "loss_barrier_max"; "loss_barrier_half" ] with
                    GroupBy = [ "model" ]
                    XTitle = "spawn step t′"
                    YTitle = "test loss barrier"
                }
                rows

        let grads =
            Figures.lines
                { Figures.lineSpec
                      "Gradient change of the true-class logit over the next steps, per layer"
                      [ "gradient_change" ] with
                    GroupBy = [ "model"; "layer" ]
                    LogY = true
                    XTitle = "step t′"
                    YTitle = "mean (∇f_{t′+k} − ∇f_{t′})²"
                }
                rows

        Offline.save
            html
            "Telescoping lens: linear mode connectivity and gradient stabilisation (Fig. 6)"
            caption
            (spawn @ lossBarrier @ grads)

        Path.GetFileName html
