// The redraw scripts' shared run header (`#load "Redraw.fsx"`): the library through ../prelude.fsx, and the
// configuration every redraw has — the tidy table it reads (the script's first argument, else the study's default
// out/<study>/<study>.csv under the repository) and the page it writes beside that table.
#load "../prelude.fsx"

open System.IO

/// Run header and configuration (written into the output page).
type Config = { Table: string; Html: string }

/// The configuration of a redraw of <c>study</c>'s table into the page <c>page</c> (a file name).
let config (study: string) (page: string) =
    let table =
        match fsi.CommandLineArgs |> Array.tryItem 1 with
        | Some t -> Path.GetFullPath t
        | None -> Path.GetFullPath(Path.Combine(__SOURCE_DIRECTORY__, "..", "..", "out", study, study + ".csv"))

    { Table = table; Html = Path.Combine(Path.GetDirectoryName table, page) }
