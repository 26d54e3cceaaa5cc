// The #r lines every evaluated docs page shares (`#load "../prelude.fsx"` in a page's hidden block). The pages are
// evaluated by `fsdocs build --eval` against the Release build of this repository (`dotnet build src/Telescope.Cli
// -c Release` first); a user would write the #r "nuget:" lines each page shows instead.
#I "../src/Telescope.Cli/bin/Release/net10.0"
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

/// One chart for a docs page (`(*** include-it-raw ***)` after it): the chart in a `figure` div, loading the site's
/// own plotly.js 2.35 (`content/plotly.min.js`, copied in by scripts/build-docs.sh) — nothing from the network —
/// at 660 × 440 px, the width of the page's text column.
let figure (chart: XPlot.Plotly.PlotlyChart) =
    let re (pattern: string) (by: string) (s: string) =
        System.Text.RegularExpressions.Regex.Replace(s, pattern, by)
    // the library's figures fix their size in the layout (900 px): redrawn here at the column's width
    let div =
        Telescope.Plots.Offline.chartDiv chart
        |> re @"style=""width: [0-9]+px; height: [0-9]+px;""" @"style=""width: 660px; height: 440px;"""
        |> re @"(var layout = \{.*?)""width"":[0-9.]+,""height"":[0-9.]+" "$1\"width\":660,\"height\":440"

    "<script src=\"content/plotly.min.js\"></script>\n<div class=\"figure\">" + div + "</div>"
