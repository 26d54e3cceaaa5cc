module Telescope.FSharp.Tests.DataTests

open System
open System.IO
open Xunit
open Deedle
open Telescope
open Telescope.Data
open Telescope.FSharp
open Telescope.FSharp.Tests.Fixtures

/// Two interleaved half-moons (labels 0/1), `n` rows, as CSV text.
let moons (n: int) (seed: int64) =
    let rng = Rng(seed, 5UL)

    let rows =
        [
            for i in 0 .. n - 1 do
                let c = i % 2
                let t = Math.PI * rng.NextDouble()
                let x = if c = 0 then cos t else 1.0 - cos t
                let y = if c = 0 then sin t else 0.5 - sin t

                yield
                    String.Format(
                        Globalization.CultureInfo.InvariantCulture,
                        "{0:0.####},{1:0.####},{2}",
                        x + 0.1 * rng.NextGaussian(),
                        y + 0.1 * rng.NextGaussian(),
                        c
                    )
        ]

    String.concat "\n" ("x1,x2,label" :: rows) + "\n"

let same (a: Dataset) (b: Dataset) =
    Assert.Equal<int[]>(a.Shape, b.Shape)
    Assert.Equal<float[]>(a.X, b.X)
    Assert.Equal<int[]>(a.Labels, b.Labels)
    Assert.Equal(a.Classes, b.Classes)
    Assert.Equal<string seq>(a.FeatureNames, b.FeatureNames)
    Assert.Equal<string seq>(a.ClassNames, b.ClassNames)
    Assert.Equal(a.Outputs, b.Outputs)

[<Fact>]
let ``a CSV file, its arrays and its Deedle frame give the same data set`` () =
    use dir = new TempDir()
    let path = dir.File "moons.csv"
    File.WriteAllText(path, moons 40 0L)
    let csv = Data.ofCsv "label" path
    Assert.StartsWith("your file " + Path.GetFullPath path, csv.Source)
    let rows = Array.init csv.Count (fun i -> csv.X.[2 * i .. 2 * i + 1])
    same csv (Data.ofArraysNamed [ "x1"; "x2" ] rows csv.Labels)
    // a frame read by Deedle from the same file (typed columns: floats and ints)
    let read = Frame.ReadCsv path
    let fromFrame = Data.ofFrame "label" read
    same csv fromFrame

    Assert.StartsWith(
        "your Deedle frame: 40 rows × 2 features; target 'label': classification, 2 classes 0/1",
        fromFrame.Source
    )
    // a frame built in memory, with its own row keys and the target as text
    let built =
        Frame.ofColumns
            [
                "x1", Series.ofObservations [ for i in 0 .. csv.Count - 1 -> sprintf "r%d" i, box rows.[i].[0] ]
                "x2", Series.ofObservations [ for i in 0 .. csv.Count - 1 -> sprintf "r%d" i, box rows.[i].[1] ]
                "label",
                Series.ofObservations [ for i in 0 .. csv.Count - 1 -> sprintf "r%d" i, box (string csv.Labels.[i]) ]
            ]

    same csv (Data.ofFrame "label" built)

[<Fact>]
let ``a bad frame cell is one line naming its row and column`` () =
    let frame =
        Frame.ofColumns
            [
                "a", Series.ofValues [ box 1.0; box "abc" ]
                "y", Series.ofValues [ box 0; box 1 ]
            ]

    let e =
        Assert.Throws<InvalidDataException>(fun () -> Data.ofFrame "y" frame |> ignore)

    Assert.Equal("frame row 2 (key 1), column 1 ('a'): 'abc' is not a number (column 'a')", e.Message)

    let e =
        Assert.Throws<InvalidDataException>(fun () -> Data.ofFrame "label" frame |> ignore)

    Assert.Equal("frame: no target column 'label' (columns: a, y)", e.Message)

[<Fact>]
let ``split is deterministic for a seed and different for another; regression from arrays`` () =
    use dir = new TempDir()
    let path = dir.File "moons.csv"
    File.WriteAllText(path, moons 50 1L)
    let d = Data.ofCsv "label" path
    let a = d |> Data.split Data.defaultTestFraction 0L
    let b = d |> Data.split Data.defaultTestFraction 0L
    let c = d |> Data.split Data.defaultTestFraction 1L
    Assert.Equal(10, a.Test.Count)
    same a.Test b.Test
    same a.Train b.Train
    Assert.NotEqual<float[]>(a.Test.X, c.Test.X)
    let r = Data.ofTargets [| [| 1.0 |]; [| 2.0 |] |] [| 0.5; 1.5 |]
    Assert.True r.IsRegression
    Assert.Equal(1, r.Outputs)

[<Fact>]
let ``ofIdx reads examples and targets the library wrote`` () =
    use dir = new TempDir()
    let images = dir.File "images-idx3-ubyte.gz"
    let labels = dir.File "labels-idx1-ubyte"
    let pixels = Array.init (6 * 2 * 2) (fun i -> float (i * 7 % 256))
    Idx.Write(images, IdxType.UInt8, [| 6; 2; 2 |], pixels)
    Idx.Write(labels, IdxType.UInt8, [| 6 |], Array.init 6 (fun i -> float (i % 2)))
    let d = Data.ofIdx images labels
    Assert.Equal<int[]>([| 1; 2; 2 |], d.Shape)
    Assert.Equal<float[]>(pixels |> Array.map (fun p -> p / 255.0), d.X)
    Assert.Equal<int[]>([| 0; 1; 0; 1; 0; 1 |], d.Labels)
