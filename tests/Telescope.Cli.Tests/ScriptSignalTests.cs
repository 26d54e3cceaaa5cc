using System.Diagnostics;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// <c>telescope script</c> never leaves a process behind and never dies with its script: SIGINT and SIGTERM are
/// passed on to the process that runs the script (<c>dotnet fsi</c>, or a child <c>telescope</c> for a <c>.csx</c>),
/// waited for, and the command exits 130; a <c>.csx</c> whose recursion overflows the stack is one line and exit 1.
/// </summary>
public sealed class ScriptSignalTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-script-signal");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private static readonly string Telescope = Path.Combine(
        AppContext.BaseDirectory,
        "telescope.dll"
    );

    private string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    /// <summary>The live descendants of <paramref name="pid"/> (from /proc).</summary>
    private static List<int> Descendants(int pid)
    {
        var parent = new Dictionary<int, int>();
        foreach (var d in Directory.GetDirectories("/proc"))
            if (int.TryParse(Path.GetFileName(d), out var p))
                try
                {
                    var stat = File.ReadAllText(Path.Combine(d, "stat"));
                    var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    if (rest[0] != "Z")
                        parent[p] = int.Parse(rest[1]);
                }
                catch (IOException) { }
        var found = new List<int>();
        var todo = new Queue<int>([pid]);
        while (todo.Count > 0)
        {
            var x = todo.Dequeue();
            foreach (var (c, pp) in parent)
                if (pp == x)
                {
                    found.Add(c);
                    todo.Enqueue(c);
                }
        }
        return found;
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    // SIGINT is not tested here: a test host started in the background of a non-interactive shell (as CI runs it)
    // inherits SIGINT ignored, and .NET keeps it so for every process it starts; the forwarding code is the same.
    [Theory]
    [InlineData("fsx", "TERM")]
    [InlineData("csx", "TERM")]
    public void ASignalIsPassedOnWaitedForAndExits130(string ext, string signal)
    {
        var script = Write(
            "sleep." + ext,
            ext == "fsx"
                ? "printfn \"started\"\nSystem.Threading.Thread.Sleep 120000\n"
                : "Console.WriteLine(\"started\");\nSystem.Threading.Thread.Sleep(120000);\n"
        );
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { Telescope, "script", script })
            psi.ArgumentList.Add(a);
        psi.Environment["CI"] = "true";
        using var p = Process.Start(psi)!;
        var started = new TaskCompletionSource();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data == "started")
                started.TrySetResult();
        };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        Assert.True(started.Task.Wait(TimeSpan.FromMinutes(4)), "the script did not start");
        var children = Descendants(p.Id);
        Assert.NotEmpty(children);
        using (var kill = Process.Start("kill", ["-" + signal, p.Id.ToString()]))
            kill.WaitForExit();
        Assert.True(p.WaitForExit(TimeSpan.FromSeconds(60)), "telescope script did not end");
        p.WaitForExit();
        Assert.Equal(130, p.ExitCode);
        var sw = Stopwatch.StartNew();
        while (children.Any(Alive) && sw.Elapsed < TimeSpan.FromSeconds(5))
            Thread.Sleep(50);
        var orphans = children.Where(Alive).ToList();
        foreach (var o in orphans)
            try
            {
                Process.GetProcessById(o).Kill(true); // clean up what the failure left
            }
            catch (ArgumentException) { }
        Assert.True(orphans.Count == 0, $"left running: {string.Join(", ", orphans)}");
    }

    [Fact]
    public void ACsxStackOverflowIsOneLineAndExitOne()
    {
        var script = Write(
            "deep.csx",
            "int Depth(int n) => Depth(n + 1) + 1;\nConsole.WriteLine(Depth(0));\n"
        );
        var (code, stdout, stderr) = Repo.Exec("dotnet", [Telescope, "script", script], 300_000);
        Assert.True(code == 1, $"exit {code}: {stderr[..Math.Min(stderr.Length, 400)]}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.Contains("deep.csx overflowed the stack", lines[0]);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void ACsxStillSeesItsArgumentsAndExitCodeOutOfProcess()
    {
        var ok = Write("args.csx", "Console.WriteLine(string.Join('|', Args));");
        var (code, stdout, stderr) = Repo.Exec(
            "dotnet",
            [Telescope, "script", ok, "a", "--b", "c"],
            300_000
        );
        Assert.True(code == 0, stderr);
        Assert.Equal("a|--b|c", stdout.Trim());
        var bad = Write("throw.csx", "\nthrow new InvalidOperationException(\"nope\");\n");
        (code, _, stderr) = Repo.Exec("dotnet", [Telescope, "script", bad], 300_000);
        Assert.Equal(1, code);
        Assert.Contains("throw.csx:2", stderr);
    }
}
