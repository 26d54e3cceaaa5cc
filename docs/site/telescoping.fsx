(**
---
title: The telescoping model
category: Concepts
categoryindex: 2
index: 1
---
*)
(*** hide ***)
// Evaluated by `fsdocs build --eval` against the Release build of this repository
// (`dotnet build src/Telescope.Cli -c Release` first); a user would write the #r "nuget:" lines shown below.
#I "../../src/Telescope.Cli/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "MathNet.Numerics.dll"
#r "Deedle.dll"
#r "Telescope.Schema.dll"
#r "Telescope.Core.dll"
#r "Telescope.Frames.dll"
#r "Telescope.Frames.Parquet.dll"
#r "Telescope.Theory.dll"
#r "Telescope.FSharp.dll"
(**
# The telescoping model

Training moves the parameters θ_0 → θ_1 → … → θ_T. The **telescoping model** writes the network's change as the
sum of first-order steps,

f̃_t(x) = f̃_{t−1}(x) + ∇f_{θ_{t−1}}(x)ᵀ (θ_t − θ_{t−1}),  f̃_0 = f_{θ_0},

so it stays close to the network f_t when each step is small, whereas the **linearised model**
f_lin,t(x) = f_{θ_0}(x) + ∇f_{θ_0}(x)ᵀ(θ_t − θ_0) keeps the kernel of initialisation. Every run records both errors,
`telescoping_error` = mean|f_t − f̃_t| and `linearised_error` = mean|f_t − f_lin,t|, per split:
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
`analysis/approximation.fsx` is this comparison at paper scale with a figure, and
`analysis/notebooks/approximation.ipynb` the same as a notebook.
*)
