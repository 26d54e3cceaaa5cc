using Microsoft.FSharp.Collections;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>Your data through both faces: the CLI's <c>--data</c> and the F# <c>Study</c> functions answer alike.</summary>
public sealed class UserDataFaceTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-data-face");

    public void Dispose() => Directory.Delete(_dir, true);

    private static FSharpList<Tuple<string, string>> Values(params (string, string)[] pairs) =>
        ListModule.OfSeq(pairs.Select(p => Tuple.Create(p.Item1, p.Item2)));

    [Fact]
    public void The_cli_and_the_fsharp_face_read_the_same_file_alike()
    {
        var csv = Path.Combine(_dir, "tiny.csv");
        File.WriteAllText(csv, "x1,x2,label\n0,0,a\n1,1,b\n0,1,a\n1,0,b\n0.5,0.5,a\n");
        var (code, stdout, stderr) = Repo.Cli(
            TinyStudies.ApproximationOnCsv(csv, "--optimizer", "sgd", "--lr", "0.1", "--dry-run")
        );
        Assert.True(code == 0, stdout + stderr);
        var size = Telescope.FSharp.Study.dryRun(
            "approximation",
            Values(("data", csv), ("target", "label"), ("optimizer", "sgd"), ("lr", "0.1"))
        );
        Assert.Equal($"valid: study approximation, {size}", stdout.Trim());

        File.AppendAllText(csv, "2,x,b\n");
        (code, _, stderr) = Repo.Cli(TinyStudies.ApproximationOnCsv(csv, "--dry-run"));
        Assert.Equal(TelescopeCli.BadInput, code);
        var line = $"{csv}:7:2: 'x' is not a number (column 'x2')";
        Assert.Equal($"telescope: {line}", stderr.Trim());
        var e = Assert.Throws<InvalidDataException>(() =>
            Telescope.FSharp.Study.plan("approximation", Values(("data", csv), ("target", "label")))
        );
        Assert.Equal(line, e.Message);
    }
}
