module Telescope.FSharp.Tests.Fixtures

open System.Collections.Generic
open Telescope

/// A run key with the given hyper-parameters.
let key (run: string) (seed: int64) (parameters: (string * string) list) =
    RunKey("toy", run, seed, parameters |> List.map KeyValuePair |> ResizeArray)

/// One observation of `quantity` at `step` on `split`.
let obs (quantity: string) (step: float) (split: string) (value: float) =
    Observation(quantity, value, System.Nullable step, split)

/// A temporary folder, deleted on dispose.
type TempDir() =
    let path =
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), "telescope-fs-" + System.Guid.NewGuid().ToString("N"))

    do System.IO.Directory.CreateDirectory path |> ignore
    member _.Path = path
    member _.File(name: string) = System.IO.Path.Combine(path, name)

    interface System.IDisposable with
        member _.Dispose() =
            try
                System.IO.Directory.Delete(path, true)
            with _ ->
                ()
