// What every evaluated docs page shares (`#load "../page.fsx"` in a page's hidden block): the library through the
// scripts' one prelude, analysis/prelude.fsx (the build folder of the meta-package Telescope.Analytics, which owns no
// face; scripts/build-docs.sh builds it), and the page's figure size and `figure`. (This file is not named
// prelude.fsx: two loaded files of one name are one module twice, FS0239.) A user writes the #r "nuget:" lines each
// page shows instead.
#load "../analysis/prelude.fsx"

/// The size of a docs page's figures: 660 × 440 px, the width of the page's text column (pass it to
/// `FrameFigures.layoutAt`, `seedBandsAt`, `theoryVsSimulatedAt`).
let column = 660, 440

/// One chart for a docs page (`(*** include-it-raw ***)` after it): the chart in a `figure` div, drawn at the
/// `column` size, loading the site's own plotly.js 2.35 (`content/plotly.min.js`, copied in by
/// scripts/build-docs.sh) — nothing from the network.
let figure (chart: XPlot.Plotly.PlotlyChart) =
    let div = chart |> XPlot.Plotly.Chart.WithSize column |> Telescope.Plots.Offline.chartDiv
    "<script src=\"content/plotly.min.js\"></script>\n<div class=\"figure\">" + div + "</div>"
