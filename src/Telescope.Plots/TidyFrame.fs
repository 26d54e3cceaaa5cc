namespace Telescope.Plots

open System
open System.Globalization

/// One row of a tidy table: column → cell text.
type Row = Collections.Generic.IReadOnlyDictionary<string, string>

/// Reading tidy tables for figures: figures are drawn from saved tables only, so any figure can be
/// redrawn from a CSV.
[<RequireQualifiedAccess>]
module TidyFrame =

    /// All rows of a tidy CSV.
    let read (path: string) : Row list =
        Telescope.Frames.TidyTable.ReadRows(path) |> List.ofSeq

    /// The cell of `column`, or "" when the column is absent.
    let cell (column: string) (row: Row) =
        match row.TryGetValue column with
        | true, v -> v
        | _ -> ""

    /// Parse a numeric cell (invariant culture); NaN when empty or not a number.
    let number (column: string) (row: Row) =
        match Double.TryParse(cell column row, NumberStyles.Float, CultureInfo.InvariantCulture) with
        | true, v -> v
        | _ -> nan

    /// Rows whose `quantity` is `q`.
    let quantity (q: string) (rows: Row list) =
        rows |> List.filter (fun r -> cell "quantity" r = q)

    /// Distinct values of `column`, in order of first appearance.
    let levels (column: string) (rows: Row list) =
        rows |> List.map (cell column) |> List.distinct

    /// A label for a group: "name=value" pairs of the given columns, skipping empty cells.
    let label (columns: string list) (row: Row) =
        columns
        |> List.choose (fun c ->
            match cell c row with
            | "" -> None
            | v -> Some(sprintf "%s=%s" c v))
        |> String.concat ", "
