using Telescope.Telescoping;
using static TorchSharp.torch;

namespace Telescope.Smoothing;

/// <summary>
/// Everything <see cref="SmootherTrajectory.Run"/> needs to continue exactly where it stopped: step t,
/// the table position, a fingerprint of the configuration, θ_t, f̃_t, the smoother's S_t, c_t and W_t
/// (with its mirrored optimiser buffers), the optimiser state, the batch-sampler state, early stopping
/// (best full-train loss, epochs since), the last batch loss and rate, and the last summary values.
/// Tensors are stored as raw bytes (exact), with the helpers <see cref="TrajectoryCheckpoint"/> uses.
/// </summary>
public static class SmootherCheckpoint
{
    private const string Magic = "TELESCOPE-SMOOTHER-TRAJECTORY-1";

    /// <summary>The state captured at a checkpoint.</summary>
    public sealed record State(
        long Step,
        long SinkPosition,
        string Fingerprint,
        Tensor[] Theta,
        Tensor FTel,
        SmootherState Smoother,
        long OptimizerStep,
        Tensor?[] Buffers,
        Tensor?[] SecondMoments,
        ulong[] SamplerRng,
        int[] SamplerOrder,
        int SamplerPos,
        int SamplerEpoch,
        double BestLoss,
        int SinceBest,
        double LastBatchLoss,
        double LastLearningRate,
        Dictionary<string, double> Last
    );

    /// <summary>Serialise.</summary>
    public static byte[] Write(State s)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(Magic);
            w.Write(s.Step);
            w.Write(s.SinkPosition);
            w.Write(s.Fingerprint);
            CheckpointBinary.WriteTensors(w, s.Theta);
            CheckpointBinary.WriteTensor(w, s.FTel);
            CheckpointBinary.WriteTensor(w, s.Smoother.S);
            CheckpointBinary.WriteTensor(w, s.Smoother.C);
            CheckpointBinary.WriteTensors(w, s.Smoother.W);
            CheckpointBinary.WriteTensors(w, s.Smoother.Buffers);
            w.Write(s.OptimizerStep);
            CheckpointBinary.WriteTensors(w, s.Buffers);
            CheckpointBinary.WriteTensors(w, s.SecondMoments);
            CheckpointBinary.WriteSampler(
                w,
                s.SamplerRng,
                s.SamplerOrder,
                s.SamplerPos,
                s.SamplerEpoch
            );
            w.Write(s.BestLoss);
            w.Write(s.SinceBest);
            w.Write(s.LastBatchLoss);
            w.Write(s.LastLearningRate);
            CheckpointBinary.WriteLast(w, s.Last);
        }
        return ms.ToArray();
    }

    /// <summary>Deserialise onto <paramref name="device"/>; throws <see cref="InvalidDataException"/> on a foreign or damaged state.</summary>
    public static State Read(byte[] bytes, Device device)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            if (r.ReadString() != Magic)
                throw new InvalidDataException(
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
            long optStep = r.ReadInt64();
            var buffers = CheckpointBinary.ReadTensors(r, device);
            var second = CheckpointBinary.ReadTensors(r, device);
            var (rng, order, sPos, epoch) = CheckpointBinary.ReadSampler(r);
            double best = r.ReadDouble();
            int since = r.ReadInt32();
            double lastBatch = r.ReadDouble();
            double lastLr = r.ReadDouble();
            var last = CheckpointBinary.ReadLast(r);
            return new State(
                step,
                pos,
                fingerprint,
                theta,
                fTel,
                new SmootherState(sm, c, wt, mirrored),
                optStep,
                buffers,
                second,
                rng,
                order,
                sPos,
                epoch,
                best,
                since,
                lastBatch,
                lastLr,
                last
            );
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the smoother-trajectory checkpoint is truncated", e);
        }
    }
}
