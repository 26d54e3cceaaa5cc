namespace Telescope.FSharp

open System.Collections.Generic
open Telescope.Experiments.Sweeps

/// Sweeps over a catalog study with the CLI's parameter names: a grid of values × seeds, each point an
/// independent job with its own folder, merged into one tidy table (`telescope sweep` from F#).
[<RequireQualifiedAccess>]
module Sweep =

    let private pairs (values: (string * string) list) =
        values |> List.map (fun (k, v) -> KeyValuePair(k, v))

    /// A sweep named `name` of catalog study `study`: fixed `values` and a `grid` (parameter name, values; the
    /// last name varies fastest), every grid point run with each of `seeds`; one thread per job.
    let define
        (name: string)
        (study: string)
        (values: (string * string) list)
        (grid: (string * string list) list)
        (seeds: int64 list)
        =
        SweepSpec(
            name,
            study,
            pairs values,
            grid |> List.map (fun (k, vs) -> KeyValuePair(k, Array.ofList vs)),
            List.toArray seeds
        )

    /// Read a sweep file (`scripts/sweeps/example.json`), validated through the catalog.
    let load (path: string) = SweepFile.Load path

    /// The jobs of a sweep, each as (id, grid point), after the catalog has validated every one of them (a
    /// `SweepException` names every problem); nothing runs and no data is loaded.
    let plan (spec: SweepSpec) =
        match List.ofSeq (spec.Problems()) with
        | [] ->
            [
                for j in spec.Jobs() -> j.Id, [ for kv in j.Values -> kv.Key, kv.Value ] @ [ "seed", string j.Seed ]
            ]
        | problems -> raise (SweepException(String.concat "; " problems))

    /// Run the sweep in this process into `dir` (jobs one after another, each resumed: finished jobs are reused)
    /// and merge the tables; returns the outcome (jobs, incomplete jobs, merged table path).
    let run (dir: string) (spec: SweepSpec) =
        SweepRunner.Run(spec, dir, InProcessExecutor())
