module Telescope.FSharp.Tests.FiguresTests

open System
open System.Text.RegularExpressions
open Xunit
open Deedle
open Telescope.Frames
open Telescope.Plots

/// A frame of numeric columns with row keys 0..n−1.
let numeric (columns: (string * float list) list) =
    columns
    |> List.map (fun (name, values) -> name, TidyFrames.Series(ResizeArray values))
    |> Frame.ofColumns

/// An aggregate-shaped frame: one group (lr = 0.1), steps 0..n−1.
let aggregate (means: float list) (lows: float list) (highs: float list) =
    numeric
        [
            "lr", [ for _ in means -> 0.1 ]
            "step", [ for i in 0 .. means.Length - 1 -> float i ]
            "mean", means
            "ci_low", lows
            "ci_high", highs
        ]

let count (pattern: string) (text: string) = Regex.Matches(text, pattern).Count

[<Fact>]
let ``seed bands: one band on linear axes, split at non-positive lower bounds on log axes`` () =
    let f =
        aggregate [ 0.0; 1.0; 1.0; 1.0; 1.0 ] [ -1.0; 0.5; -0.2; 0.5; 0.5 ] [ 1.0; 1.5; 1.5; 1.5; 1.5 ]

    let linear = (FrameFigures.seedBands "t" [ "lr" ] false false "y" f).GetInlineJS()
    let log = (FrameFigures.seedBands "t" [ "lr" ] false true "y" f).GetInlineJS()
    Assert.Equal(1, count "\"fill\":\"tonexty\"" linear)
    // lower bounds > 0 at steps 1, 3, 4 → two separate bands: [1] and [3, 4]
    Assert.Equal(2, count "\"fill\":\"tonexty\"" log)
    Assert.Contains("\"type\":\"log\"", log)
    Assert.Contains("lr=0.1", log)

/// The size a figure is drawn at, in the div's style and in the layout alike.
let sizeOf (chart: XPlot.Plotly.PlotlyChart) =
    let html = chart.GetInlineHtml()
    let div = Regex.Match(html, @"style=""width: ([0-9]+)px; height: ([0-9]+)px;""")
    let layout = Regex.Match(html, @"""width"":([0-9.]+),""height"":([0-9.]+)")
    let n (m: Match) (k: int) = float m.Groups[k].Value
    (n div 1, n div 2), (n layout 1, n layout 2)

[<Fact>]
let ``a figure is drawn at the size given, 900 x 500 unless one is`` () =
    let f = aggregate [ 1.0; 2.0 ] [ 0.5; 1.5 ] [ 1.5; 2.5 ]

    Assert.Equal(
        ((660.0, 440.0), (660.0, 440.0)),
        sizeOf (FrameFigures.seedBandsAt (660, 440) "t" [ "lr" ] false false "y" f)
    )
    // control: the default size is not the one given above
    Assert.Equal(((900.0, 500.0), (900.0, 500.0)), sizeOf (FrameFigures.seedBands "t" [ "lr" ] false false "y" f))
    let l = FrameFigures.layoutAt (320, 200) "t" "x" "y" false false
    Assert.Equal((320.0, 200.0), (l.width, l.height))

[<Fact>]
let ``theory vs simulated: closed-form line and simulated points with interval error bars`` () =
    let f =
        numeric
            [
                "step", [ 1.0; 2.0 ]
                "simulated", [ 1.0; 2.0 ]
                "closed_form", [ 1.1; 2.1 ]
                "ci_low", [ 0.5; 1.5 ]
                "ci_high", [ 1.25; 2.75 ]
            ]

    let js = (FrameFigures.theoryVsSimulated "t" [] false false "y" f).GetInlineJS()
    Assert.Contains("\"name\":\"closed form\"", js)
    Assert.Contains("\"name\":\"simulated\"", js)
    Assert.Contains("\"array\":[0.25,0.75]", js)
    Assert.Contains("\"arrayminus\":[0.5,0.5]", js)
