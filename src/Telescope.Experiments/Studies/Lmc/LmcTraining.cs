using Telescope.Data;
using Telescope.Optim;
using Telescope.Tensors;
using Telescope.Training;
using static TorchSharp.torch;

namespace Telescope.Experiments.Studies.Lmc;

/// <summary>The lmc study's training and evaluation: heavy-ball SGD (<see cref="HeavyBall"/>) on cross-entropy with a step-decay schedule, run by the engine's <see cref="TrainingLoop"/>; test loss and error.</summary>
internal static class LmcTraining
{
    /// <summary>The step-decay schedule: γ for t ≤ T/2, γ/10 for t ≤ 3T/4, γ/100 after (integer T/2 and 3T/4).</summary>
    public static LearningRateSchedule Schedule(LmcConfig cfg) =>
        LearningRateSchedule.StepDecay(cfg.Steps, [0.5, 0.75], [0.1, 0.01]);

    /// <summary>Heavy-ball SGD with the step-decay schedule for <paramref name="model"/>'s parameters (zero velocity).</summary>
    public static HeavyBall Optimizer(LmcConfig cfg, ITrainableModel model) =>
        new(cfg.LearningRate, cfg.Momentum, Schedule(cfg), model.Parameters);

    /// <summary>The training loop's batches: cross-entropy on the lmc training images of the rows (augmented when <paramref name="augment"/> is given).</summary>
    public static Func<int[], TrainingBatch> Batches(FashionMnist.Split train, Rng? augment) =>
        rows =>
        {
            var x = LmcData.Images(train, rows, augment);
            var y = LmcData.Labels(train, rows);
            return new TrainingBatch(x, logits => nn.functional.cross_entropy(logits, y));
        };

    /// <summary>Mean test loss and error (eval mode) over the evaluation images.</summary>
    public static (double loss, double error) Evaluate(
        nn.Module<Tensor, Tensor> model,
        Tensor x,
        Tensor y
    )
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        model.eval();
        var logits = model.forward(x);
        double loss = nn.functional.cross_entropy(logits, y).item<float>();
        double acc = logits.argmax(1).eq(y).to_type(ScalarType.Float64).mean().item<double>();
        return (loss, 1 - acc);
    }
}
