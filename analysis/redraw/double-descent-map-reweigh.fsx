// Re-derive the `shown` and `verdict` columns of a double-descent map (issue 29) with the seed-spread rule
// (Telescope.Experiments.Studies.SeedSpread: a claimed difference holds only when its Student-t interval over at least
// SeedSpread.MinimumSeeds seeds excludes 0), for rows whose run folders are gone, so only the row's own numbers are
// left: a row with fewer seeds than the minimum cannot show double descent (every claimed difference is "too few
// seeds to tell"), so its `shown` becomes 0 and its verdict is prefixed with that reason, keeping the sentence first
// written from the seed means (rows whose verdict already says "too few seeds to tell" — reweighed before, or
// written by DoubleDescentSummary.Verdict since issue 29 — are left alone). Rows with enough seeds need their per-seed tables: rerun
// analysis/redraw/double-descent-map.fsx on their folders instead (this script leaves them as they are and says so).
// Idempotent. Run after `dotnet build src/Telescope.Analytics -c Release`:
//   dotnet fsi analysis/redraw/double-descent-map-reweigh.fsx docs/results/double-descent-map.csv
#load "../prelude.fsx"

open System.IO
open Telescope.Frames
open Telescope.Experiments.Studies

let path =
    match fsi.CommandLineArgs |> Array.tail with
    | [| p |] -> Path.GetFullPath p
    | _ ->
        eprintfn "usage: dotnet fsi analysis/redraw/double-descent-map-reweigh.fsx MAP.csv"
        exit 2

let lines =
    use r = new StreamReader(path)
    Csv.Records(r, path) |> Seq.map (fun struct (_, c) -> c) |> Seq.filter (fun c -> not (c.Count = 1 && c.[0] = "")) |> List.ofSeq

let header = lines.Head
let col name = header.IndexOf name

let reweigh (cells: System.Collections.Generic.List<string>) =
    let seeds = cells.[col "seeds"].Split(' ', System.StringSplitOptions.RemoveEmptyEntries).Length
    let verdict = cells.[col "verdict"]

    let prefix =
        sprintf
            "Double descent with a valid lens NOT shown — too few seeds to tell (n = %d < %d): no claimed difference (first descent, peak, second descent, p_test fall, p_train rise) can be weighed against the seed spread (%g %% Student-t interval, at least %d seeds). As first written from the seed means alone: "
            seeds
            SeedSpread.MinimumSeeds
            (100.0 * SeedSpread.Confidence)
            SeedSpread.MinimumSeeds

    if seeds >= SeedSpread.MinimumSeeds then
        eprintfn "left as it is (%d seeds: rerun double-descent-map.fsx on its folder): %s" seeds cells.[0]
        cells
    elif
        verdict.Contains("too few seeds to tell", System.StringComparison.OrdinalIgnoreCase)
        || verdict.StartsWith "Double descent not shown: " // fewer than 3 widths: nothing to weigh
    then
        cells // already reweighed, or written by the verdict that weighs the spread
    else
        cells.[col "shown"] <- "0"
        cells.[col "verdict"] <- prefix + verdict
        printfn "reweighed (%d seed(s)): %s" seeds cells.[0]
        cells

let out = header :: (lines.Tail |> List.map reweigh)
File.WriteAllLines(path, out |> List.map (fun c -> c |> Seq.map Csv.Escape |> String.concat ","))
printfn "wrote %s" path
