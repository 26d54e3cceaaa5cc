using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Training;

/// <summary>
/// What the training loop needs of a model: its trainable parameters (in a fixed order) and a forward
/// pass in train or eval mode. A <see cref="Network"/> (pure, mode-free; <see cref="TrainableNetwork"/>)
/// and a TorchSharp module with running statistics such as batch norm (<see cref="TrainableModule"/>)
/// both satisfy it.
/// </summary>
public interface ITrainableModel
{
    /// <summary>The parameters the optimiser updates, each with its <c>.grad</c> after backward.</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>The outputs on <paramref name="x"/>; <paramref name="training"/> selects train mode (batch statistics, running statistics updated) or eval mode.</summary>
    Tensor Forward(Tensor x, bool training);
}

/// <summary>A <see cref="Network"/> as a trainable model (it has no mode: both modes are the same forward pass).</summary>
public sealed class TrainableNetwork(Network net) : ITrainableModel
{
    private readonly Tensor[] _parameters = net.Parameters.Cast<Tensor>().ToArray();

    /// <summary>The network.</summary>
    public Network Network => net;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <inheritdoc />
    public Tensor Forward(Tensor x, bool training) => net.Forward(x);
}

/// <summary>
/// A TorchSharp module as a trainable model: <c>train()</c> or <c>eval()</c>, then <c>forward</c>; its
/// buffers (batch norm's running mean and variance) change in train mode as in PyTorch.
/// </summary>
public sealed class TrainableModule(nn.Module<Tensor, Tensor> module) : ITrainableModel
{
    private readonly Tensor[] _parameters = module.parameters().Cast<Tensor>().ToArray();

    /// <summary>The module.</summary>
    public nn.Module<Tensor, Tensor> Module => module;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <inheritdoc />
    public Tensor Forward(Tensor x, bool training)
    {
        if (training)
            module.train();
        else
            module.eval();
        return module.forward(x);
    }
}

/// <summary>One mini-batch: the model inputs and the (scalar, mean over the batch) loss of the model's outputs on them.</summary>
public readonly record struct TrainingBatch(Tensor Inputs, Func<Tensor, Tensor> Loss);

/// <summary>A finished step t: its batch rows, the batch loss (before the update) and the rate γ_t used.</summary>
public readonly record struct TrainingStep(long Step, int[] Rows, double Loss, double Rate);

/// <summary>How a run of the loop ended: steps completed, or the failure and the step at which it was detected.</summary>
public sealed record TrainingOutcome(long Completed, string? Failure, long? FailedAt)
{
    /// <summary>Whether every step ran.</summary>
    public bool Succeeded => Failure is null;
}

/// <summary>
/// The engine's training loop, used by the telescoping trajectory, gbt-vs-nn and lmc. Per step t:
/// cancellation check; a dispose scope; the rows of <c>B_t</c> from the <see cref="BatchSampler"/>;
/// <see cref="BeforeStep"/> (state θ_{t−1}); gradients zeroed; forward in train mode and the batch
/// loss (a non-finite loss stops the run: <see cref="BadLoss"/>); backward; <see cref="AfterGradient"/>;
/// the optimiser's step (<see cref="IUpdateRule"/>, whose learning-rate schedule gives γ_t);
/// <see cref="AfterStep"/> (state θ_t). A hook stops the run by returning a failure message.
/// </summary>
public sealed class TrainingLoop(
    ITrainableModel model,
    IUpdateRule update,
    BatchSampler sampler,
    Func<int[], TrainingBatch> batch
)
{
    /// <summary>Called with t and the rows of B_t before the step (parameters are θ_{t−1}); a message stops the run.</summary>
    public Func<long, int[], string?>? BeforeStep { get; init; }

    /// <summary>Called with t after backward, before the update (gradients are set); a message stops the run.</summary>
    public Func<long, string?>? AfterGradient { get; init; }

    /// <summary>Called after the update (parameters are θ_t); a message stops the run.</summary>
    public Func<TrainingStep, string?>? AfterStep { get; init; }

    /// <summary>The failure message for a non-finite batch loss at step t.</summary>
    public Func<long, double, string> BadLoss { get; init; } =
        (t, loss) => $"training loss is {loss} at step {t}";

    /// <summary>Run steps <paramref name="first"/> … <paramref name="last"/> (the optimiser's and sampler's state must be those after step first − 1).</summary>
    public TrainingOutcome Run(long first, long last, CancellationToken cancel = default)
    {
        for (long t = first; t <= last; t++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            var rows = sampler.Next();
            if (BeforeStep?.Invoke(t, rows) is { } before)
                return new TrainingOutcome(t - 1, before, t);
            foreach (var p in model.Parameters)
                p.grad?.zero_();
            var b = batch(rows);
            var loss = b.Loss(model.Forward(b.Inputs, training: true));
            double value = ValueOf(loss);
            if (!double.IsFinite(value))
                return new TrainingOutcome(t - 1, BadLoss(t, value), t);
            loss.backward();
            if (AfterGradient?.Invoke(t) is { } gradient)
                return new TrainingOutcome(t - 1, gradient, t);
            double rate = update.Apply(model.Parameters);
            if (AfterStep?.Invoke(new TrainingStep(t, rows, value, rate)) is { } after)
                return new TrainingOutcome(t - 1, after, t);
        }
        return new TrainingOutcome(Math.Max(last, first - 1), null, null);
    }

    /// <summary>The loss as a double, read in its own precision (float32 losses exactly as <c>item&lt;float&gt;</c>).</summary>
    private static double ValueOf(Tensor loss) =>
        loss.dtype switch
        {
            ScalarType.Float64 => loss.item<double>(),
            ScalarType.Float32 => loss.item<float>(),
            _ => loss.to_type(ScalarType.Float64).item<double>(),
        };
}
