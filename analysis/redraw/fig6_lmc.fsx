// Fig. 6 (CPU variant, Fashion-MNIST): redraw the lmc study from its saved tidy table —
// the error barrier against the spawn step t′ per model, and the per-layer gradient change.
// Run: telescope study lmc --out out/lmc                  (a build of src/Telescope.Cli)
//      dotnet build src/Telescope.Analytics -c Release          (the library, for prelude.fsx)
//      dotnet fsi analysis/redraw/fig6_lmc.fsx [out/lmc/lmc.csv]
#load "Redraw.fsx"

open XPlot.Plotly

let config = Redraw.config "lmc" "fig6_redrawn.html"

printfn "fig6_lmc.fsx: %A" config

/// (model, layer, step, value) of one quantity, means over seeds (layer: "" for whole-model quantities).
let rowsOf (q: string) =
    let cell (r: System.Collections.Generic.IReadOnlyDictionary<string, string>) c =
        match r.TryGetValue c with
        | true, v -> v
        | _ -> ""

    Telescope.Frames.TidyTable.ReadRows config.Table
    |> Seq.filter (fun r -> r.["quantity"] = q)
    |> Telescope.Frames.TidyQueries.MeanOverSeeds
    |> Seq.map (fun r -> r.["model"], cell r "layer", float r.["step"], float r.["value"])
    |> Seq.sortBy (fun (m, l, t, _) -> m, l, t)
    |> Seq.toList

let traces q label =
    rowsOf q
    |> List.groupBy (fun (m, s, _, _) -> m, s)
    |> List.map (fun ((m, s), pts) ->
        Scatter(
            x = (pts |> List.map (fun (_, _, t, _) -> t)),
            y = (pts |> List.map (fun (_, _, _, v) -> v)),
            name =
                (if s = "" then
                     sprintf "%s %s" label m
                 else
                     sprintf "%s %s %s" label m s)
        ))

let barrier =
    Chart.Plot(
        traces "error_barrier_max" "max α" @ traces "error_barrier_half" "α=½",
        Layout(title = "Test error barrier against spawn step t′", xaxis = Xaxis(title = "t′"))
    )

let grads =
    Chart.Plot(
        traces "gradient_change" "Δgrad",
        Layout(
            title = "Gradient change of the true-class logit",
            xaxis = Xaxis(title = "t′"),
            yaxis = Yaxis(``type`` = "log")
        )
    )

for (m, _, t, v) in rowsOf "error_barrier_max" do
    printfn "%-7s t′=%5.0f  error barrier (max α) %.4f" m t v

Telescope.Plots.Offline.save
    config.Html
    "Fig. 6 (redrawn): linear mode connectivity"
    (sprintf "Config: %A" config)
    [ barrier; grads ]

printfn "wrote %s" config.Html
