using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Telescoping;

/// <summary>
/// The in-memory trajectory of a <see cref="TelescopeRecorder"/>: for every logged step (<see cref="Steps"/>, step 0
/// first) the network <see cref="F"/>, the telescoped model <see cref="FTelescoped"/> and the linearised model
/// <see cref="FLinearised"/> on the N probe points (train rows first), each <c>[T, N, k]</c>; optionally θ_t and
/// Δθ_t (<c>[T, P]</c>; Δθ_t is the update of that step only, zeros at step 0), the per-layer parts of f̃
/// (<c>[T, L, N, k]</c>), the per-example loss gradients of the train rows (<c>[n, P]</c>) and the kernel
/// (<c>[N, N]</c>) at chosen steps.
/// <para>
/// Lifetime: all tensors are CPU float64 copies owned by this object, detached from every dispose scope: they
/// survive the recorder's disposal and any scope of the caller, and are freed by <see cref="Dispose"/> (or the
/// GC's finaliser). Do not dispose them one by one; <c>.clone()</c> what must outlive this object.
/// </para>
/// <para>
/// Memory (8 bytes a number): <c>3·T·N·k</c>, plus <c>2·T·P</c> with θ, <c>T·L·N·k</c> by layer,
/// <c>n·P</c> per gradient step and <c>N²</c> per kernel step, where T is the number of <em>logged</em> steps.
/// Bound it with <see cref="RecorderOptions.RecordEvery"/> / <see cref="RecorderOptions.LogSteps"/>, keep θ off
/// (<see cref="RecorderOptions.KeepParameters"/>), or turn the in-memory copy off
/// (<see cref="RecorderOptions.KeepTrajectory"/> = false) and stream to a sink. <see cref="Bytes"/> says what is held.
/// </para>
/// </summary>
public sealed class TrajectoryTensors : IDisposable
{
    internal TrajectoryTensors(
        long[] steps,
        int trainCount,
        int count,
        int outputs,
        Tensor f,
        Tensor fTel,
        Tensor fLin,
        Tensor? theta,
        Tensor? delta,
        Tensor? byLayer,
        string[] layers,
        int[] layerIndices,
        Dictionary<long, Tensor> gradients,
        Dictionary<long, Tensor> kernels
    )
    {
        Steps = steps;
        TrainCount = trainCount;
        Count = count;
        Outputs = outputs;
        F = f;
        FTelescoped = fTel;
        FLinearised = fLin;
        Theta = theta;
        Delta = delta;
        ByLayer = byLayer;
        Layers = layers;
        LayerIndices = layerIndices;
        LossGradients = gradients;
        Kernels = kernels;
    }

    /// <summary>The logged steps t, in order (the first axis of every <c>[T, …]</c> tensor).</summary>
    public IReadOnlyList<long> Steps { get; }

    /// <summary>n: the first n of the N points are the probe's train rows.</summary>
    public int TrainCount { get; }

    /// <summary>N, the probe points.</summary>
    public int Count { get; }

    /// <summary>k, the network outputs.</summary>
    public int Outputs { get; }

    /// <summary>f_t, <c>[T, N, k]</c>.</summary>
    public Tensor F { get; }

    /// <summary>f̃_t, <c>[T, N, k]</c>.</summary>
    public Tensor FTelescoped { get; }

    /// <summary>f_lin,t, <c>[T, N, k]</c>.</summary>
    public Tensor FLinearised { get; }

    /// <summary>θ_t, <c>[T, P]</c> (null unless <see cref="RecorderOptions.KeepParameters"/>).</summary>
    public Tensor? Theta { get; }

    /// <summary>Δθ_t = θ_t − θ_{t−1} of each logged step, <c>[T, P]</c> (null unless <see cref="RecorderOptions.KeepParameters"/>).</summary>
    public Tensor? Delta { get; }

    /// <summary>Per parameterised layer l, Σ_{s≤t} ∇_{θ_l}f_{θ_{s−1}}ᵀΔθ_{l,s}, <c>[T, L, N, k]</c>; summed over l it is f̃_t − f̃_0 (null unless <see cref="RecorderOptions.ByLayer"/>).</summary>
    public Tensor? ByLayer { get; }

    /// <summary>The parameterised layers (the L axis of <see cref="ByLayer"/>): "index: description".</summary>
    public IReadOnlyList<string> Layers { get; }

    /// <summary>The L axis as indices into <see cref="Models.Network.Layers"/> (the <c>layer</c> column of the tidy rows).</summary>
    public IReadOnlyList<int> LayerIndices { get; }

    /// <summary>Per chosen logged step, the per-example loss gradients ∇_θ ℓ(z_i; θ_t) of the train rows, <c>[n, P]</c>.</summary>
    public IReadOnlyDictionary<long, Tensor> LossGradients { get; }

    /// <summary>Per chosen logged step, K_{θ_t}(X_all, X_all), <c>[N, N]</c> (trace over outputs).</summary>
    public IReadOnlyDictionary<long, Tensor> Kernels { get; }

    /// <summary>Bytes held by the tensors.</summary>
    public long Bytes =>
        8
        * new[] { F, FTelescoped, FLinearised, Theta, Delta, ByLayer }
            .Concat(LossGradients.Values)
            .Concat(Kernels.Values)
            .Sum(t => t?.numel() ?? 0);

    /// <summary>A <c>[T, N, k]</c> tensor as a .NET array <c>[t, row, output]</c>.</summary>
    public static double[,,] ToArray3(Tensor t)
    {
        var flat = t.contiguous().data<double>().ToArray();
        long a = t.shape[0],
            b = t.shape[1],
            c = t.shape[2];
        var r = new double[a, b, c];
        Buffer.BlockCopy(flat, 0, r, 0, flat.Length * sizeof(double));
        return r;
    }

    /// <summary>
    /// The tidy rows of the trajectory: per logged step, split (train, test), example (within its split) and
    /// output, the quantities <c>f</c>, <c>f_telescoped</c>, <c>f_linearised</c> — the recorder's per-example rows,
    /// value for value — then, with <see cref="ByLayer"/>, <c>f_telescoped_layer</c> with a <c>layer</c> column.
    /// </summary>
    public IEnumerable<Observation> ToObservations()
    {
        var f = ToArray3(F);
        var ft = ToArray3(FTelescoped);
        var fl = ToArray3(FLinearised);
        double[]? lp = ByLayer?.contiguous().data<double>().ToArray();
        int layers = Layers.Count;
        for (int s = 0; s < Steps.Count; s++)
        {
            long t = Steps[s];
            foreach (var (split, start, count) in Splits())
            {
                for (int i = 0; i < count; i++)
                for (int o = 0; o < Outputs; o++)
                {
                    yield return new Observation("f", f[s, start + i, o], t, split, i, o);
                    yield return new Observation(
                        "f_telescoped",
                        ft[s, start + i, o],
                        t,
                        split,
                        i,
                        o
                    );
                    yield return new Observation(
                        "f_linearised",
                        fl[s, start + i, o],
                        t,
                        split,
                        i,
                        o
                    );
                }
                if (lp is not null)
                    for (int i = 0; i < count; i++)
                    for (int o = 0; o < Outputs; o++)
                    for (int l = 0; l < layers; l++)
                        yield return TelescopeRecorder.LayerRow(
                            t,
                            split,
                            i,
                            o,
                            LayerIndices[l],
                            lp[((s * layers + l) * (long)Count + start + i) * Outputs + o]
                        );
            }
        }
    }

    private IEnumerable<(string split, int start, int count)> Splits()
    {
        yield return ("train", 0, TrainCount);
        if (Count > TrainCount)
            yield return ("test", TrainCount, Count - TrainCount);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (
            var t in new[] { F, FTelescoped, FLinearised, Theta, Delta, ByLayer }
                .Concat(LossGradients.Values)
                .Concat(Kernels.Values)
        )
            t?.Dispose();
    }
}
