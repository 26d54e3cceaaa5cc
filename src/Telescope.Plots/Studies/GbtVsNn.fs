namespace Telescope.Plots.Studies

open System.Collections.Generic
open System.IO
open Telescope.Plots

/// The figure page of the gbt-vs-nn study (paper Fig. 5), drawn from its saved tidy table.
[<RequireQualifiedAccess>]
module GbtVsNn =

    /// Means over seeds of the rows (`TidyQueries.MeanOverSeeds`: every other coordinate kept apart).
    let private meanOverSeeds (rows: Row list) : Row list =
        Telescope.Frames.TidyQueries.MeanOverSeeds rows |> List.ofSeq

    /// GBT vs NN on irregular inputs (paper Fig. 5): ΔMSE(p)/ΔMSE(0), R_NN(p) and R_GBT(p), the two
    /// models' test MSE against p (means over seeds), then the per-step maximum kernel-weight norms.
    let figure (table: string) (html: string) (caption: string) =
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
