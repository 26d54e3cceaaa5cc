// What every evaluated docs page shares (`#load "../prelude.fsx"` in a page's hidden block): the library from the
// build folder of the meta-package Telescope.Analytics, which owns no face, as analysis/prelude.fsx takes it
// (scripts/build-docs.sh builds it: `dotnet build src/Telescope.Analytics -c Release`), and the page's figure. The
// #r lines are not a #load of analysis/prelude.fsx: two loaded files named prelude.fsx are one module twice (FS0239).
// A user writes the #r "nuget:" lines each page shows instead.
#I "../src/Telescope.Analytics/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "MathNet.Numerics.dll"
#r "Deedle.dll"
#r "Telescope.Schema.dll"
#r "Telescope.Core.dll"
#r "Telescope.Frames.dll"
#r "Telescope.Frames.Parquet.dll"
#r "Telescope.Theory.dll"
#r "Telescope.FSharp.dll"
#r "XPlot.Plotly.dll"
#r "Telescope.Plots.dll"

/// The size of a docs page's figures: 660 × 440 px, the width of the page's text column (pass it to
/// `FrameFigures.layoutAt`, `seedBandsAt`, `theoryVsSimulatedAt`).
let column = 660, 440

/// One chart for a docs page (`(*** include-it-raw ***)` after it): the chart in a `figure` div, drawn at the
/// `column` size, loading the site's own plotly.js 2.35 (`content/plotly.min.js`, copied in by
/// scripts/build-docs.sh) — nothing from the network.
let figure (chart: XPlot.Plotly.PlotlyChart) =
    let div = chart |> XPlot.Plotly.Chart.WithSize column |> Telescope.Plots.Offline.chartDiv
    "<script src=\"content/plotly.min.js\"></script>\n<div class=\"figure\">" + div + "</div>"
