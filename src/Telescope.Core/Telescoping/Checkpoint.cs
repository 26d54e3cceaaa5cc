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
/// What every trajectory's checkpoint holds of its training loop: the optimiser state (step t, momentum /
/// first-moment and second-moment buffers) and the batch sampler's state (generator, order, position, epoch).
/// Captured from and restored onto the live <see cref="Optimizer"/> and <see cref="BatchSampler"/>; written in the
/// order t, buffers, second moments, sampler (exact tensor bytes).
/// </summary>
internal sealed record TrainingState(
    long OptimizerStep,
    Tensor?[] Buffers,
    Tensor?[] SecondMoments,
    ulong[] SamplerRng,
    int[] SamplerOrder,
    int SamplerPos,
    int SamplerEpoch
)
{
    /// <summary>The state of <paramref name="opt"/> and <paramref name="sampler"/> now.</summary>
    public static TrainingState Capture(Optimizer opt, BatchSampler sampler)
    {
        var (rng, order, pos, epoch) = sampler.State;
        return new(
            opt.Step,
            opt.Operators.Select(o => o.Buffer).ToArray(),
            opt.SecondMoments.ToArray(),
            rng,
            order,
            pos,
            epoch
        );
    }

    /// <summary>Put this state back into <paramref name="opt"/> and <paramref name="sampler"/>.</summary>
    public void Restore(Optimizer opt, BatchSampler sampler)
    {
        opt.Restore(OptimizerStep, Buffers, SecondMoments);
        sampler.Restore(SamplerRng, SamplerOrder, SamplerPos, SamplerEpoch);
    }

    internal void Write(BinaryWriter w)
    {
        w.Write(OptimizerStep);
        CheckpointBinary.WriteTensors(w, Buffers);
        CheckpointBinary.WriteTensors(w, SecondMoments);
        CheckpointBinary.WriteSampler(w, SamplerRng, SamplerOrder, SamplerPos, SamplerEpoch);
    }

    internal static TrainingState Read(BinaryReader r, Device device)
    {
        long step = r.ReadInt64();
        var buffers = CheckpointBinary.ReadTensors(r, device);
        var second = CheckpointBinary.ReadTensors(r, device);
        var (rng, order, pos, epoch) = CheckpointBinary.ReadSampler(r);
        return new(step, buffers, second, rng, order, pos, epoch);
    }
}

/// <summary>
/// Everything a trajectory needs to continue exactly where it stopped: step t, θ_t, θ_0, f_0, f̃_t, the training
/// loop's <see cref="TrainingState"/>, the table position, and the last summary values. Tensors are stored as raw
/// bytes (exact).
/// </summary>
internal static class TrajectoryCheckpoint
{
    private const string Magic = "TELESCOPE-TRAJECTORY-1";

    /// <summary>The state captured at a checkpoint.</summary>
    internal sealed record State(
        long Step,
        long SinkPosition,
        Tensor[] Theta,
        Tensor[] Theta0,
        Tensor F0,
        Tensor FTel,
        TrainingState Training,
        Dictionary<string, double> Last
    );

    /// <summary>Serialise.</summary>
    public static byte[] Write(State s) =>
        CheckpointBinary.Write(Magic, s.Step, s.SinkPosition, w =>
        {
            CheckpointBinary.WriteTensors(w, s.Theta);
            CheckpointBinary.WriteTensors(w, s.Theta0);
            CheckpointBinary.WriteTensor(w, s.F0);
            CheckpointBinary.WriteTensor(w, s.FTel);
            s.Training.Write(w);
            CheckpointBinary.WriteLast(w, s.Last);
        });

    /// <summary>Deserialise onto <paramref name="device"/>; throws <see cref="InvalidDataException"/> on a foreign or damaged state.</summary>
    public static State Read(byte[] bytes, Device device)
    {
        using var r = CheckpointBinary.Open(
            bytes,
            Magic,
            "not a trajectory checkpoint (wrong magic)"
        );
        long step = r.ReadInt64();
        long pos = r.ReadInt64();
        var theta = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
        var theta0 = CheckpointBinary.ReadTensors(r, device).Select(t => t!).ToArray();
        var f0 = CheckpointBinary.ReadTensor(r, device)!;
        var fTel = CheckpointBinary.ReadTensor(r, device)!;
        var training = TrainingState.Read(r, device);
        return new State(
            step,
            pos,
            theta,
            theta0,
            f0,
            fTel,
            training,
            CheckpointBinary.ReadLast(r)
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
    /// <summary>A checkpoint's bytes: its magic, step and table position, then <paramref name="body"/>.</summary>
    internal static byte[] Write(
        string magic,
        long step,
        long sinkPosition,
        Action<BinaryWriter> body
    )
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            w.Write(magic);
            w.Write(step);
            w.Write(sinkPosition);
            body(w);
        }
        return ms.ToArray();
    }

    /// <summary>A reader past the magic of a checkpoint's bytes; <paramref name="foreign"/> when the magic differs.</summary>
    internal static BinaryReader Open(byte[] bytes, string magic, string foreign)
    {
        var r = new BinaryReader(new MemoryStream(bytes));
        if (r.ReadString() != magic)
        {
            r.Dispose();
            throw new InvalidDataException(foreign);
        }
        return r;
    }

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
