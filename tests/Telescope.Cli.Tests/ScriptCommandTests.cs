using Telescope.Cli.Commands;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary><c>telescope script</c>: scripts see the library; failures name the file and line and exit non-zero.</summary>
public sealed class ScriptCommandTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-script");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private string Write(string name, string text)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllText(p, text);
        return p;
    }

    private static (int code, string stdout, string stderr) Run(string path, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = ScriptCommand.Run(path, args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    [Fact]
    public void Csx_sees_the_library_with_its_namespaces_and_its_arguments()
    {
        var p = Write(
            "ok.csx",
            """
            var key = new RunKey("toy", "r", 1, [new("lr", "0.1")]);
            var frame = TidyFrames.FromObservations(key, [new Observation("loss", 2.5, 1), new Observation("loss", 3.5, 1)]);
            var dir = OutDir("ok");
            TidyFrames.SaveCsv(frame, Path.Combine(dir, "t.csv"));
            Console.WriteLine($"rows={frame.RowCount} steps={Option("--steps", 7)} name={Option("--name", "x")}");
            """
        );
        var outDir = Path.Combine(_dir, "out");
        var (code, stdout, stderr) = Run(p, "--steps", "12", "--out", outDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("rows=2 steps=12 name=x", stdout);
        Assert.True(File.Exists(Path.Combine(outDir, "t.csv")));
    }

    [Fact]
    public void Csx_compile_error_names_file_line_and_column()
    {
        var p = Write("bad.csx", "var x = 1;\nvar y = x +;\n");
        var (code, _, stderr) = Run(p);
        Assert.Equal(1, code);
        Assert.Contains("bad.csx(2,", stderr);
        Assert.Contains("error CS", stderr);
    }

    [Fact]
    public void Csx_runtime_error_names_file_and_line()
    {
        var p = Write(
            "boom.csx",
            "var x = 1;\n\nthrow new InvalidOperationException(\"boom\" + x);\n"
        );
        var (code, _, stderr) = Run(p);
        Assert.Equal(1, code);
        Assert.Contains("boom.csx:3: System.InvalidOperationException: boom1", stderr);
    }

    [Fact]
    public void Fsx_runs_in_fsi_with_the_library_on_the_search_path()
    {
        var p = Write(
            "ok.fsx",
            """
            #r "Telescope.Schema.dll"
            #r "Deedle.dll"
            #r "Telescope.Frames.dll"
            let k = Telescope.RunKey("toy", "r", 1L, ResizeArray [ System.Collections.Generic.KeyValuePair("lr", "0.1") ])
            let f = Telescope.Frames.TidyFrames.FromObservations(k, [ Telescope.Observation("loss", 2.0) ])
            printfn "rows=%d args=%A" f.RowCount (fsi.CommandLineArgs |> Array.skip 1)
            """
        );
        var (code, stdout, stderr) = Run(p, "--steps", "3");
        Assert.True(code == 0, stderr);
        Assert.Contains("rows=1 args=[|\"--steps\"; \"3\"|]", stdout);
    }

    [Fact]
    public void Fsx_compile_error_names_file_line_and_column()
    {
        var p = Write("bad.fsx", "let x = 1\nlet y = x + \"a\"\n");
        var (code, _, stderr) = Run(p);
        Assert.Equal(1, code);
        Assert.Contains("bad.fsx(2,", stderr);
        Assert.Contains("telescope: bad.fsx: compile error", stderr);
    }

    [Fact]
    public void Fsx_runtime_error_names_file_and_line()
    {
        var p = Write("boom.fsx", "let f () : unit = failwith \"boom\"\n\nf ()\n");
        var (code, _, stderr) = Run(p);
        Assert.Equal(1, code);
        Assert.Contains("boom.fsx:line 3", stderr);
        Assert.Contains("telescope: boom.fsx failed at", stderr);
    }

    [Fact]
    public void Missing_or_unknown_script_is_a_usage_error()
    {
        Assert.Equal(2, TelescopeCli.Run(["script", Path.Combine(_dir, "nope.fsx")]));
        var txt = Write("x.txt", "hello");
        Assert.Equal(2, TelescopeCli.Run(["script", txt]));
    }

    [Fact]
    public void Options_after_the_script_reach_the_script()
    {
        var p = Write("args.csx", "Console.WriteLine(string.Join('|', Args));");
        var o = new StringWriter();
        var old = Console.Out;
        Console.SetOut(o);
        try
        {
            Assert.Equal(
                0,
                TelescopeCli.Run(["script", p, "--steps", "5", "--lr", "0.1,1", "tail"])
            );
        }
        finally
        {
            Console.SetOut(old);
        }
        Assert.Contains("--steps|5|--lr|0.1,1|tail", o.ToString());
    }
}
