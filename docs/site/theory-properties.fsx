(**
---
title: Theory checks as properties
category: Concepts
categoryindex: 2
index: 3
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Theory checks as properties

`Telescope.Theory` holds the closed forms of the thesis chapters next to simulators with the same signature, so each
result is checked as a **property**: for every premise drawn at random, closed form and simulation agree. For the
sigmoid of a balanced two-layer mode (R10), $R(t) = S \,/\, \bigl(1 + (S/R_0 - 1)\,e^{-2\lambda S t}\bigr)$:
*)
open Telescope.Theory

let rng = System.Random 7

let draws =
    [
        for _ in 1..25 ->
            let s, lambda, r0 =
                0.2 + 4.8 * rng.NextDouble(), 0.05 + rng.NextDouble(), 1e-4 + 1e-2 * rng.NextDouble()

            BalancedMode(s, lambda, r0)
    ]

let worst (m: BalancedMode) =
    let cf, sim = Sigmoid.Balanced m, Sigmoid.SimulateBalanced m
    let horizon = 3.0 * log (m.S / m.R0) / (2.0 * m.Lambda * m.S)

    [
        for i in 0..20 -> let t = horizon * float i / 20.0 in abs (cf.Invoke t - sim.Invoke t) / abs m.S
    ]
    |> List.max

let failures = draws |> List.filter (fun m -> worst m > 1e-6)

printfn
    "%d premises drawn, %d counterexamples, largest relative error %.2g"
    draws.Length
    failures.Length
    (draws |> List.map worst |> List.max)
(*** include-output ***)
(**
Three of the drawn modes, closed form (lines) against simulation (points), time in units of the mode's own horizon:
*)
[
    for i, m in List.indexed (List.take 3 draws) do
        let cf, sim = Sigmoid.Balanced m, Sigmoid.SimulateBalanced m
        let horizon = 3.0 * log (m.S / m.R0) / (2.0 * m.Lambda * m.S)
        let ts = [ for k in 0..40 -> float k / 40.0 ]
        let colour = Telescope.Plots.Figures.palette.[i]
        let name = sprintf "S = %.2f, λ = %.2f" m.S m.Lambda

        yield
            XPlot.Plotly.Scatter(
                x = ts,
                y = [ for t in ts -> cf.Invoke(t * horizon) / m.S ],
                mode = "lines",
                name = name + " (closed form)",
                line = XPlot.Plotly.Line(color = colour)
            )

        yield
            XPlot.Plotly.Scatter(
                x = ts,
                y = [ for t in ts -> sim.Invoke(t * horizon) / m.S ],
                mode = "markers",
                name = name + " (simulated)",
                marker = XPlot.Plotly.Marker(color = colour)
            )
]
|> XPlot.Plotly.Chart.Plot
|> XPlot.Plotly.Chart.WithLayout(
    Telescope.Plots.FrameFigures.layoutAt Page.column "R(t)/S: closed form and simulation" "t / horizon" "R(t) / S" false false
)
|> Page.figure
(*** include-it-raw ***)
(**
The premises are checked too: an invalid mode is refused with the premise it violates.
*)
let refused =
    try
        BalancedMode(1.0, -1.0, 0.1).Validate() |> ignore
        "accepted"
    with :? System.ArgumentException as e ->
        e.Message

printfn "λ = −1: %s" refused
(*** include-output ***)
(**
The test suite (`tests/Telescope.Theory.Tests`) runs such properties with FsCheck for every chapter, and
`telescope theory <name>` runs one result against simulation from the command line (`telescope theory list`); `analysis/theory/*.fsx` draws the comparisons.
*)
