(**
---
title: The telescoping model
category: Concepts
categoryindex: 2
index: 1
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# The telescoping model

Training moves the parameters $\theta_0 \to \theta_1 \to \dots \to \theta_T$. The **telescoping model** writes the network's change as the
sum of first-order steps,

$$
\tilde f_t(x) = \tilde f_{t-1}(x) + \nabla f_{\theta_{t-1}}(x)^\top (\theta_t - \theta_{t-1}),\qquad \tilde f_0 = f_{\theta_0},
$$

so it stays close to the network $f_t$ when each step is small, whereas the **linearised model**
$f_{\mathrm{lin},t}(x) = f_{\theta_0}(x) + \nabla f_{\theta_0}(x)^\top(\theta_t - \theta_0)$ keeps the kernel of initialisation. Every run records both errors,
`telescoping_error` = $\operatorname{mean}|f_t - \tilde f_t|$ and `linearised_error` = $\operatorname{mean}|f_t - f_{\mathrm{lin},t}|$, per split:
*)
open Telescope.FSharp

let data = Data.synthetic 0L 200 100

let runs =
    [
        for lr in [ 0.01; 0.1 ] do
            yield!
                Train.defaults (Model.mlp [ 32 ]) (Optimizer.sgd lr)
                |> Train.withSteps 60
                |> Train.withBatch 50
                |> Train.seeds [ 0L; 1L ]
    ]
    |> Train.runAll data

let table =
    Train.toFrame runs
    |> Tables.split "test"
    |> Tables.whereIn "quantity" [ "telescoping_error"; "linearised_error" ]
    |> Tables.aggregateOverSeeds

let last = Tables.numbers "step" table |> Array.max

for _, row in table.Rows |> Deedle.Series.observations do
    if row.GetAs<float>("step") = last then
        printfn
            "%-18s lr=%-5O mean over %O seeds at the last step: %.3g"
            (row.GetAs<string>("quantity"))
            (row.Get("lr"))
            (row.Get("n"))
            (row.GetAs<float>("mean"))
(*** include-output ***)
(**
The telescoping error is the smaller of the two and grows with the learning rate: it is exact as γ → 0.
`analysis/approximation.fsx` is this comparison at paper scale with a figure, and the
[approximation analysis](approximation.html) the per-step table with its check.
*)
