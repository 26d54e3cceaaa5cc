namespace Telescope.Plots

open System
open System.Diagnostics
open System.IO

/// Static PNG copies of HTML figures through headless Chromium (Debian's `chromium`; install it with
/// `scripts/install-browser.sh`). Offline: the page loads plotly.js from its folder and Chromium is
/// started with networking features off. Where no Chromium is installed, `tryPng` returns `None` and
/// the HTML remains the figure.
[<RequireQualifiedAccess>]
module Snapshot =

    /// The Chromium executable: `$TELESCOPE_CHROMIUM`, else the first of /usr/bin/chromium,
    /// /usr/bin/chromium-browser, /usr/bin/google-chrome that exists.
    let tryChromium () =
        [
            Environment.GetEnvironmentVariable "TELESCOPE_CHROMIUM"
            "/usr/bin/chromium"
            "/usr/bin/chromium-browser"
            "/usr/bin/google-chrome"
        ]
        |> List.tryFind (fun p -> not (String.IsNullOrEmpty p) && File.Exists p)

    /// Flags for a headless, offline, throw-away Chromium (safe as root in CI).
    let headlessFlags (userDataDir: string) =
        [
            "--headless"
            "--no-sandbox"
            "--disable-gpu"
            "--disable-dev-shm-usage"
            "--disable-quic"
            "--no-first-run"
            "--disable-background-networking"
            "--disable-component-update"
            "--disable-sync"
            "--disable-extensions"
            "--hide-scrollbars"
            sprintf "--user-data-dir=%s" userDataDir
        ]

    /// Render `html` to `png` (width × height pixels, after up to 10 s of page time). `Some png` when
    /// the file was written, `None` when no Chromium is installed or it failed.
    let tryPngSized (width: int) (height: int) (html: string) (png: string) =
        match tryChromium () with
        | None -> None
        | Some chromium ->
            let profile =
                Path.Combine(Path.GetTempPath(), "telescope-chromium-" + Guid.NewGuid().ToString("N"))

            Directory.CreateDirectory profile |> ignore
            let png = Path.GetFullPath png
            Directory.CreateDirectory(Path.GetDirectoryName png) |> ignore

            if File.Exists png then
                File.Delete png

            let psi = ProcessStartInfo(chromium)

            for a in
                headlessFlags profile
                @ [
                    sprintf "--window-size=%d,%d" width height
                    "--virtual-time-budget=10000"
                    sprintf "--screenshot=%s" png
                    Uri(Path.GetFullPath html).AbsoluteUri
                ] do
                psi.ArgumentList.Add a

            psi.RedirectStandardError <- true
            psi.RedirectStandardOutput <- true

            try
                try
                    use p = Process.Start psi
                    p.StandardError.ReadToEndAsync() |> ignore
                    p.StandardOutput.ReadToEndAsync() |> ignore

                    if not (p.WaitForExit 60000) then
                        p.Kill true

                    if File.Exists png && FileInfo(png).Length > 0L then
                        Some png
                    else
                        None
                with _ ->
                    None
            finally
                try
                    Directory.Delete(profile, true)
                with _ ->
                    ()

    /// Render `html` to `png` at 1000 × 750 pixels (one figure with its title); `None` when no
    /// Chromium is installed.
    let tryPng (html: string) (png: string) = tryPngSized 1000 750 html png
