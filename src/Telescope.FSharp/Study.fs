namespace Telescope.FSharp

open System.Threading
open Telescope
open Telescope.Hosting
open Telescope.Experiments.Studies.Approximation

/// The library's studies (`IStudy`: a named grid of runs) run in memory, each returned as one tidy
/// frame. For long studies prefer the command line (`telescope study …`), which streams to disk.
[<RequireQualifiedAccess>]
module Study =

    /// The approximation-quality study (paper Figs 2, 7, 8) for a configuration; for example
    /// `ApproximationConfig(Steps = 100, TrainSize = 200, TestSize = 200)`.
    let approximation (config: ApproximationConfig) : IStudy = ApproximationStudy(config) :> IStudy

    /// The study's coordinate columns: its swept hyper-parameters and row-level coordinates (lmc's `alpha`, `layer`).
    let parameters (study: IStudy) = List.ofSeq study.ParameterNames

    /// Run every run of the study in order; returns each run's key, observations and failure (if any).
    let runs (study: IStudy) =
        Telescope.Native.TorchRuntime.EnsureLoaded()

        [
            for r in study.Runs() do
                let sink = ObservationList()
                let result = r.Execute(RunContext(sink, (fun _ -> ()), CancellationToken.None))
                yield r.Key, List.ofSeq sink.Items, Option.ofObj result.Failure
        ]

    /// Run the study and return its tidy frame (same columns as `telescope study`'s CSV).
    let run (study: IStudy) =
        let rs = runs study

        Telescope.Frames.TidyFrames.FromRuns(
            rs
            |> List.map (fun (k, obs, _) ->
                struct (k, (ResizeArray obs :> System.Collections.Generic.IReadOnlyList<_>))),
            columns = study.ParameterNames
        )

    // ---- the catalog: every study that is a catalog entry, by name, with the CLI's parameter names ----

    /// The names of the catalog's studies (`telescope study NAME`).
    let list () =
        Telescope.Experiments.Studies.StudyCatalog.All
        |> Seq.map (fun d -> d.Name)
        |> List.ofSeq

    /// The catalog entry named `name` (a `ParameterException` lists the names when there is none).
    let definition (name: string) =
        Telescope.Experiments.Studies.StudyCatalog.Find name

    /// A study's parameters: name (the CLI's `--name`), kind, default (as text) and help.
    let parametersOf (name: string) =
        (definition name).Parameters
        |> Seq.map (fun p -> p.Name, p.Kind, p.DefaultText, p.Description)
        |> List.ofSeq

    let private pairs (values: (string * string) list) =
        values |> List.map (fun (k, v) -> System.Collections.Generic.KeyValuePair(k, v))

    /// The study configured by `values` (parameter name, value as text, as on the command line:
    /// `["steps", "40"; "lr", "0.01,0.1"]`), validated; no data is loaded.
    let plan (name: string) (values: (string * string) list) = (definition name).Plan(pairs values)

    /// What `telescope study NAME --dry-run` answers: `N runs × T steps`.
    let dryRun (name: string) (values: (string * string) list) = (plan name values).Size

    /// Run a catalog study in memory and return its tidy frame.
    let runNamed (name: string) (values: (string * string) list) = run (plan name values).Study

    /// Run a catalog study to `dir` as `telescope study` does (streamed tables, run.json, checkpoints every
    /// `checkpointEvery` steps), without its figure; with `resume`, reuse finished runs and continue
    /// interrupted ones. Threads and parallel runs follow the library's default plan
    /// (`ThreadPlan.For`: one thread per run and as many runs at once as cores on a multi-run study).
    /// Returns the outcome (table path, manifest, run statuses).
    let toDisk (dir: string) (checkpointEvery: int) (resume: bool) (name: string) (values: (string * string) list) =
        let p = plan name values
        let threadPlan = Telescope.Experiments.Hosting.ThreadPlan.For(p.Study)
        let threads = Telescope.Native.TorchRuntime.SetThreads threadPlan.Threads

        Telescope.Experiments.Hosting.StudyRunner.Run(
            p.Study,
            dir,
            threads,
            p.Seeds,
            options = Telescope.Experiments.Hosting.RunOptions(checkpointEvery, resume, threadPlan.Parallel)
        )
