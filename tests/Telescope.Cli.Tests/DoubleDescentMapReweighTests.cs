using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>
/// <c>analysis/redraw/double-descent-map-reweigh.fsx</c> (issue 29): a map row written by the mean-only verdict with
/// fewer than 3 seeds loses its <c>shown = 1</c> and its verdict says "too few seeds to tell" (read here as plain
/// CSV text, without the library); a row with 3 seeds is left as it is; a second run changes nothing; and the shipped
/// map is already in that state (the script leaves its bytes alone).
/// </summary>
public sealed class DoubleDescentMapReweighTests : IDisposable
{
    private readonly string _dir = Repo.TempDir("telescope-dd-reweigh");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, true);
        }
        catch (IOException) { }
    }

    private const string Header =
        "setting,activation,lr,max_steps,train_size,label_noise,widths,seeds,largest_width,largest_width_train_accuracy,first_interpolating_width,worst_test_telescoping_error,worst_test_smoother_gap,gate,gate_everywhere,shown,seconds,verdict";

    private static (int code, string stdout, string stderr) Reweigh(string csv) =>
        Repo.Fsi(Repo.Path_("analysis", "redraw", "double-descent-map-reweigh.fsx"), [csv]);

    [Fact]
    public void ARowOfTwoSeedsLosesItsShownAndAThreeSeedRowIsLeftAlone()
    {
        var csv = Path.Combine(_dir, "map.csv");
        string two =
            "two,tanh,0.025,96000,100,0.2,1 2 4,0 1,4,1,2,0.0005,0.0005,0.05,1,1,10,\"Double descent shown with a valid lens: the validity gate passed at every width; p_train 85.2 at the loss peak, 85.4 at h = 4.\"";
        string three =
            "three,tanh,0.025,96000,100,0.2,1 2 4,0 1 2,4,1,2,0.0005,0.0005,0.05,1,1,10,\"Double descent shown with a valid lens: the gate passed, as the new rule wrote it.\"";
        File.WriteAllLines(csv, [Header, two, three]);

        var (code, stdout, stderr) = Reweigh(csv);
        Assert.True(code == 0, $"exited {code}: {stderr}\n{stdout}");
        var lines = File.ReadAllLines(csv);
        Assert.Equal(3, lines.Length);
        Assert.Equal(Header, lines[0]);
        Assert.StartsWith(
            "two,tanh,0.025,96000,100,0.2,1 2 4,0 1,4,1,2,0.0005,0.0005,0.05,1,0,10,\"Double descent with a valid lens NOT shown — too few seeds to tell (n = 2 < 3)",
            lines[1]
        );
        Assert.EndsWith(
            "As first written from the seed means alone: Double descent shown with a valid lens: the validity gate passed at every width; p_train 85.2 at the loss peak, 85.4 at h = 4.\"",
            lines[1]
        );
        Assert.Equal(three, lines[2]);
        Assert.Contains("left as it is (3 seeds", stderr);

        var once = File.ReadAllBytes(csv);
        Assert.Equal(0, Reweigh(csv).code);
        Assert.Equal(once, File.ReadAllBytes(csv));
    }

    [Fact]
    public void TheShippedMapIsAlreadyReweighed()
    {
        var csv = Path.Combine(_dir, "shipped.csv");
        File.Copy(Repo.Path_("docs", "results", "double-descent-map.csv"), csv);
        var before = File.ReadAllBytes(csv);
        var (code, stdout, stderr) = Reweigh(csv);
        Assert.True(code == 0, $"exited {code}: {stderr}\n{stdout}");
        Assert.DoesNotContain("reweighed", stdout);
        Assert.Equal(before, File.ReadAllBytes(csv));
    }
}
