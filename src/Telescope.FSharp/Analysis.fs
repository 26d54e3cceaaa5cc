namespace Telescope.FSharp

open System
open System.Globalization
open System.IO
open System.Text.Json
open System.Text.Json.Nodes

/// Command-line arguments of analysis scripts (`--name value`); each takes the default when the
/// option is absent and fails with a message naming the option when its value does not parse.
[<RequireQualifiedAccess>]
module Args =

    /// The value after `name`, if given.
    let tryFind (name: string) (argv: string seq) =
        argv |> Seq.pairwise |> Seq.tryFind (fun (a, _) -> a = name) |> Option.map snd

    /// Whether the flag `name` is present.
    let flag (name: string) (argv: string seq) = argv |> Seq.contains name

    /// A text option.
    let string (name: string) (fallback: string) (argv: string seq) =
        tryFind name argv |> Option.defaultValue fallback

    /// An integer option.
    let int (name: string) (fallback: int) (argv: string seq) =
        match tryFind name argv with
        | None -> fallback
        | Some v ->
            match Int32.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture) with
            | true, x -> x
            | _ -> failwithf "%s: '%s' is not an integer" name v

    /// A number option.
    let float (name: string) (fallback: float) (argv: string seq) =
        match tryFind name argv with
        | None -> fallback
        | Some v ->
            match Double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture) with
            | true, x -> x
            | _ -> failwithf "%s: '%s' is not a number" name v

    /// A comma-separated list of numbers (`--lr 0.01,0.1`).
    let floats (name: string) (fallback: float list) (argv: string seq) =
        match tryFind name argv with
        | None -> fallback
        | Some v ->
            v.Split(',', StringSplitOptions.RemoveEmptyEntries ||| StringSplitOptions.TrimEntries)
            |> Array.map (fun s ->
                match Double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture) with
                | true, x -> x
                | _ -> failwithf "%s: '%s' is not a number" name s)
            |> List.ofArray

    /// A comma-separated list of integers (`--seeds 0,1,2`).
    let ints (name: string) (fallback: int list) (argv: string seq) =
        floats name (fallback |> List.map Operators.float) argv
        |> List.map Operators.int

/// The frame of every analysis script: a run header, an output folder, and run.json with the
/// script's config record, so that each table and figure says what made it.
[<RequireQualifiedAccess>]
module Analysis =

    let private json = JsonSerializerOptions(WriteIndented = true)

    /// The config record as JSON (records become objects, lists arrays).
    let configJson (config: 'Config) : JsonNode =
        JsonSerializer.SerializeToNode(config, json)

    /// Print the run header: script name, time (UTC), machine, versions and the config record.
    let header (name: string) (config: 'Config) =
        printfn "== %s — %s UTC" name (DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss"))

        printfn
            "   machine: %s, %d cores, %s"
            Environment.MachineName
            Environment.ProcessorCount
            (Runtime.InteropServices.RuntimeInformation.FrameworkDescription)

        printfn "   config: %s" ((configJson config).ToJsonString())

    /// The output folder: `--out DIR` if given, else `out/analysis/<name>` under the current
    /// directory; created.
    let outDir (name: string) (argv: string seq) =
        let dir = Args.string "--out" (Path.Combine("out", "analysis", name)) argv
        Directory.CreateDirectory dir |> ignore
        dir

    /// Write `run.json` into `dir`: the script name, its config record, the data source, seeds and the
    /// files it produced (relative to `dir`). Returns the path.
    let manifest
        (dir: string)
        (name: string)
        (config: 'Config)
        (dataSource: string)
        (seeds: int64 list)
        (outputs: string list)
        =
        let m =
            Telescope.Frames.RunManifest(
                Study = name,
                Config = configJson config,
                DataSource = dataSource,
                Seeds = ResizeArray seeds,
                Threads = Environment.ProcessorCount,
                Versions =
                    Telescope.Frames.RunManifest.VersionsOf(
                        typeof<Telescope.Models.ModelSpec>,
                        typeof<TorchSharp.torch>
                    ),
                Status = "completed",
                Finished = DateTime.UtcNow.ToString("o")
            )

        m.Outputs.AddRange outputs
        m.Save dir
        Path.Combine(dir, "run.json")
