using Telescope.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Studies;

/// <summary>The lmc study's training and evaluation: heavy-ball SGD on cross-entropy with a step-decay schedule, test loss and error.</summary>
internal static class LmcTraining
{
    /// <summary>The step-decay schedule: γ for t ≤ T/2, γ/10 for t ≤ 3T/4, γ/100 after (integer T/2 and 3T/4).</summary>
    public static double RateAt(LmcConfig cfg, int t) =>
        cfg.LearningRate
        * (
            t > 3 * cfg.Steps / 4 ? 0.01
            : t > cfg.Steps / 2 ? 0.1
            : 1.0
        );

    /// <summary>One heavy-ball step on a batch (train mode); returns the batch loss.</summary>
    public static double Step(
        nn.Module<Tensor, Tensor> model,
        Tensor[] velocity,
        Tensor x,
        Tensor y,
        double lr,
        double momentum
    )
    {
        model.train();
        var ps = model.parameters().ToArray();
        foreach (var p in ps)
            p.grad?.zero_();
        var loss = nn.functional.cross_entropy(model.forward(x), y);
        loss.backward();
        using (torch.no_grad())
            for (int i = 0; i < ps.Length; i++)
            {
                var g = ps[i].grad!;
                velocity[i].TimesInPlace(momentum).PlusInPlace(g);
                ps[i].PlusScaledInPlace(velocity[i], -lr);
            }
        return loss.item<float>();
    }

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
