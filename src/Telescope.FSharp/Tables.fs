namespace Telescope.FSharp

open Deedle
open Telescope.Frames

/// Questions asked of tidy tables, answered as Deedle frames; the frame comes last so they pipe:
///
///     frame |> Tables.whereEq "split" "test" |> Tables.aggregateOverSeeds
///     frame |> Tables.pivot "lr" "telescoping_error"
///     simulated |> Tables.joinTheory predictions
///
/// Cells are compared as invariant text (so `lr` = "0.01" matches whether the column was loaded as
/// numbers or text) and averaged as numbers.
[<RequireQualifiedAccess>]
module Tables =

    /// Load a tidy CSV (from `telescope study`, a script or `saveCsv`).
    let load (path: string) : Frame<int, string> = TidyTable.Load path

    /// `Some frame` when the file exists and loads, else `None`.
    let tryLoad (path: string) =
        if System.IO.File.Exists path then
            Some(TidyTable.Load path)
        else
            None

    /// Rows whose `column` cell equals `value` (as invariant text), renumbered 0..n−1.
    let whereEq (column: string) (value: string) (frame: Frame<int, string>) =
        let cells = TidyFrames.Cells(frame, column)

        let keep =
            frame.RowKeys
            |> Seq.indexed
            |> Seq.filter (fun (i, _) -> cells.[i] = value)
            |> Seq.map snd
            |> Array.ofSeq

        frame.Rows.[keep] |> Frame.indexRowsOrdinally

    /// Rows whose `column` cell is one of `values` (as invariant text), renumbered 0..n−1.
    let whereIn (column: string) (values: string list) (frame: Frame<int, string>) =
        let cells = TidyFrames.Cells(frame, column)
        let wanted = set values

        let keep =
            frame.RowKeys
            |> Seq.indexed
            |> Seq.filter (fun (i, _) -> wanted.Contains cells.[i])
            |> Seq.map snd
            |> Array.ofSeq

        frame.Rows.[keep] |> Frame.indexRowsOrdinally

    /// Rows of one quantity.
    let quantity (q: string) (frame: Frame<int, string>) = whereEq "quantity" q frame

    /// Rows of one split (`train` or `test`).
    let split (s: string) (frame: Frame<int, string>) = whereEq "split" s frame

    /// Distinct cells of a column, in order of first appearance.
    let levels (column: string) (frame: Frame<int, string>) =
        TidyFrames.Cells(frame, column) |> Array.distinct |> List.ofArray

    /// Mean over seeds with a 95% Student-t interval: columns are the coordinates, then `n, mean, std,
    /// sem, ci_low, ci_high` (see `TidyQueries.AggregateOverSeeds`).
    let aggregateOverSeeds (frame: Frame<int, string>) =
        TidyQueries.AggregateOverSeeds(frame, 0.95)

    /// Mean over seeds with a Student-t interval at confidence `level` (e.g. 0.9).
    let aggregateOverSeedsAt (level: float) (frame: Frame<int, string>) =
        TidyQueries.AggregateOverSeeds(frame, level)

    /// `quantity` as a step × `column` table (rows: steps; columns `column=value`; cells: mean over
    /// everything else; all splits pooled — use `pivotSplit` or filter first).
    let pivot (column: string) (quantity: string) (frame: Frame<int, string>) : Frame<float, string> =
        TidyQueries.Pivot(frame, quantity, column, null)

    /// `pivot` restricted to one split.
    let pivotSplit (split: string) (column: string) (quantity: string) (frame: Frame<int, string>) =
        TidyQueries.Pivot(frame, quantity, column, split)

    /// Closed-form predictions (`theory`, a tidy table with `closed_form` or `value` as a function of
    /// `step`) beside the simulated runs (averaged over seeds), joined on every shared coordinate
    /// column and interpolated in step: `simulated, ci_low, ci_high, closed_form, abs_error,
    /// rel_error, within_ci`.
    let joinTheory (theory: Frame<int, string>) (simulated: Frame<int, string>) =
        TidyQueries.JoinTheory(simulated, theory, null, 0.95)

    /// `joinTheory` on the given columns only.
    let joinTheoryOn (columns: string list) (theory: Frame<int, string>) (simulated: Frame<int, string>) =
        TidyQueries.JoinTheory(simulated, theory, Array.ofList columns, 0.95)

    /// Write a frame as CSV (atomic, invariant culture, missing cells empty); returns the frame.
    let saveCsv (path: string) (frame: Frame<int, string>) =
        TidyFrames.SaveCsv(frame, path)
        frame

    /// Write a frame keyed by step (e.g. a pivot) as CSV with `step` as its first column.
    let saveCsvByStep (path: string) (frame: Frame<float, string>) =
        TidyFrames.SaveCsv(frame, path, "step")
        frame

    /// Write a frame as Parquet (flat, nullable columns: INT64, DOUBLE, BOOLEAN, STRING; pandas and
    /// polars read it as is); returns the frame.
    let saveParquet (path: string) (frame: Frame<int, string>) =
        TidyParquet.Save(frame, path)
        frame

    /// Read a flat Parquet file as a frame.
    let loadParquet (path: string) = TidyParquet.Load path

    /// The numbers of a column (missing → NaN), in row order.
    let numbers (column: string) (frame: Frame<int, string>) = TidyFrames.Numbers(frame, column)
