(**
---
title: Getting started (F#)
category: Guides
categoryindex: 1
index: 1
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Getting started in F#

Telescope.Analytics trains small networks with the **telescoping lens**: every optimiser step also updates the
telescoped model $\tilde f_t = \tilde f_{t-1} + \nabla f_{\theta_{t-1}}^\top \Delta\theta_t$, and the run is recorded as tidy rows (one observation per
row). In a script, reference the package from a local feed packed by `scripts/pack.sh`: the script starts
with `#i "nuget: /path/to/feed"` and `#r "nuget: Telescope.Analytics, 0.1.0"` (this page is evaluated against
the repository's own build instead).

Configure a training with the F# face (`Model`, `Optimizer`, `Train`) and run it on a small synthetic
stand-in of the paper's M35 digits task:
*)
open Telescope.FSharp

let data = Data.synthetic 0L 100 50

let run =
    Train.defaults (Model.mlp [ 16 ]) (Optimizer.sgd 0.1)
    |> Train.withSteps 20
    |> Train.withBatch 50
    |> Train.run data

printfn
    "%d observations, test accuracy %.3f"
    run.Observations.Length
    (Train.tryFinal "test/accuracy" run |> Option.defaultValue nan)
(*** include-output ***)
(**
Every observation names its quantity, step and split. The tidy frame of one or more runs is a Deedle frame with
the run's identifying columns; `Tables` filters, aggregates and pivots it:
*)
let frame = Train.toFrame [ run ]

let telescoping =
    frame
    |> Tables.split "test"
    |> Tables.quantity "telescoping_error"
    |> Tables.numbers "value"

printfn "rows: %d, columns: %s" frame.RowCount (String.concat ", " frame.ColumnKeys)
printfn "test telescoping error at the last step: %.3g" (Array.last telescoping)
(*** include-output ***)
