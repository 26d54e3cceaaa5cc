using System.Globalization;
using Telescope.Experiments.Parameters;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Models;
using TorchSharp;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// The setting options of the double-descent study (issue 29): input resolution, initialisation scale, batch,
/// stop rule, patience and tracked test rows reach the configuration, and values outside their declared bounds
/// are refused with one line naming the option.
/// </summary>
public class DoubleDescentOptionsTests
{
    private static readonly DoubleDescentDefinition Study = new();

    private static DoubleDescentConfig Configure(params (string k, string v)[] values) =>
        Study.Configure(values.Select(x => new KeyValuePair<string, string>(x.k, x.v)));

    private static string Refusal(params (string k, string v)[] values) =>
        Assert.Throws<ParameterException>(() => Configure(values)).Message;

    [Fact]
    public void EachOptionReachesTheConfiguration()
    {
        var c = Configure(
            ("side", "4"),
            ("alpha", "0.5"),
            ("batch", "7"),
            ("stop", "stall"),
            ("patience", "33"),
            ("probe-test", "50"),
            ("label-noise", "0"),
            ("inputs", "standardized")
        );
        Assert.Equal(DoubleDescentInputs.Standardized, c.Inputs);
        Assert.Equal(4, c.Side);
        Assert.Equal(16, c.InputDim);
        Assert.Equal(0.5, c.Alpha);
        Assert.Equal(7, c.BatchSize);
        Assert.False(c.StopAtInterpolation);
        Assert.Equal(33, c.PatienceEpochs);
        Assert.Equal(50, c.ProbeTest);
        Assert.Equal(0.0, c.LabelNoise); // 0: the noise-free control
        Assert.True(Configure(("stop", "interpolation")).StopAtInterpolation);
        Assert.False(Configure(("preset", "valid")).StopAtInterpolation);
        Assert.True(Configure(("preset", "valid"), ("stop", "interpolation")).StopAtInterpolation);
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(4, 3)]
    [InlineData(8, 16)]
    [InlineData(28, 2)]
    public void TheParameterCountIsTheBuiltNetworks(int side, int h)
    {
        // independent: count the parameters of the network the study builds for d = side² inputs
        var c = Configure(("side", side.ToString(CultureInfo.InvariantCulture)));
        using var scope = torch.NewDisposeScope();
        using var net = new ModelSpec(ModelKind.Mlp, [h], ActivationKind.Tanh).Build(
            [side * side],
            1,
            0,
            torch.ScalarType.Float64,
            torch.CPU
        );
        Assert.Equal(net.ParameterCount, c.ParameterCount(h));
    }

    [Theory]
    [InlineData("side", "2")]
    [InlineData("side", "28")]
    [InlineData("alpha", "10")]
    [InlineData("alpha", "1e-3")]
    [InlineData("batch", "1")]
    [InlineData("batch", "1895")]
    [InlineData("patience", "1")]
    [InlineData("patience", "100000")]
    [InlineData("probe-test", "1")]
    [InlineData("width", "5000")]
    [InlineData("steps", "1000000")]
    public void ValuesOnTheBoundsAreAccepted(string option, string value) =>
        Configure((option, value));

    [Theory]
    [InlineData("side", "1")]
    [InlineData("side", "29")]
    [InlineData("alpha", "0")]
    [InlineData("alpha", "-1")]
    [InlineData("alpha", "10.5")]
    [InlineData("batch", "0")]
    [InlineData("batch", "1896")]
    [InlineData("patience", "0")]
    [InlineData("patience", "100001")]
    [InlineData("probe-test", "0")]
    [InlineData("probe-test", "1896")]
    [InlineData("width", "5001")]
    [InlineData("steps", "1000001")]
    [InlineData("label-noise", "0.6")]
    [InlineData("stop", "never")]
    [InlineData("inputs", "whitened")]
    public void ValuesOutsideTheBoundsAreRefusedInOneLine(string option, string value)
    {
        var message = Refusal((option, value));
        Assert.DoesNotContain('\n', message);
        Assert.Contains(ParameterNames.Option(option), message);
    }

    [Fact]
    public void StandardizingUsesTheTrainingRowsMeanAndDeviation()
    {
        // train: column 0 = 1, 3 (μ = 2, σ = 1); column 1 constant 5 (σ = 0: centred only); test row (4, 7)
        var train = new Telescope.Data.Dataset("t", "src", [2], [1, 5, 3, 5], [0, 1], 2);
        var test = new Telescope.Data.Dataset("t", "src", [2], [4, 7], [1], 2);
        var (tr, te) = DoubleDescentStudy.Standardize(train, test);
        Assert.Equal([-1.0, 0.0, 1.0, 0.0], tr.X);
        Assert.Equal([2.0, 2.0], te.X);
        Assert.Equal(train.Labels, tr.Labels);
        Assert.Contains("standardised", te.Source);
    }
}
