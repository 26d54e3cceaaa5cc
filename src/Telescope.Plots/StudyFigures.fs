namespace Telescope.Plots

open System.IO

/// One figure page per study, drawn from the study's saved tidy table.
[<RequireQualifiedAccess>]
module StudyFigures =

    /// Approximation quality (paper Figs 2, 7, 8): per setting and learning rate, test
    /// `telescoping_error` and `linearised_error` against step (log y, mean over seeds); then test
    /// accuracy of the network, f̃ and f_lin against step.
    let approximationCharts (rows: Row list) =
        let rows = rows |> List.filter (fun r -> TidyFrame.cell "split" r = "test")

        let errors =
            Figures.lines
                { Figures.lineSpec "Approximation error on test points" [ "telescoping_error"; "linearised_error" ] with
                    PanelBy = [ "setting"; "lr" ]
                    LogY = true
                    YTitle = "mean |f_t − model| (test)"
                }
                (rows |> List.filter (fun r -> TidyFrame.cell "step" r <> "0"))

        let accuracy =
            Figures.lines
                { Figures.lineSpec "Test accuracy" [ "accuracy"; "telescoped_accuracy"; "linearised_accuracy" ] with
                    PanelBy = [ "setting"; "lr" ]
                    YTitle = "accuracy (test)"
                }
                rows

        errors @ accuracy

    /// Approximation quality (paper Figs 2, 7, 8) drawn from the study's table into `html`.
    let approximation (table: string) (html: string) (caption: string) =
        Offline.save
            html
            "Telescoping lens: approximation quality (Figs 2, 7, 8)"
            caption
            (approximationCharts (TidyFrame.read table))

        Path.GetFileName html
