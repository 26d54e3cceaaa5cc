namespace Telescope.FSharp

open System.Threading
open Telescope
open Telescope.Studies

/// The library's studies (`IStudy`: a named grid of runs) run in memory, each returned as one tidy
/// frame. For long studies prefer the command line (`telescope study …`), which streams to disk.
[<RequireQualifiedAccess>]
module Study =

    /// The approximation-quality study (paper Figs 2, 7, 8) for a configuration; for example
    /// `ApproximationConfig(Steps = 100, TrainSize = 200, TestSize = 200)`.
    let approximation (config: ApproximationConfig) : IStudy = ApproximationStudy(config) :> IStudy

    /// The study's swept hyper-parameter columns.
    let parameters (study: IStudy) = List.ofSeq study.ParameterNames

    /// Run every run of the study in order; returns each run's key, observations and failure (if any).
    let runs (study: IStudy) =
        Telescope.Native.TorchRuntime.EnsureLoaded()

        [
            for r in study.Runs() do
                let sink = ObservationList()
                let result = r.Run.Invoke(RunContext(sink, (fun _ -> ()), CancellationToken.None))
                yield r.Key, List.ofSeq sink.Items, Option.ofObj result.Failure
        ]

    /// Run the study and return its tidy frame (same columns as `telescope study`'s CSV).
    let run (study: IStudy) =
        let rs = runs study

        Telescope.Frames.TidyFrames.FromRuns(
            rs
            |> List.map (fun (k, obs, _) ->
                struct (k, (ResizeArray obs :> System.Collections.Generic.IReadOnlyList<_>)))
        )
