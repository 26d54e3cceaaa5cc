(**
---
title: Your own data
category: Guides
categoryindex: 1
index: 3
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
# Your own data

A data set is a `Telescope.Data.Dataset`: a name, where it came from (written into every output), the per-example
shape, the features row-major, a class index per row and the number of classes (optionally real-valued targets for
regression). Anything you can put in arrays will do; here, two noisy clusters on a line in 4 dimensions:
*)
open Telescope
open Telescope.Data
open Telescope.FSharp

let make (seed: int) (n: int) =
    let rng = System.Random seed
    let labels = Array.init n (fun i -> i % 2)

    let x =
        [|
            for i in 0 .. n - 1 do
                for j in 0..3 -> float labels[i] * 0.8 + 0.1 * float j + 0.3 * rng.NextDouble()
        |]

    Dataset("clusters", "synthetic: two clusters on a line (docs)", [| 4 |], x, labels, 2).Validate()

let mine = { Train = make 1 80; Test = make 2 40 }

printfn
    "%s: %d train, %d test rows, %d features, source '%s'"
    mine.Train.Name
    mine.Train.Count
    mine.Test.Count
    mine.Train.Features
    (Data.source mine)
(*** include-output ***)
(**
`Validate()` checks the shapes and labels and throws with every problem it finds. Then train exactly as on the
built-in tasks:
*)
let onMine =
    Train.defaults (Model.mlp [ 8 ]) (Optimizer.sgd 0.2)
    |> Train.withSteps 50
    |> Train.withBatch 20
    |> Train.run mine

printfn "test accuracy after 50 steps: %.3f" (Train.tryFinal "test/accuracy" onMine |> Option.get)
(*** include-output ***)
(**
From a CSV file, read the columns into the same arrays (for example with `Deedle.Frame.ReadCsv`). The built-in
tasks in `Telescope.Data` (`BinaryDigits`, `Mnist`, `FashionMnist`, `HousesLike`, `PolynomialTask`) are built the same way.
*)
