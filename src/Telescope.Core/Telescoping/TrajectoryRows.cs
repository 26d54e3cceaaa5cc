using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// The tidy rows of one recorded step, shared by <see cref="Trajectory.Run"/> and <see cref="TelescopeRecorder"/>
/// (so a user's own loop gives the same quantities as the built-in one): per split the errors
/// <c>telescoping_error</c>, <c>linearised_error</c>, the loss and accuracy of f, f̃ and f_lin, optionally
/// per-example <c>f</c>, <c>f_telescoped</c>, <c>f_linearised</c>; then the split-free <c>batch_loss</c>,
/// <c>grad_norm</c>, <c>update_norm</c>, <c>learning_rate</c> (each only when known: NaN is not written by the
/// own-loop recorder).
/// </summary>
internal sealed class TrajectoryRows(
    IObservationSink sink,
    LossKind lossKind,
    int recordExamples,
    int nTrain,
    int nAll,
    Tensor yAll,
    Tensor lAll,
    double threshold,
    bool skipUnknownStepFacts = false
)
{
    public Dictionary<string, double> Last { get; } = new();

    public TrajectoryResult Fail(long completed, long at, string why) =>
        new(completed, why, at, Last);

    private void Put(double step, string quantity, double value, string? split = null)
    {
        sink.Write(new Observation(quantity, value, step, split));
        var key = split is null ? quantity : $"{split}/{quantity}";
        Last[key] = value;
        if (step == 0)
            Last[TrajectoryResult.StartPrefix + key] = value; // checkpointed with the rest of Last
    }

    private double LossOf(Tensor f, Tensor y, Tensor l)
    {
        if (lossKind == LossKind.Squared)
            return f.Minus(y).Squared().sum(1).mean().Times(0.5).item<double>();
        return Loss.Compute(lossKind, f, y, l).item<double>();
    }

    public void Record(
        long t,
        Tensor f,
        Tensor fTel,
        Tensor fLin,
        double batchLoss,
        double gradNorm,
        double updateNorm,
        double lr
    )
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        foreach (
            var (split, start, count) in new[]
            {
                ("train", 0, nTrain),
                ("test", nTrain, nAll - nTrain),
            }
        )
        {
            if (count == 0)
                continue;
            var fs = f.narrow(0, start, count);
            var ts = fTel.narrow(0, start, count);
            var ls = fLin.narrow(0, start, count);
            var ys = yAll.narrow(0, start, count);
            var labels = lAll.narrow(0, start, count);
            Put(t, "telescoping_error", fs.Minus(ts).abs().mean().item<double>(), split);
            Put(t, "linearised_error", fs.Minus(ls).abs().mean().item<double>(), split);
            Put(t, "loss", LossOf(fs, ys, labels), split);
            Put(t, "accuracy", Loss.Accuracy(fs, labels, threshold), split);
            Put(t, "telescoped_loss", LossOf(ts, ys, labels), split);
            Put(t, "telescoped_accuracy", Loss.Accuracy(ts, labels, threshold), split);
            Put(t, "linearised_loss", LossOf(ls, ys, labels), split);
            Put(t, "linearised_accuracy", Loss.Accuracy(ls, labels, threshold), split);
            int k = Math.Min(recordExamples, count);
            if (k > 0)
            {
                var a = fs.narrow(0, 0, k).cpu();
                var b = ts.narrow(0, 0, k).cpu();
                var c = ls.narrow(0, 0, k).cpu();
                for (int i = 0; i < k; i++)
                for (int o = 0; o < a.shape[1]; o++)
                {
                    sink.Write(new Observation("f", a[i, o].item<double>(), t, split, i, o));
                    sink.Write(
                        new Observation("f_telescoped", b[i, o].item<double>(), t, split, i, o)
                    );
                    sink.Write(
                        new Observation("f_linearised", c[i, o].item<double>(), t, split, i, o)
                    );
                }
            }
        }
        if (t > 0)
            foreach (
                var (q, v) in new[]
                {
                    ("batch_loss", batchLoss),
                    ("grad_norm", gradNorm),
                    ("update_norm", updateNorm),
                    ("learning_rate", lr),
                }
            )
                if (!(skipUnknownStepFacts && double.IsNaN(v)))
                    Put(t, q, v);
    }
}
