// Shared helpers for the reduced-scale analyses of the thesis chapters (spec theory.md §11).
// Run after `dotnet build src/Telescope.Analytics -c Release`: ../prelude.fsx references the library from that
// build folder, which holds every assembly these scripts need, so nothing is fetched at run time.
#load "../prelude.fsx"

open System
open System.IO
open Telescope
open Telescope.Frames
open Telescope.Plots

/// Output folder of every analysis: out/analysis/theory/ at the repository root.
let outDir =
    Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "out", "analysis", "theory")
    |> Path.GetFullPath

/// One row of an analysis table: quantity at x (time, resource, …), curve index, closed form and simulated value.
type Point =
    {
        Quantity: string
        X: float
        Curve: int
        ClosedForm: float
        Simulated: float
    }

let point q x curve cf sim =
    {
        Quantity = q
        X = x
        Curve = curve
        ClosedForm = cf
        Simulated = sim
    }

/// Invoke a .NET Func.
let inline fn (f: Func<'a, 'b>) = fun x -> f.Invoke x

/// Write `<name>.csv` (tidy, theory columns; study = "theory-analysis", the config as parameter columns) and
/// `<name>.html` (closed form as curves, simulation as markers, one chart per quantity), printing a run header.
let save
    (name: string)
    (config: (string * string) list)
    (seed: int64)
    (xTitle: string)
    (logX: bool)
    (logY: bool)
    (rows: Point list)
    =
    Directory.CreateDirectory outDir |> ignore
    let csv = Path.Combine(outDir, name + ".csv")

    let schema =
        TidySchema([ yield "result"; yield! List.map fst config ], TheoryColumns = true)

    let key =
        RunKey(
            "theory-analysis",
            name,
            seed,
            [
                yield Collections.Generic.KeyValuePair("result", name)
                for k, v in config -> Collections.Generic.KeyValuePair(k, v)
            ]
        )

    (use w = new TidyCsvWriter(csv, schema, key)

     for r in rows do
         let o =
             Observation(
                 r.Quantity,
                 r.Simulated,
                 Step = Nullable r.X,
                 Output = Nullable r.Curve,
                 ClosedForm = Nullable r.ClosedForm
             )

         w.Write(&o)

     w.Complete())

    let tidy = TidyFrame.read csv
    let quantities = rows |> List.map (fun r -> r.Quantity) |> List.distinct

    let spec =
        { Figures.lineSpec name quantities with
            GroupBy = [ "output" ]
            MeanOver = false
            LogX = logX
            LogY = logY
            XTitle = xTitle
        }

    let caption =
        sprintf
            "%s\nconfig: %s\nlines: closed form; markers: simulation (output = curve index)"
            name
            (config |> List.map (fun (k, v) -> k + "=" + v) |> String.concat ", ")

    Offline.save (Path.Combine(outDir, name + ".html")) name caption (Figures.closedFormVsSimulated spec tidy)
    let worst = rows |> List.map (fun r -> abs (r.Simulated - r.ClosedForm)) |> List.max

    printfn
        "%s: %d rows, max |simulated - closed form| = %g -> %s, %s"
        name
        rows.Length
        worst
        csv
        (Path.ChangeExtension(csv, ".html"))

/// Run header: what is being reproduced, at which scale.
let header (title: string) (config: (string * string) list) =
    printfn "== %s ==" title

    for k, v in config do
        printfn "   %s = %s" k v
