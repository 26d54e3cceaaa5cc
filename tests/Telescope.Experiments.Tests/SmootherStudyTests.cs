using Telescope.Data;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Experiments.Studies.Grokking;
using Telescope.Hosting;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Smoothing;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Telescope.Tests;

/// <summary>The polynomial grokking model and task, label noise, and the kernel studies end to end (tiny sizes).</summary>
public class SmootherStudyTests
{
    private static double OneStepError(double γ, bool quadratic = true)
    {
        // e(γ) = max|f_1 − f̃_1| after one full-batch GD step from the same θ_0
        var (train, _) = PolynomialTask.Generate(30, 5, 8, 1);
        using var net = quadratic
            ? new Network(
                [new QuadraticUnits(8, 12, 0.2)],
                1,
                3,
                1.0,
                ScalarType.Float64,
                torch.CPU
            )
            : new Network(
                [new Dense(8, 12), new Activation(ActivationKind.Tanh), new Dense(12, 1)],
                1,
                3,
                1.0,
                ScalarType.Float64,
                torch.CPU
            );
        var x = train.Inputs(ScalarType.Float64, torch.CPU);
        var y = train.Targets(ScalarType.Float64, torch.CPU);
        var theta0 = net.Snapshot();
        net.Forward(x).sub(y).square().sum(1).mean().mul(0.5).backward();
        var delta = net.Parameters.Select(p => p.grad!.mul(-γ)).ToArray();
        var (f0, jvp) = net.Tangent(x, theta0, delta);
        var f1 = net.Forward(x, theta0.Zip(delta, (t, d) => t.add(d)).ToArray());
        return f1.sub(f0.add(jvp)).abs().max().item<double>();
    }

    [Fact]
    public void OneStepTelescopingErrorOfTheQuadraticModelScalesExactlyAsGammaSquared()
    {
        // T5: f is exactly quadratic in θ ⇒ e(γ)/e(γ/2) = 4 ± 1e-6 (relative)
        foreach (var γ in new[] { 500.0, 100, 10 })
        {
            double ratio = OneStepError(γ) / OneStepError(γ / 2);
            Assert.True(Math.Abs(ratio / 4 - 1) <= 1e-6, $"γ = {γ}: ratio {ratio:R}");
        }
        // control: a tanh network is not quadratic in θ, so the same ratio misses 4 by far more than 1e-6
        double tanhRatio = OneStepError(5, quadratic: false) / OneStepError(2.5, quadratic: false);
        Assert.True(Math.Abs(tanhRatio / 4 - 1) > 1e-4, $"tanh ratio {tanhRatio:R}");
    }

    [Fact]
    public void PolynomialTaskHasTheSpecifiedScale()
    {
        // x ~ N(0, I/d) ⇒ E‖x‖² = 1; y = ½(βᵀx)² with β ~ N(0, I) ⇒ E y ≈ ½ (A6); deterministic per data seed
        var (train, test) = PolynomialTask.Generate(2000, 10, 50, 0);
        double sq = 0;
        for (int i = 0; i < train.X.Length; i++)
            sq += train.X[i] * train.X[i];
        Assert.InRange(sq / train.Count, 0.9, 1.1);
        Assert.InRange(train.TargetValues!.Average(), 0.25, 0.8);
        Assert.All(train.TargetValues!, v => Assert.True(v >= 0));
        Assert.Equal(train.X, PolynomialTask.Generate(2000, 10, 50, 0).train.X);
        Assert.Equal(1, train.Outputs);
    }

    [Fact]
    public void LabelNoiseFlipsAboutTheRequestedFractionAndOnlyThoseLabels()
    {
        var (train, _) = Fixtures.Data(2000, 10);
        var (noisy, flipped) = LabelNoise.Flip(train, 0.2, 7);
        int diff = train.Labels.Zip(noisy.Labels).Count(p => p.First != p.Second);
        Assert.Equal(flipped, diff);
        Assert.InRange(diff / 2000.0, 0.17, 0.23);
        Assert.Equal(train.X, noisy.X);
        Assert.Equal(noisy.Labels, LabelNoise.Flip(train, 0.2, 7).data.Labels);
    }

    [Fact]
    public void GrokkingStudyRunsTheExactPolynomialModelWithinTheGate()
    {
        var study = new GrokkingStudy(
            new GrokkingConfig
            {
                Steps = 30,
                Dim = 10,
                Units = 20,
                TrainSize = 40,
                TestSize = 30,
                ProbeTest = 20,
                LearningRate = 50,
            }
        );
        var run = Assert.Single(study.Runs());
        var sink = new ObservationList();
        var result = run.Run(new Telescope.Hosting.RunContext(sink, _ => { }, default));
        Assert.True(result.Succeeded, result.Failure);
        var last = sink.Items.Where(o => o.Step == 30).ToDictionary(o => (o.Quantity, o.Split));
        Assert.Equal(1, last[("gate_passed", null)].Value);
        Assert.True(last[("effective_parameters", "train")].Value > 0);
        Assert.True(
            last[("loss", "train")].Value
                < sink.Items.First(o => o.Quantity == "loss" && o.Split == "train").Value
        );
    }

    [Fact]
    public void SmootherOfTheAdamWGrokkingSetupMatchesTheTelescopedModelAfterOneStep()
    {
        // the MNIST grokking set-up (large α, AdamW with warm-up, A2) on synthetic data: f̂_1 = f̃_1
        var (train, test) = Fixtures.Data(20, 10);
        using var net = Fixtures.Net(new ModelSpec(ModelKind.Mlp, [6, 6], Alpha: 6), train.Shape);
        var sink = new ObservationList();
        var spec = new OptimizerSpec(
            OptimizerKind.AdamW,
            1e-4,
            WeightDecay: 0.3,
            Beta2: 0.99,
            Warmup: 100
        );
        var r = SmootherTrajectory.Run(
            net,
            train,
            test,
            new SmootherConfig(1, 15, spec, 0, RecordEvery: 1),
            sink
        );
        Assert.True(r.Succeeded);
        var gap = sink
            .Items.Where(o => o.Quantity == "smoother_gap" && o.Step == 1)
            .Max(o => o.Value);
        Assert.True(gap <= 1e-12, $"{gap:E2}");
    }
}
