using Telescope.Telescoping;
using static TorchSharp.torch;

namespace Telescope.Smoothing;

/// <summary>
/// Everything <see cref="SmootherTrajectory.Run"/> needs to continue exactly where it stopped: step t,
/// the table position, a fingerprint of the configuration, θ_t, f̃_t, the smoother's S_t, c_t and W_t
/// (with its mirrored optimiser buffers), the training loop's <see cref="TrainingState"/>, early stopping
/// (best full-train loss, epochs since), the last batch loss and rate, and the last summary values.
/// Tensors are stored as raw bytes (exact), with the helpers <see cref="TrajectoryCheckpoint"/> uses.
/// </summary>
internal static class SmootherCheckpoint
{
    private const string Magic = "TELESCOPE-SMOOTHER-TRAJECTORY-1";

    /// <summary>The state captured at a checkpoint.</summary>
    internal sealed record State(
        long Step,
        long SinkPosition,
        string Fingerprint,
        Tensor[] Theta,
        Tensor FTel,
        SmootherState Smoother,
        TrainingState Training,
        double BestLoss,
        int SinceBest,
        double LastBatchLoss,
        double LastLearningRate,
        Dictionary<string, double> Last
    );

    /// <summary>Serialise.</summary>
    public static byte[] Write(State s) =>
        CheckpointBinary.Write(Magic, s.Step, s.SinkPosition, w =>
        {
            w.Write(s.Fingerprint);
            CheckpointBinary.WriteTensors(w, s.Theta);
            CheckpointBinary.WriteTensor(w, s.FTel);
            CheckpointBinary.WriteTensor(w, s.Smoother.S);
            CheckpointBinary.WriteTensor(w, s.Smoother.C);
            CheckpointBinary.WriteTensors(w, s.Smoother.W);
            CheckpointBinary.WriteTensors(w, s.Smoother.Buffers);
            s.Training.Write(w);
            w.Write(s.BestLoss);
            w.Write(s.SinceBest);
            w.Write(s.LastBatchLoss);
            w.Write(s.LastLearningRate);
            CheckpointBinary.WriteLast(w, s.Last);
        });

    /// <summary>Deserialise onto <paramref name="device"/>; throws <see cref="InvalidDataException"/> on a foreign or damaged state.</summary>
    public static State Read(byte[] bytes, Device device)
    {
        try
        {
            using var r = CheckpointBinary.Open(
                bytes,
                Magic,
                "not a smoother-trajectory checkpoint (wrong magic)"
            );
            long step = r.ReadInt64();
            long pos = r.ReadInt64();
            string fingerprint = r.ReadString();
            var theta = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
            var fTel = CheckpointBinary.ReadTensor(r, device)!;
            var sm = CheckpointBinary.ReadTensor(r, device)!;
            var c = CheckpointBinary.ReadTensor(r, device)!;
            var wt = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
            var mirrored = CheckpointBinary.ReadTensors(r, device);
            var training = TrainingState.Read(r, device);
            double best = r.ReadDouble();
            int since = r.ReadInt32();
            double lastBatch = r.ReadDouble();
            double lastLr = r.ReadDouble();
            return new State(
                step,
                pos,
                fingerprint,
                theta,
                fTel,
                new SmootherState(sm, c, wt, mirrored),
                training,
                best,
                since,
                lastBatch,
                lastLr,
                CheckpointBinary.ReadLast(r)
            );
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the smoother-trajectory checkpoint is truncated", e);
        }
    }
}
