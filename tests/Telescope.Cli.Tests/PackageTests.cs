using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// A local feed packed by <c>scripts/pack.sh</c> from a copy of the sources, under a unique prerelease
/// version (so no package cache can serve an older build under the same number), and the hosts a user
/// reaches it from: an F# script with <c>#r "nuget:"</c>, a fresh console project, the installed tool.
/// Every host works in its own fresh temporary folder outside the repository.
/// </summary>
public sealed class LocalFeed : IDisposable
{
    public string Root { get; } = Repo.TempDir("telescope-feed");
    public string Feed => Path.Combine(Root, "feed");
    public string Version { get; } =
        $"0.1.0-ci.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    /// <summary>A folder holding a broken libtorch: every host must explain it in one line and exit 3.</summary>
    public string Broken { get; }

    private readonly Lazy<string> _console;
    private readonly Lazy<string> _tool;

    public LocalFeed()
    {
        var src = Path.Combine(Root, "src-copy");
        CopySources(Repo.Root, src);
        var (code, o, e) = Repo.Exec(
            "bash",
            [Path.Combine(src, "scripts", "pack.sh"), Feed, Version]
        );
        Assert.True(code == 0, $"scripts/pack.sh exited {code}:\n{o}\n{e}");
        Directory.Delete(src, true);
        Broken = Path.Combine(Root, "broken");
        Directory.CreateDirectory(Broken);
        foreach (var lib in new[] { "libtorch_cpu.so", "libLibTorchSharp.so" })
            File.WriteAllText(Path.Combine(Broken, lib), "not a shared library\n");
        _console = new(BuildConsoleApp);
        _tool = new(InstallTool);
    }

    /// <summary>A nuget.config naming only the local feed and the usual registry (for TorchSharp, Deedle, …).</summary>
    public void WriteNugetConfig(string dir) =>
        File.WriteAllText(
            Path.Combine(dir, "nuget.config"),
            $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="telescope-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """
        );

    /// <summary>The console app's DLL: <c>dotnet new console</c>, <c>dotnet add package Telescope.Analytics</c>, a program that trains.</summary>
    public string ConsoleApp => _console.Value;

    /// <summary>The installed <c>telescope</c> executable (<c>dotnet tool install --tool-path</c>).</summary>
    public string Tool => _tool.Value;

    private string BuildConsoleApp()
    {
        var dir = Path.Combine(Root, "console");
        Directory.CreateDirectory(dir);
        Ok(
            Repo.Exec("dotnet", ["new", "console", "-n", "App", "-o", dir], cwd: dir),
            "dotnet new console"
        );
        WriteNugetConfig(dir);
        Ok(
            Repo.Exec(
                "dotnet",
                ["add", "package", "Telescope.Analytics", "--version", Version],
                cwd: dir
            ),
            "dotnet add package"
        );
        File.WriteAllText(
            Path.Combine(dir, "Program.cs"),
            """
            using Telescope;
            using Telescope.Data;
            using Telescope.Models;
            using Telescope.Native;
            using Telescope.Optim;
            using Telescope.Telescoping;
            using Telescope.Training;

            var (train, test) = BinaryDigits.Synthetic(train: 100, test: 50);
            using var net = new ModelSpec(ModelKind.Mlp, [16])
                .Build(train.Shape, train.Outputs, 0, TorchSharp.torch.ScalarType.Float64, TorchRuntime.Device("cpu"));
            var sink = new ObservationList();
            var cfg = new TrajectoryConfig(20, 50, LossKind.Squared, new OptimizerSpec(OptimizerKind.Sgd, 0.1), 0);
            var result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink);
            var tel = sink.Items.Count(o => o.Quantity == "telescoping_error");
            Console.WriteLine($"rows={sink.Items.Count} telescoping_error_rows={tel} ok={result.Succeeded}");
            """
        );
        Ok(Repo.Exec("dotnet", ["build", "-c", "Release", "-v", "q"], cwd: dir), "dotnet build");
        return Path.Combine(dir, "bin", "Release", "net10.0", "App.dll");
    }

    private string InstallTool()
    {
        var tools = Path.Combine(Root, "tools");
        Ok(
            Repo.Exec(
                "dotnet",
                [
                    "tool",
                    "install",
                    "--tool-path",
                    tools,
                    "telescope",
                    "--version",
                    Version,
                    "--add-source",
                    Feed,
                ]
            ),
            "dotnet tool install"
        );
        return Path.Combine(tools, "telescope");
    }

    private static void Ok((int code, string stdout, string stderr) r, string what) =>
        Assert.True(r.code == 0, $"{what} exited {r.code}:\n{r.stdout}\n{r.stderr}");

    private static void CopySources(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in new[] { "Directory.Build.props", "README.md", "LICENSE" })
            File.Copy(Path.Combine(from, f), Path.Combine(to, f));
        CopyTree(Path.Combine(from, "src"), Path.Combine(to, "src"));
        CopyTree(Path.Combine(from, "scripts"), Path.Combine(to, "scripts"));
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from))
            if (Path.GetFileName(d) is not ("bin" or "obj"))
                CopyTree(d, Path.Combine(to, Path.GetFileName(d)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, true);
        }
        catch (IOException) { }
        // the unique prerelease must not pile up in the package cache
        var cache = Repo.NugetCache;
        foreach (
            var id in Directory.Exists(cache) ? Directory.GetDirectories(cache, "telescope*") : []
        )
        {
            var v = Path.Combine(id, Version.ToLowerInvariant());
            if (Directory.Exists(v))
                Directory.Delete(v, true);
        }
    }
}

/// <summary>The library as packages and a tool, used as a new user would (issue: library everywhere).</summary>
public sealed class PackageTests(LocalFeed feed) : IClassFixture<LocalFeed>
{
    private static string TrainFsx(string feedDir, string version) =>
        $$"""
            #i "nuget: {{feedDir}}"
            #r "nuget: Telescope.Analytics, {{version}}"
            open Telescope.FSharp
            let data = Data.synthetic 0L 100 50
            let run =
                Train.defaults (Model.mlp [ 16 ]) (Optimizer.sgd 0.1)
                |> Train.withSteps 20
                |> Train.withBatch 50
                |> Train.run data
            let tel = run.Observations |> List.filter (fun o -> o.Quantity = "telescoping_error") |> List.length
            printfn "rows=%d telescoping_error_rows=%d failed=%b" run.Observations.Length tel (Train.tryFailure run).IsSome
            """;

    private string WriteFsx()
    {
        var dir = Repo.TempDir("telescope-fsx");
        var file = Path.Combine(dir, "train.fsx");
        File.WriteAllText(file, TrainFsx(feed.Feed, feed.Version));
        return file;
    }

    private static void Trained(int code, string stdout, string stderr, string host)
    {
        Assert.True(code == 0, $"{host} exited {code}:\n{stdout}\n{stderr}");
        var line = stdout.Split('\n').Single(l => l.StartsWith("rows=", StringComparison.Ordinal));
        var rows = int.Parse(line.Split(' ')[0]["rows=".Length..]);
        var tel = int.Parse(line.Split(' ')[1]["telescoping_error_rows=".Length..]);
        Assert.True(rows > 100 && tel > 0, $"{host}: {line}");
        Assert.DoesNotContain("failed=true", line);
    }

    [Fact]
    public void AnFsxWithNugetReferencesTrainsAnMlpAndRecordsItsTrajectory()
    {
        var fsx = WriteFsx();
        var (code, o, e) = Repo.Fsi(fsx, [], cwd: Path.GetDirectoryName(fsx));
        Trained(code, o, e, "dotnet fsi with #r \"nuget: Telescope.Analytics\"");
        NoConsolidatedCopies();
    }

    [Fact]
    public void AFreshConsoleProjectWithThePackageTrainsAnMlp()
    {
        var (code, o, e) = Repo.Exec("dotnet", [feed.ConsoleApp]);
        Trained(code, o, e, "console app with Telescope.Analytics");
        Assert.False(
            Directory.Exists(Path.Combine(Path.GetDirectoryName(feed.ConsoleApp)!, "cpu")),
            "TorchSharp fell back to copying libtorch into bin/…/cpu"
        );
    }

    [Fact]
    public void TheInstalledToolRunsTheMainStudy()
    {
        var out_ = Repo.TempDir("telescope-tool-out");
        var (code, o, e) = Repo.Exec(
            feed.Tool,
            ["study", "approximation", "--steps", "20", "--out", out_],
            cwd: out_
        );
        Assert.True(code == 0, $"telescope (tool) exited {code}:\n{o}\n{e}");
        foreach (var f in new[] { "approximation.csv", "approximation.html", "run.json" })
            Assert.True(File.Exists(Path.Combine(out_, f)), $"the tool did not write {f}");
        Directory.Delete(out_, true);
    }

    public static TheoryData<string> Hosts =>
        new("cli", "tool", "fsi-built", "fsi-nuget", "console");

    /// <summary>With libtorch deliberately unloadable, every host prints one line naming the dlopen reason, and exits 3.</summary>
    [Xunit.Theory]
    [MemberData(nameof(Hosts))]
    public void AnUnloadableNativeLibraryIsOneLineAndExitCode3(string host)
    {
        var env = new Dictionary<string, string> { ["TELESCOPE_LIBTORCH_DIR"] = feed.Broken };
        var scratch = Repo.TempDir("telescope-native-fail");
        string[] study =
        [
            "study",
            "approximation",
            "--steps",
            "2",
            "--dataset",
            "synthetic",
            "--out",
            Path.Combine(scratch, "out"),
        ];
        var (code, _, e) = host switch
        {
            "cli" => Repo.Exec(
                "dotnet",
                [
                    Repo.Path_(
                        "src",
                        "Telescope.Cli",
                        "bin",
                        "Release",
                        "net10.0",
                        "telescope.dll"
                    ),
                    .. study,
                ],
                env: env
            ),
            "tool" => Repo.Exec(feed.Tool, study, env: env),
            "fsi-built" => Repo.Fsi(
                Repo.Path_("analysis", "approximation.fsx"),
                ["--steps", "1", "--out", Path.Combine(scratch, "out")],
                env: env
            ),
            "fsi-nuget" => Repo.Fsi(WriteFsx(), [], env: env),
            "console" => Repo.Exec("dotnet", [feed.ConsoleApp], env: env),
            _ => throw new ArgumentException(host),
        };
        var lines = e.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 3, $"{host} exited {code}, expected 3:\n{e}");
        Assert.True(lines.Length == 1, $"{host} printed {lines.Length} lines on stderr:\n{e}");
        Assert.Contains("dlopen", lines[0]);
        Assert.Contains(Path.Combine(feed.Broken, "libtorch_cpu.so"), lines[0]);
        Assert.Contains("file too short", lines[0]); // the dynamic loader's own reason
        Assert.Contains("Fix:", lines[0]);
        Directory.Delete(scratch, true);
    }

    private static void NoConsolidatedCopies()
    {
        var cache = Repo.NugetCache;
        var ts = Path.Combine(cache, "torchsharp");
        if (!Directory.Exists(ts))
            return;
        var copies = Directory.GetDirectories(ts, "cpu", SearchOption.AllDirectories);
        Assert.True(
            copies.Length == 0,
            $"TorchSharp copied libtorch into {string.Join(", ", copies)}"
        );
    }
}
