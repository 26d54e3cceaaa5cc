module Telescope.FSharp.Tests.TablesTests

open System
open Xunit
open Telescope.FSharp
open Telescope.Frames
open Fixtures

/// 3 seeds × 2 learning rates × steps 0, 1, 2; value = seed + 10·lr·step (+ a test split offset).
let toyRuns () =
    [
        for lr in [ "0.01"; "0.1" ] do
            for seed in [ 0L; 1L; 2L ] do
                let k = key (sprintf "lr%s_s%d" lr seed) seed [ "lr", lr ]

                let o =
                    [
                        for step in [ 0.; 1.; 2. ] do
                            let v = float seed + 10.0 * float lr * step
                            yield obs "loss" step "train" v
                            yield obs "loss" step "test" (v + 100.0)
                    ]

                yield struct (k, (ResizeArray o :> Collections.Generic.IReadOnlyList<_>))
    ]
    |> TidyFrames.FromRuns

let rowWhere (frame: Deedle.Frame<int, string>) (conds: (string * string) list) =
    let cells = conds |> List.map (fun (c, v) -> TidyFrames.Cells(frame, c), v)

    [ 0 .. frame.RowCount - 1 ]
    |> List.filter (fun i -> cells |> List.forall (fun (cs, v) -> cs.[i] = v))

[<Fact>]
let ``tidy frame has the schema's columns in order`` () =
    let f = toyRuns ()

    Assert.Equal<string list>(
        [
            "study"
            "run"
            "seed"
            "step"
            "split"
            "example"
            "output"
            "lr"
            "quantity"
            "value"
        ],
        List.ofSeq f.ColumnKeys
    )

    Assert.Equal(36, f.RowCount)

[<Fact>]
let ``aggregate over seeds: mean, sample std and Student-t interval`` () =
    let agg = toyRuns () |> Tables.aggregateOverSeeds
    // groups: 2 lr × 3 steps × 2 splits; seeds 0, 1, 2 → values s + c: mean c + 1, std 1
    Assert.Equal(12, agg.RowCount)
    Assert.DoesNotContain("seed", agg.ColumnKeys)
    Assert.DoesNotContain("run", agg.ColumnKeys)

    let i =
        rowWhere agg [ "lr", "0.1"; "step", "2"; "split", "train" ] |> List.exactlyOne

    let n = Tables.numbers "n" agg
    let mean = Tables.numbers "mean" agg
    let std = Tables.numbers "std" agg
    let lo = Tables.numbers "ci_low" agg
    let hi = Tables.numbers "ci_high" agg
    Assert.Equal(3.0, n.[i])
    Assert.Equal(3.0, mean.[i], 12) // 10·0.1·2 + mean(0,1,2)
    Assert.Equal(1.0, std.[i], 12)
    // t_{0.975, 2} = 4.302652729911275 (tables); half-width t·s/√n
    let half = 4.302652729911275 / sqrt 3.0
    Assert.Equal(3.0 - half, lo.[i], 9)
    Assert.Equal(3.0 + half, hi.[i], 9)

[<Fact>]
let ``aggregate at a lower level gives a narrower interval`` () =
    let w95 =
        toyRuns ()
        |> Tables.aggregateOverSeeds
        |> fun a -> (Tables.numbers "ci_high" a).[0] - (Tables.numbers "ci_low" a).[0]

    let w80 =
        toyRuns ()
        |> Tables.aggregateOverSeedsAt 0.8
        |> fun a -> (Tables.numbers "ci_high" a).[0] - (Tables.numbers "ci_low" a).[0]

    Assert.True(w80 < w95, sprintf "80%% width %g should be below 95%% width %g" w80 w95)

[<Fact>]
let ``aggregate leaves non-finite values out and says so in n`` () =
    let k = key "a" 0L [ "lr", "1" ]
    let k2 = key "b" 1L [ "lr", "1" ]

    let f =
        TidyFrames.FromRuns(
            [
                struct (k, ResizeArray [ obs "loss" 1.0 "train" 2.0 ] :> Collections.Generic.IReadOnlyList<_>)
                struct (k2, ResizeArray [ obs "loss" 1.0 "train" nan ] :> Collections.Generic.IReadOnlyList<_>)
            ]
        )

    let agg = Tables.aggregateOverSeeds f
    Assert.Equal(1.0, (Tables.numbers "n" agg).[0])
    Assert.Equal(2.0, (Tables.numbers "mean" agg).[0])
    Assert.True(Double.IsNaN (Tables.numbers "ci_low" agg).[0])

[<Fact>]
let ``pivot: steps × lr, mean over seeds`` () =
    let p = toyRuns () |> Tables.pivotSplit "train" "lr" "loss"
    Assert.Equal<string list>([ "lr=0.01"; "lr=0.1" ], List.ofSeq p.ColumnKeys)
    Assert.Equal<float list>([ 0.; 1.; 2. ], List.ofSeq p.RowKeys)
    Assert.Equal(1.0 + 10.0 * 0.1 * 2.0, (TidyFrames.Numbers(p, "lr=0.1")).[2], 12)
    Assert.Equal(1.0 + 10.0 * 0.01 * 1.0, (TidyFrames.Numbers(p, "lr=0.01")).[1], 12)

[<Fact>]
let ``pivot of an absent quantity names the quantities present`` () =
    let e =
        Assert.Throws<ArgumentException>(fun () -> toyRuns () |> Tables.pivot "lr" "nope" |> ignore)

    Assert.Contains("loss", e.Message)

[<Fact>]
let ``join theory: interpolates the closed form in step, drops steps outside its range`` () =
    // theory: closed_form = 1 + 10·lr·t + 100·[test], given at t = 0 and 4 only
    let theory =
        TidyFrames.FromRuns(
            [
                for lr in [ "0.01"; "0.1" ] do
                    let k =
                        Telescope.RunKey(
                            "theory",
                            "th" + lr,
                            0L,
                            ResizeArray [ Collections.Generic.KeyValuePair("lr", lr) ]
                        )

                    let o =
                        [
                            for t in [ 0.; 4. ] do
                                for split, off in [ "train", 0.0; "test", 100.0 ] do
                                    let cf = 1.0 + 10.0 * float lr * t + off
                                    yield Telescope.Observation("loss", cf, Nullable t, split, ClosedForm = Nullable cf)
                        ]

                    yield struct (k, (ResizeArray o :> Collections.Generic.IReadOnlyList<_>))
            ],
            true
        )

    let joined = toyRuns () |> Tables.joinTheory theory
    Assert.Equal(12, joined.RowCount)
    let sim = Tables.numbers "simulated" joined
    let cf = Tables.numbers "closed_form" joined
    let inside = TidyFrames.Cells(joined, "within_ci")
    // the toy data are exactly linear in t, so the interpolated prediction equals the seed mean
    for i in 0 .. joined.RowCount - 1 do
        Assert.Equal(sim.[i], cf.[i], 9)
        Assert.Equal("True", inside.[i])

    // a theory that stops at t = 1 drops step 2
    let short = theory |> Tables.whereIn "step" [ "0" ]
    let joinedShort = toyRuns () |> Tables.joinTheory short
    Assert.True((Tables.numbers "step" joinedShort) |> Array.forall ((=) 0.0))

[<Fact>]
let ``join theory flags a prediction outside the interval`` () =
    let theory =
        TidyFrames.FromRuns(
            [
                struct (Telescope.RunKey(
                            "theory",
                            "th",
                            0L,
                            ResizeArray [ Collections.Generic.KeyValuePair("lr", "0.1") ]
                        ),
                        (ResizeArray [ Telescope.Observation("loss", 50.0, Nullable 1.0, "train") ]
                        :> Collections.Generic.IReadOnlyList<_>))
            ]
        )

    let joined = toyRuns () |> Tables.joinTheory theory
    Assert.Equal(1, joined.RowCount)
    Assert.Equal("False", (TidyFrames.Cells(joined, "within_ci")).[0])
    Assert.Equal(abs (2.0 - 50.0), (Tables.numbers "abs_error" joined).[0], 12)

[<Fact>]
let ``a saved and reloaded table aggregates the same as the in-memory one`` () =
    use dir = new TempDir()
    let f = toyRuns () |> Tables.saveCsv (dir.File "toy.csv")
    let loaded = Tables.load (dir.File "toy.csv")
    let a = Tables.aggregateOverSeeds f
    let b = Tables.aggregateOverSeeds loaded
    Assert.Equal<string list>(List.ofSeq a.ColumnKeys, List.ofSeq b.ColumnKeys)
    Assert.Equal<float[]>(Tables.numbers "mean" a, Tables.numbers "mean" b)
    Assert.Equal<string[]>(TidyFrames.Cells(a, "lr"), TidyFrames.Cells(b, "lr"))

[<Fact>]
let ``whereEq keeps matching rows only`` () =
    let f = toyRuns () |> Tables.split "test" |> Tables.whereEq "lr" "0.1"
    Assert.Equal(9, f.RowCount)
    Assert.All(TidyFrames.Cells(f, "split"), fun s -> Assert.Equal("test", s))
