// Fig. 5 (CPU variant, synthetic houses-like table — a SUBSTITUTE for OpenML houses): redraw the
// gbt-vs-nn study from its saved tidy table (means over seeds from the library's TidyQueries.MeanOverSeeds).
// Run: telescope study gbt-vs-nn --out out/gbt-vs-nn                  (a build of src/Telescope.Cli)
//      dotnet build src/Telescope.Analytics -c Release          (the library, for prelude.fsx)
//      dotnet fsi analysis/redraw/fig5_gbt_vs_nn.fsx [out/gbt-vs-nn/gbt-vs-nn.csv]
#load "Redraw.fsx"

open XPlot.Plotly

let config = Redraw.config "gbt-vs-nn" "fig5_redrawn.html"

printfn "fig5_gbt_vs_nn.fsx: %A" config

/// The rows of the test sets (column p = their irregular share) as (quantity, p, value), means over seeds.
let byShare =
    Telescope.Frames.TidyTable.ReadRows config.Table
    |> Seq.filter (fun r -> r.ContainsKey "p" && r.["p"] <> "")
    |> Telescope.Frames.TidyQueries.MeanOverSeeds
    |> Seq.map (fun r -> r.["quantity"], float r.["p"], float r.["value"])
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
