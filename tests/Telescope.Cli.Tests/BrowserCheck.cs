using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Telescope.Cli.Tests;

/// <summary>What a page did in headless Chromium.</summary>
/// <param name="ConsoleErrors">SEVERE browser-log entries (console.error, uncaught exceptions, failed loads).</param>
/// <param name="Requests">Every network URL (http, https, ws, wss, ftp) or other local file the page asked for.</param>
/// <param name="Figures">Elements with class <c>figure</c> (one per figure the page meant to draw).</param>
/// <param name="RenderedFigures">Figures holding a rendered plot (<c>.js-plotly-plot .main-svg</c>).</param>
/// <param name="Screenshot">The full-page PNG.</param>
public sealed record PageReport(
    IReadOnlyList<string> ConsoleErrors,
    IReadOnlyList<string> Requests,
    int Figures,
    int RenderedFigures,
    byte[] Screenshot
);

/// <summary>
/// Opens a local HTML file in Debian's headless Chromium through chromedriver (W3C WebDriver over
/// loopback HTTP, with <c>goog:loggingPrefs</c> for the browser and performance logs), waits for the
/// plots, and reports console errors, network requests, rendered figures and a full-page screenshot.
/// Host resolution is mapped to nothing (<c>--host-resolver-rules</c>), so a page that tries the
/// network is recorded as trying and nothing leaves the machine.
/// </summary>
public static class BrowserCheck
{
    public const string Chromium = "/usr/bin/chromium";
    public const string Driver = "/usr/bin/chromedriver";

    /// <summary>Install chromium + chromedriver with scripts/install-browser.sh when missing; throws when that fails.</summary>
    public static void EnsureInstalled()
    {
        if (File.Exists(Chromium) && File.Exists(Driver))
            return;
        var (code, stdout, stderr) = Repo.Exec(
            "bash",
            [Repo.Path_("scripts", "install-browser.sh")],
            900_000
        );
        if (code != 0 || !File.Exists(Chromium) || !File.Exists(Driver))
            throw new InvalidOperationException(
                $"scripts/install-browser.sh could not install chromium and chromium-driver (exit {code}):\n{stdout}\n{stderr}"
            );
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    /// <summary>Open <paramref name="htmlPath"/> and report what happened.</summary>
    public static PageReport Open(
        string htmlPath,
        int width = 1200,
        int height = 900,
        int settleMs = 20_000
    )
    {
        EnsureInstalled();
        int port = FreePort();
        var profile = Repo.TempDir("telescope-chromium");
        var psi = new ProcessStartInfo(Driver)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add($"--port={port}");
        psi.ArgumentList.Add("--allowed-ips=127.0.0.1");
        using var driver = Process.Start(psi)!;
        driver.StandardOutput.ReadToEndAsync();
        driver.StandardError.ReadToEndAsync();
        using var http = new HttpClient
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}/"),
            Timeout = TimeSpan.FromSeconds(120),
        };
        string? session = null;
        try
        {
            WaitReady(http);
            var caps = new JsonObject
            {
                ["capabilities"] = new JsonObject
                {
                    ["alwaysMatch"] = new JsonObject
                    {
                        ["browserName"] = "chrome",
                        ["goog:chromeOptions"] = new JsonObject
                        {
                            ["binary"] = Chromium,
                            ["args"] = new JsonArray([
                                .. new[]
                                {
                                    "--headless",
                                    "--no-sandbox",
                                    "--disable-gpu",
                                    "--disable-dev-shm-usage",
                                    "--disable-quic",
                                    "--no-first-run",
                                    "--disable-background-networking",
                                    "--disable-component-update",
                                    "--disable-sync",
                                    "--disable-extensions",
                                    "--host-resolver-rules=MAP * ~NOTFOUND",
                                    $"--user-data-dir={profile}",
                                    $"--window-size={width},{height}",
                                }.Select(a => (JsonNode)a!),
                            ]),
                        },
                        ["goog:loggingPrefs"] = new JsonObject
                        {
                            ["browser"] = "ALL",
                            ["performance"] = "ALL",
                        },
                    },
                },
            };
            var created = Post(http, "session", caps);
            session = created["value"]!["sessionId"]!.GetValue<string>();
            var url = new Uri(Path.GetFullPath(htmlPath)).AbsoluteUri;
            Post(http, $"session/{session}/url", new JsonObject { ["url"] = url });

            // wait until every figure has a rendered plot, or the time is up
            const string countScript = """
                const figs = Array.from(document.querySelectorAll('.figure'));
                const done = figs.filter(f => f.querySelector('.js-plotly-plot .main-svg')).length;
                return [document.readyState, figs.length, done];
                """;
            int figures = 0,
                rendered = 0;
            var sw = Stopwatch.StartNew();
            while (true)
            {
                var v = Post(
                    http,
                    $"session/{session}/execute/sync",
                    new JsonObject { ["script"] = countScript, ["args"] = new JsonArray() }
                )["value"]!.AsArray();
                figures = v[1]!.GetValue<int>();
                rendered = v[2]!.GetValue<int>();
                if (
                    (v[0]!.GetValue<string>() == "complete" && rendered == figures)
                    || sw.ElapsedMilliseconds > settleMs
                )
                    break;
                Thread.Sleep(250);
            }

            var browserLog = Logs(http, session, "browser");
            var errors = browserLog
                .Where(e => e["level"]?.GetValue<string>() == "SEVERE")
                .Select(e => e["message"]?.GetValue<string>() ?? "")
                .ToList();
            var requests = new List<string>();
            foreach (var e in Logs(http, session, "performance"))
            {
                var msg = JsonNode.Parse(e["message"]!.GetValue<string>())!["message"]!;
                if (msg["method"]?.GetValue<string>() != "Network.requestWillBeSent")
                    continue;
                var u = msg["params"]!["request"]!["url"]!.GetValue<string>();
                if (IsNetworkOrOtherFile(u, url))
                    requests.Add(u);
            }

            // full page: CDP through chromedriver
            var metrics = Post(
                http,
                $"session/{session}/goog/cdp/execute",
                new JsonObject { ["cmd"] = "Page.getLayoutMetrics", ["params"] = new JsonObject() }
            )["value"]!;
            var content = metrics["cssContentSize"] ?? metrics["contentSize"]!;
            double w = content["width"]!.GetValue<double>(),
                h = Math.Min(content["height"]!.GetValue<double>(), 16000);
            var shot = Post(
                http,
                $"session/{session}/goog/cdp/execute",
                new JsonObject
                {
                    ["cmd"] = "Page.captureScreenshot",
                    ["params"] = new JsonObject
                    {
                        ["format"] = "png",
                        ["captureBeyondViewport"] = true,
                        ["clip"] = new JsonObject
                        {
                            ["x"] = 0,
                            ["y"] = 0,
                            ["width"] = w,
                            ["height"] = h,
                            ["scale"] = 1,
                        },
                    },
                }
            );
            var png = Convert.FromBase64String(shot["value"]!["data"]!.GetValue<string>());
            return new PageReport(errors, requests, figures, rendered, png);
        }
        finally
        {
            if (session is not null)
                try
                {
                    http.DeleteAsync($"session/{session}").GetAwaiter().GetResult();
                }
                catch (HttpRequestException) { }
            try
            {
                driver.Kill(true);
            }
            catch (InvalidOperationException) { }
            try
            {
                Directory.Delete(profile, true);
            }
            catch (IOException) { }
        }
    }

    /// <summary>
    /// Whether a requested URL leaves the page: any http(s)/ws(s)/ftp URL, or a file other than the
    /// page itself. The browser's own pages (chrome://, devtools://) and inline data:/blob:/about: URLs
    /// are not network.
    /// </summary>
    public static bool IsNetworkOrOtherFile(string requested, string page)
    {
        if (!Uri.TryCreate(requested, UriKind.Absolute, out var u))
            return true;
        return u.Scheme switch
        {
            "http" or "https" or "ws" or "wss" or "ftp" => true,
            "file" => requested != page,
            _ => false,
        };
    }

    private static void WaitReady(HttpClient http)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var s = http.GetFromJsonAsync<JsonObject>("status").GetAwaiter().GetResult();
                if (s?["value"]?["ready"]?.GetValue<bool>() == true)
                    return;
            }
            catch (HttpRequestException) { }
            if (sw.ElapsedMilliseconds > 30_000)
                throw new TimeoutException("chromedriver did not become ready in 30 s");
            Thread.Sleep(100);
        }
    }

    private static JsonNode Post(HttpClient http, string path, JsonNode body)
    {
        var resp = http.PostAsync(
                path,
                new StringContent(
                    body.ToJsonString(),
                    System.Text.Encoding.UTF8,
                    "application/json"
                )
            )
            .GetAwaiter()
            .GetResult();
        var text = resp.Content.ReadAsStringAsync().GetAwaiter().GetResult();
        if (!resp.IsSuccessStatusCode)
            throw new InvalidOperationException($"WebDriver {path}: {(int)resp.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static IReadOnlyList<JsonNode> Logs(HttpClient http, string session, string type)
    {
        foreach (var endpoint in new[] { $"session/{session}/se/log", $"session/{session}/log" })
        {
            try
            {
                var v = Post(http, endpoint, new JsonObject { ["type"] = type })["value"];
                if (v is JsonArray a)
                    return a.Where(x => x is not null).Select(x => x!).ToList();
            }
            catch (InvalidOperationException) { }
        }
        throw new InvalidOperationException($"chromedriver returned no '{type}' log");
    }
}
