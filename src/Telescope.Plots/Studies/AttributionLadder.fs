namespace Telescope.Plots.Studies

open Telescope.Plots
open XPlot.Plotly

/// The figure page of the attribution ladder (issue 27), drawn from its saved tidy table.
[<RequireQualifiedAccess>]
module AttributionLadder =

    let private providerOrder (rows: Row list) =
        rows |> List.map (TidyFrame.cell "provider") |> List.distinct

    /// Per optimiser: each provider's Pearson, Spearman (vs exact LOO) and LDS, one point per seed with its 95 %
    /// bootstrap interval over test rows; then exact-A, linear response (when run) and grad-dot against LOO for the first seed (every test ×
    /// candidate pair), where large contributions that cancel show as spread along the A axis.
    let figure (table: string) (html: string) (caption: string) =
        let rows = TidyFrame.read table
        let ladder = TidyFrame.quantity "ladder" rows
        let low = TidyFrame.quantity "ladder_low" rows
        let high = TidyFrame.quantity "ladder_high" rows

        let key (r: Row) =
            TidyFrame.label [ "optimizer"; "seed"; "provider"; "metric" ] r

        let lows = low |> List.map (fun r -> key r, TidyFrame.number "value" r) |> Map.ofList
        let highs = high |> List.map (fun r -> key r, TidyFrame.number "value" r) |> Map.ofList

        let ladderCharts =
            [
                for opt, orows in ladder |> List.groupBy (TidyFrame.cell "optimizer") do
                    let providers = providerOrder orows

                    let traces =
                        [
                            for (metric, seed), mrows in
                                orows
                                |> List.groupBy (fun r -> TidyFrame.cell "metric" r, TidyFrame.cell "seed" r) do
                                let pts =
                                    providers
                                    |> List.choose (fun p ->
                                        mrows
                                        |> List.tryFind (fun r -> TidyFrame.cell "provider" r = p)
                                        |> Option.map (fun r ->
                                            let v = TidyFrame.number "value" r
                                            let k = key r
                                            p, v, v - Map.find k lows, Map.find k highs - v))

                                Scatter(
                                    x = (pts |> List.map (fun (p, _, _, _) -> p)),
                                    y = (pts |> List.map (fun (_, v, _, _) -> v)),
                                    name = sprintf "%s, seed %s" metric seed,
                                    mode = "markers",
                                    error_y =
                                        Error_y(
                                            ``type`` = "data",
                                            symmetric = false,
                                            array = (pts |> List.map (fun (_, _, _, h) -> h)),
                                            arrayminus = (pts |> List.map (fun (_, _, l, _) -> l))
                                        )
                                )
                        ]

                    yield
                        Chart.Plot(
                            traces,
                            Layout(
                                title = sprintf "Ladder under %s: agreement with exact leave-one-out (95%% bootstrap over test rows)" opt,
                                xaxis = Xaxis(title = "score provider"),
                                yaxis = Yaxis(title = "Pearson / Spearman vs LOO, LDS"),
                                width = 900.,
                                height = 500.
                            )
                        )
            ]

        let scores = TidyFrame.quantity "score" rows

        let scatterCharts =
            [
                for opt, orows in scores |> List.groupBy (TidyFrame.cell "optimizer") do
                    let seed = orows |> List.map (TidyFrame.cell "seed") |> List.min
                    let srows = orows |> List.filter (fun r -> TidyFrame.cell "seed" r = seed)

                    let byPair p =
                        srows
                        |> List.filter (fun r -> TidyFrame.cell "provider" r = p)
                        |> List.map (fun r ->
                            (TidyFrame.cell "example" r, TidyFrame.cell "train_example" r), TidyFrame.number "value" r)
                        |> Map.ofList

                    let loo = byPair "loo"

                    let traces =
                        [
                            for p in [ "exact-A"; "linear-response"; "grad-dot" ] do
                                let s = byPair p
                                let keys = loo |> Map.toList |> List.map fst |> List.filter s.ContainsKey

                                if not keys.IsEmpty then
                                  Scatter(
                                      x = (keys |> List.map (fun k -> s.[k])),
                                      y = (keys |> List.map (fun k -> loo.[k])),
                                      name = p,
                                      mode = "markers"
                                  )
                        ]

                    yield
                        Chart.Plot(
                            traces,
                            Layout(
                                title = sprintf "%s, seed %s: score vs exact LOO (every test × candidate pair)" opt seed,
                                xaxis = Xaxis(title = "score (true-class logit)"),
                                yaxis = Yaxis(title = "LOO = f_T − f_T without the row"),
                                width = 900.,
                                height = 500.
                            )
                        )
            ]

        Offline.save html "Attribution ground-truth ladder (issue 27)" caption (ladderCharts @ scatterCharts)
        System.IO.Path.GetFileName html
