(**
---
title: Approximation (analysis)
category: Analyses
categoryindex: 3
index: 1
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Approximation: the telescoping model against the linearised model

How far do the telescoped model $\tilde f_t$ ($\tilde f_t = \tilde f_{t-1} + \nabla f_{\theta_{t-1}}^\top\Delta\theta_t$,
accumulated step by step) and the linearised model $f_{\mathrm{lin},t}$ (one Taylor expansion around $\theta_0$)
drift from the trained network $f_t$? Paper Figs 2, 7, 8 in miniature: a small MLP on the synthetic M35 stand-in
(two Gaussian classes in $[0,1]^{64}$), two SGD learning rates, two seeds. This page replaces the archived notebook
`analysis/notebooks/approximation.ipynb`; `analysis/approximation.fsx` (or `telescope script
analysis/approximation.fsx`) is the same comparison at analysis scale with a figure, and `telescope study
approximation` the paper-scale study. A script of your own starts with `#i "nuget: /path/to/feed"` (a feed packed by
`scripts/pack.sh`) and `#r "nuget: Telescope.Analytics, 0.1.0"`; this page is evaluated against the
repository's own build instead.
*)
open Telescope.FSharp

let data = Data.synthetic 0L 200 100

let runs =
    [
        for lr in [ 0.01; 0.1 ] do
            yield!
                Train.defaults (Model.mlp [ 32 ]) (Optimizer.sgd lr)
                |> Train.withSteps 40
                |> Train.withBatch 50
                |> Train.seeds [ 0L; 1L ]
    ]
    |> Train.runAll data

printfn "%d runs, all succeeded: %b" runs.Length (runs |> List.forall (fun r -> (Train.tryFailure r).IsNone))
(*** include-output ***)
(**
The runs come back as tidy rows (quantity, value, step, split, seed, learning rate, …). The two test errors, mean
over seeds per learning rate and step:
*)
let table =
    Train.toFrame runs
    |> Tables.split "test"
    |> Tables.whereIn "quantity" [ "telescoping_error"; "linearised_error" ]
    |> Tables.aggregateOverSeeds

let mean quantity (lr: float) (step: float) =
    table.Rows
    |> Deedle.Series.observations
    |> Seq.map snd
    |> Seq.find (fun row ->
        row.GetAs<string>("quantity") = quantity
        && row.GetAs<float>("lr") = lr
        && row.GetAs<float>("step") = step)
    |> fun row -> row.GetAs<float>("mean")

let steps = Tables.numbers "step" table |> Array.distinct |> Array.sort
let last = Array.max steps

printfn "%6s %6s %22s %22s" "lr" "step" "mean|f - f~| (telesc.)" "mean|f - f_lin| (lin.)"

for lr in [ 0.01; 0.1 ] do
    for step in [ steps.[steps.Length / 4]; steps.[steps.Length / 2]; last ] do
        printfn "%6g %6g %22.3e %22.3e" lr step (mean "telescoping_error" lr step) (mean "linearised_error" lr step)
(*** include-output ***)
(**
The same two errors as a figure: the mean over seeds with its 95 % band, one colour per quantity and learning rate
(log y axis; the legend names each curve):
*)
let figure =
    table
    |> Telescope.Plots.FrameFigures.seedBandsAt
        Page.column
        "Test error against the network f"
        [ "quantity"; "lr" ]
        false
        true
        "mean over test rows (log)"

Page.figure figure
(*** include-it-raw ***)
(**
The telescoping model stays closer to the network than the linearised one, and its error grows with the learning
rate (it is exact in the limit $\gamma \to 0$). The notebook's closing check, here as code the docs build runs:
*)
for lr in [ 0.01; 0.1 ] do
    let tel, lin = mean "telescoping_error" lr last, mean "linearised_error" lr last

    if not (tel < lin) then
        failwithf "lr = %g: telescoping error %g is not below the linearised error %g" lr tel lin

printfn "checked: telescoping error below the linearised error at step %g for every learning rate" last
(*** include-output ***)
(**
Two seeds make no interval worth the name; `analysis/approximation.fsx --seeds 0,1,2,3,4` prints the mean with
its 95% Student-t interval and draws the figure (`FrameFigures.seedBands`).
*)
