(**
---
title: Your own data
category: Guides
categoryindex: 1
index: 3
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
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
## A CSV file, a Deedle frame, arrays, IDX files

`Data.ofCsv target path` reads a CSV file (a header row, then one row per example): column `target` is the target,
every other column a feature. Whole-number targets with at most 20 distinct values, or words, are classes; other
numbers are regression targets (`Data.ofCsvWith TargetTask.Regression None` to say so). `Data.split` holds out a
seeded fraction (the library's `Rng`: the same rows on every machine):
*)
let csv = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "clusters.csv")

System.IO.File.WriteAllLines(
    csv,
    [|
        yield "a,b,c,d,label"
        let d = make 3 100

        for i in 0 .. d.Count - 1 do
            yield
                (d.X[4 * i .. 4 * i + 3] |> Array.map (sprintf "%.4f") |> String.concat ",")
                + sprintf ",%d" d.Labels[i]
    |]
)

let fromCsv = Data.ofCsv "label" csv |> Data.split Data.defaultTestFraction 0L
printfn "%d train / %d test rows; %s" fromCsv.Train.Count fromCsv.Test.Count fromCsv.Train.Source
(*** include-output ***)
(**
A bad file is refused with one line naming the file, the line and the column — `clusters.csv:7:3: 'abc' is not a
number (column 'c')` — for a ragged row, an empty, non-numeric or non-finite cell, a missing target column, a header
without rows or a target with a single class. The same rows from a Deedle frame or from arrays give the same data set:
*)
let fromFrame = Data.ofFrame "label" (Deedle.Frame.ReadCsv csv)
let all = Data.ofCsv "label" csv
let rows = Array.init all.Count (fun i -> all.X[4 * i .. 4 * i + 3])
let fromArrays = Data.ofArraysNamed [ "a"; "b"; "c"; "d" ] rows all.Labels
printfn "frame = csv: %b, arrays = csv: %b" (fromFrame.X = all.X && fromFrame.Labels = all.Labels) (fromArrays.X = all.X)
(*** include-output ***)
(**
`Data.ofIdx examples targets` reads IDX files (the MNIST format; byte images divided by 255, `[n, rows, cols]` as
shape `[1, rows, cols]` for the CNN), and `Data.ofTargets x y` makes a regression set from arrays. On the command
line the same loaders are `telescope study approximation --data FILE.csv --target COL` with `--test FILE.csv` or
`--test-fraction F` (`--task`, `--features`, `--data-seed`); run.json records each file's path, size, SHA-256 and
the train/test row counts. The built-in tasks in `Telescope.Data` (`BinaryDigits`, `Mnist`, `FashionMnist`,
`HousesLike`, `PolynomialTask`) are `Dataset`s too.
*)
