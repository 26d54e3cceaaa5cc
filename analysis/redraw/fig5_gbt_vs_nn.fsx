// Fig. 5 (CPU variant, synthetic houses-like table — a SUBSTITUTE for OpenML houses): redraw the
// gbt-vs-nn study from its saved tidy table with Deedle.
// Run: dotnet build src/Telescope.Cli -c Release && telescope study gbt-vs-nn --out out/gbt-vs-nn
//      dotnet fsi analysis/redraw/fig5_gbt_vs_nn.fsx [out/gbt-vs-nn/gbt-vs-nn.csv]
#r "../../src/Telescope.Cli/bin/Release/net10.0/Deedle.dll"
#r "../../src/Telescope.Cli/bin/Release/net10.0/Telescope.Frames.dll"
#r "../../src/Telescope.Cli/bin/Release/net10.0/XPlot.Plotly.dll"
#r "../../src/Telescope.Cli/bin/Release/net10.0/Newtonsoft.Json.dll"
#r "../../src/Telescope.Cli/bin/Release/net10.0/Telescope.Plots.dll"

open System.IO
open Deedle
open XPlot.Plotly

/// Run header and configuration (written into the output page).
type Config = { Table: string; Html: string }

let config =
    let table =
        match fsi.CommandLineArgs |> Array.tryItem 1 with
        | Some t -> t
        | None -> Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "out", "gbt-vs-nn", "gbt-vs-nn.csv")

    {
        Table = table
        Html = Path.Combine(Path.GetDirectoryName(Path.GetFullPath table), "fig5_redrawn.html")
    }

printfn "fig5_gbt_vs_nn.fsx: %A" config

let frame: Frame<int, string> = Telescope.Frames.TidyTable.Load config.Table

/// Rows whose split is "p=<share>", as (quantity, p, value), averaged over seeds.
let byShare =
    let split = frame.GetColumn<string> "split"
    let quantity = frame.GetColumn<string> "quantity"
    let value = frame.GetColumn<float> "value"

    frame.RowKeys
    |> Seq.choose (fun k ->
        match split.TryGet k with
        | OptionalValue.Present s when s.StartsWith "p=" ->
            Some(quantity.[k], float (s.Substring 2), value.TryGet(k).ValueOrDefault)
        | _ -> None)
    |> Seq.groupBy (fun (q, p, _) -> q, p)
    |> Seq.map (fun ((q, p), vs) -> q, p, vs |> Seq.averageBy (fun (_, _, v) -> v))
    |> Seq.toList

let curve q =
    byShare
    |> List.filter (fun (q', _, _) -> q' = q)
    |> List.sortBy (fun (_, p, _) -> p)
    |> fun pts ->
        Scatter(x = (pts |> List.map (fun (_, p, _) -> p)), y = (pts |> List.map (fun (_, _, v) -> v)), name = q)

let top =
    Chart.Plot(
        [ curve "relative_mse" ],
        Layout(title = "ΔMSE(p)/ΔMSE(0), ΔMSE = MSE_NN − MSE_GBT", xaxis = Xaxis(title = "irregular share p"))
    )

let bottom =
    Chart.Plot(
        [ curve "r_nn"; curve "r_gbt" ],
        Layout(title = "Normalised max kernel-weight norm R(p)", xaxis = Xaxis(title = "irregular share p"))
    )

for q in [ "relative_mse"; "r_nn"; "r_gbt" ] do
    byShare
    |> List.filter (fun (q', _, _) -> q' = q)
    |> List.sortBy (fun (_, p, _) -> p)
    |> List.iter (fun (_, p, v) -> printfn "%-13s p=%.2f  %.4f" q p v)

Telescope.Plots.Offline.save
    config.Html
    "Fig. 5 (redrawn): GBT vs NN on irregular inputs"
    (sprintf "Data: synthetic houses-like table [SUBSTITUTE]. Config: %A" config)
    [ top; bottom ]

printfn "wrote %s" config.Html
