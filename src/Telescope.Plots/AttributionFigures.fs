namespace Telescope.Plots

open System.IO
open XPlot.Plotly

/// Figures of exact training-data attribution (issue 17 item 5), drawn from a saved tidy table with the rows
/// of `TrainingAttribution.ToObservations` / `TopK` and, optionally, the recorder's `f_telescoped_layer` rows.
[<RequireQualifiedAccess>]
module AttributionFigures =

    let private num = TidyFrame.number
    let private cell = TidyFrame.cell

    let private layout title xTitle yTitle =
        Layout(title = title, xaxis = Xaxis(title = xTitle), yaxis = Yaxis(title = yTitle), width = 900., height = 500.)

    /// The heatmap of A(x, z_i) summed over steps: test points (rows) × training rows (columns), output 0.
    let heatmap (rows: Row list) =
        let a =
            rows
            |> TidyFrame.quantity "attribution"
            |> List.filter (fun r -> cell "split" r = "test" && num "output" r = 0.0)

        if List.isEmpty a then
            []
        else
            let tests = a |> List.map (num "example") |> List.distinct |> List.sort
            let trains = a |> List.map (num "train_example") |> List.distinct |> List.sort

            let at =
                a
                |> List.map (fun r -> (num "example" r, num "train_example" r), num "value" r)
                |> dict

            let z =
                [
                    for x in tests ->
                        [
                            for i in trains ->
                                (match at.TryGetValue((x, i)) with
                                 | true, v -> v
                                 | _ -> nan)
                        ]
                ]

            let m = a |> List.map (num "value" >> abs) |> List.max

            [
                Chart.Plot(
                    Heatmap(z = z, x = trains, y = tests, colorscale = "RdBu", zmin = -m, zmax = m),
                    layout
                        "Training-data attribution A(x, z_i) = Σ_t a_t(x, z_i) (exact; rows sum to f̃_T(x) − f̃_0(x))"
                        "training row i"
                        "test point x"
                )
            ]

    /// The top-k training rows of the first `points` test points, as bars (value A(x, z_i), ranked by |A|).
    let topK (points: int) (rows: Row list) =
        let top =
            rows
            |> TidyFrame.quantity "attribution_top"
            |> List.filter (fun r -> cell "split" r = "test" && num "output" r = 0.0)

        let xs =
            top
            |> List.map (num "example")
            |> List.distinct
            |> List.sort
            |> List.truncate points

        if List.isEmpty xs then
            []
        else
            let traces =
                [
                    for x in xs do
                        let rs =
                            top |> List.filter (fun r -> num "example" r = x) |> List.sortBy (num "rank")

                        yield
                            Bar(
                                x = (rs |> List.map (fun r -> sprintf "rank %g" (num "rank" r))),
                                y = (rs |> List.map (num "value")),
                                text = (rs |> List.map (fun r -> sprintf "train row %g" (num "train_example" r))),
                                name = sprintf "test point %g" x
                            )
                ]

            [
                Chart.Plot(traces, layout "Top training rows per test point (by |A|)" "rank" "A(x, z_i)")
            ]

    /// Which layer's updates moved a test point's prediction, and when: Σ_{s≤t} ∇_{θ_l}f·Δθ_{l,s} per layer,
    /// for test point `example` (the parts sum to f̃_t − f̃_0).
    let byLayer (example: int) (rows: Row list) =
        let rs =
            rows
            |> TidyFrame.quantity "f_telescoped_layer"
            |> List.filter (fun r ->
                cell "split" r = "test"
                && num "example" r = float example
                && num "output" r = 0.0)

        if List.isEmpty rs then
            []
        else
            Figures.lines
                { Figures.lineSpec (sprintf "f̃ split by layer — test point %d" example) [ "f_telescoped_layer" ] with
                    GroupBy = [ "layer" ]
                    MeanOver = false
                    YTitle = "Σ_s ∇_{θ_l} f · Δθ_{l,s}"
                }
                rs

    /// The attribution page: heatmap, top-k bars for four test points, and the per-layer split of test point 0.
    let attribution (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table
        let charts = heatmap rows @ topK 4 rows @ byLayer 0 rows
        Offline.save html "Telescoping lens: exact training-data attribution" caption charts
        Path.GetFileName html
