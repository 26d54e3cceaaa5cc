// Draw N parameter sets uniformly from every theory check's declared ranges, run the check at each, and tabulate
// pass / fail / control-not-rejected / control-not-informative / refused per check (TheorySampler).
//   dotnet build tests/Telescope.Theory.Tests -c Release
//   dotnet fsi scripts/theory-sample.fsx [N=20] [SEED=1] [check,check,...] [--detail FILE]
// Same N and seed draw the same sets, so two builds can be compared set for set.
#r "../tests/Telescope.Theory.Tests/bin/Release/net10.0/MathNet.Numerics.dll"
#r "../tests/Telescope.Theory.Tests/bin/Release/net10.0/Telescope.Theory.dll"

open System
open System.Diagnostics
open System.Globalization
open Telescope.Theory.Checks

let args = fsi.CommandLineArgs |> Array.skip 1

let positional =
    args
    |> Array.filter (fun a -> not (a.StartsWith "--"))
    |> Array.takeWhile (fun _ -> true)

let detail =
    match Array.tryFindIndex ((=) "--detail") args with
    | Some i -> Some args[i + 1]
    | None -> None

let positional' =
    match detail with
    | Some f -> positional |> Array.filter ((<>) f)
    | None -> positional

let n = if positional'.Length > 0 then int positional'[0] else 20
let seed = if positional'.Length > 1 then int positional'[1] else 1

let names =
    if positional'.Length > 2 then
        positional'[2].Split(',') |> Set.ofArray
    else
        TheoryCatalog.All |> Seq.map (fun c -> c.Name) |> Set.ofSeq

let inv (x: float) =
    x.ToString("G6", CultureInfo.InvariantCulture)

let lines = ResizeArray<string>()

printfn "%-16s %5s %5s %5s %9s %9s %7s %8s" "check" "sets" "pass" "FAIL" "ctl-silent" "ctl-uninf" "refused" "seconds"

for c in TheoryCatalog.All |> Seq.filter (fun c -> names.Contains c.Name) do
    let sw = Stopwatch.StartNew()
    let counts = Collections.Generic.Dictionary<TheoryOutcome, int>()

    for v in TheorySampler.Draws(c, n, seed) do
        let struct (o, report, refusal) = TheorySampler.Run(c, v)

        counts[o] <-
            (match counts.TryGetValue o with
             | true, k -> k + 1
             | _ -> 1)

        if o <> TheoryOutcome.Pass then
            let ps = v |> Seq.map (fun kv -> $"{kv.Key}={inv kv.Value}") |> String.concat " "

            let why =
                match report with
                | null -> refusal
                | r ->
                    let bad =
                        r.Rows
                        |> Seq.groupBy (fun x -> x.Claim)
                        |> Seq.filter (fun (_, rows) ->
                            let rows = List.ofSeq rows

                            if rows.Head.Control then
                                rows |> List.forall (fun x -> x.Accepted)
                            else
                                rows |> List.exists (fun x -> not x.Accepted))
                        |> Seq.map fst
                        |> String.concat ","

                    let un =
                        if isNull r.Uninformative then
                            ""
                        else
                            String.Join(",", r.Uninformative)

                    $"{bad} {un}"

            lines.Add $"{c.Name}\t{o}\t{ps}\t{why}"

    let k o =
        match counts.TryGetValue o with
        | true, x -> x
        | _ -> 0

    printfn
        "%-16s %5d %5d %5d %9d %9d %7d %8.1f"
        c.Name
        n
        (k TheoryOutcome.Pass)
        (k TheoryOutcome.Fail)
        (k TheoryOutcome.ControlNotRejected)
        (k TheoryOutcome.ControlNotInformative)
        (k TheoryOutcome.Refused)
        sw.Elapsed.TotalSeconds

match detail with
| Some f -> IO.File.WriteAllLines(f, lines)
| None -> lines |> Seq.iter (printfn "%s")
