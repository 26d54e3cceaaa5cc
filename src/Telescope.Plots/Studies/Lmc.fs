namespace Telescope.Plots.Studies

open System.IO
open Telescope.Plots

/// The figure page of the lmc study (paper Fig. 6), drawn from its saved tidy table.
[<RequireQualifiedAccess>]
module Lmc =

    /// Linear mode connectivity and gradient stabilisation (paper Fig. 6): barrier (max over α and at
    /// α = ½) against the spawn step t′ per model, then the per-layer gradient change against t′.
    let figure (table: string) (html: string) (caption: string) =
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
