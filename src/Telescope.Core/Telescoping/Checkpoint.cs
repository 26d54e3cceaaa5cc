using Telescope.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// Where a trajectory keeps its checkpoints. The engine serialises its state to bytes; the store
/// (a file implementation lives in Telescope.Frames) keeps them atomically and returns the newest
/// whole one — a torn or corrupted checkpoint is detected and skipped.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>The newest valid checkpoint, or null when there is none.</summary>
    byte[]? TryLoadLatest();

    /// <summary>Store the state after <paramref name="step"/>.</summary>
    void Save(long step, byte[] state);
}

/// <summary>
/// Everything a trajectory needs to continue exactly where it stopped: step t, θ_t, θ_0, f_0, f̃_t,
/// optimiser state (t, momentum / first-moment and second-moment buffers), batch-sampler state, the
/// table position, and the last summary values. Tensors are stored as raw bytes (exact).
/// </summary>
public static class TrajectoryCheckpoint
{
    private const string Magic = "TELESCOPE-TRAJECTORY-1";

    /// <summary>The state captured at a checkpoint.</summary>
    public sealed record State(
        long Step,
        long SinkPosition,
        Tensor[] Theta,
        Tensor[] Theta0,
        Tensor F0,
        Tensor FTel,
        long OptimizerStep,
        Tensor?[] Buffers,
        Tensor?[] SecondMoments,
        ulong[] SamplerRng,
        int[] SamplerOrder,
        int SamplerPos,
        int SamplerEpoch,
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
            CheckpointBinary.WriteTensors(w, s.Theta);
            CheckpointBinary.WriteTensors(w, s.Theta0);
            CheckpointBinary.WriteTensor(w, s.F0);
            CheckpointBinary.WriteTensor(w, s.FTel);
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
            CheckpointBinary.WriteLast(w, s.Last);
        }
        return ms.ToArray();
    }

    /// <summary>Deserialise onto <paramref name="device"/>; throws <see cref="InvalidDataException"/> on a foreign or damaged state.</summary>
    public static State Read(byte[] bytes, Device device)
    {
        using var r = new BinaryReader(new MemoryStream(bytes));
        if (r.ReadString() != Magic)
            throw new InvalidDataException("not a trajectory checkpoint (wrong magic)");
        long step = r.ReadInt64();
        long pos = r.ReadInt64();
        var theta = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
        var theta0 = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
        var f0 = CheckpointBinary.ReadTensor(r, device)!;
        var fTel = CheckpointBinary.ReadTensor(r, device)!;
        long optStep = r.ReadInt64();
        var buffers = CheckpointBinary.ReadTensors(r, device);
        var second = CheckpointBinary.ReadTensors(r, device);
        var (rng, order, sPos, epoch) = CheckpointBinary.ReadSampler(r);
        var last = CheckpointBinary.ReadLast(r);
        return new State(
            step,
            pos,
            theta,
            theta0,
            f0,
            fTel,
            optStep,
            buffers,
            second,
            rng,
            order,
            sPos,
            epoch,
            last
        );
    }
}

/// <summary>
/// The binary pieces every checkpoint format shares (<see cref="TrajectoryCheckpoint"/>,
/// <c>SmootherCheckpoint</c>): tensors as dtype, shape and raw bytes (exact), batch-sampler state and
/// the last summary values.
/// </summary>
internal static class CheckpointBinary
{
    internal static void WriteSampler(BinaryWriter w, ulong[] rng, int[] order, int pos, int epoch)
    {
        foreach (var x in rng)
            w.Write(x);
        w.Write(order.Length);
        foreach (var x in order)
            w.Write(x);
        w.Write(pos);
        w.Write(epoch);
    }

    internal static (ulong[] rng, int[] order, int pos, int epoch) ReadSampler(BinaryReader r)
    {
        var rng = new ulong[4];
        for (int i = 0; i < 4; i++)
            rng[i] = r.ReadUInt64();
        var order = new int[r.ReadInt32()];
        for (int i = 0; i < order.Length; i++)
            order[i] = r.ReadInt32();
        int pos = r.ReadInt32();
        int epoch = r.ReadInt32();
        return (rng, order, pos, epoch);
    }

    internal static void WriteLast(BinaryWriter w, IReadOnlyDictionary<string, double> last)
    {
        w.Write(last.Count);
        foreach (var (k, v) in last.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            w.Write(k);
            w.Write(v);
        }
    }

    internal static Dictionary<string, double> ReadLast(BinaryReader r)
    {
        int n = r.ReadInt32();
        var last = new Dictionary<string, double>();
        for (int i = 0; i < n; i++)
            last[r.ReadString()] = r.ReadDouble();
        return last;
    }

    internal static void WriteTensors(BinaryWriter w, IReadOnlyList<Tensor?> ts)
    {
        w.Write(ts.Count);
        foreach (var t in ts)
            WriteTensor(w, t);
    }

    internal static Tensor?[] ReadTensors(BinaryReader r, Device device)
    {
        var ts = new Tensor?[r.ReadInt32()];
        for (int i = 0; i < ts.Length; i++)
            ts[i] = ReadTensor(r, device);
        return ts;
    }

    internal static void WriteTensor(BinaryWriter w, Tensor? t)
    {
        w.Write(t is not null);
        if (t is null)
            return;
        var c = t.detach().cpu().contiguous();
        w.Write((int)c.dtype);
        w.Write(c.shape.Length);
        foreach (var d in c.shape)
            w.Write(d);
        var bytes = c.bytes;
        w.Write(bytes.Length);
        w.Write(bytes);
    }

    internal static Tensor? ReadTensor(BinaryReader r, Device device)
    {
        if (!r.ReadBoolean())
            return null;
        var dtype = (ScalarType)r.ReadInt32();
        var shape = new long[r.ReadInt32()];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = r.ReadInt64();
        var bytes = r.ReadBytes(r.ReadInt32());
        var t = torch.empty(shape, dtype: dtype);
        t.bytes = bytes;
        var moved = t.to(device);
        moved.DetachFromDisposeScope();
        return moved;
    }
}
