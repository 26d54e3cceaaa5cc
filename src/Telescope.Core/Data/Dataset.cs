using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Data;

/// <summary>
/// A labelled data set held in managed memory (device-agnostic; tensors are made on the model's
/// device when needed). <c>X</c> is row-major <c>[n, prod(Shape)]</c>; <c>Labels</c> are class
/// indices; <see cref="Targets"/> are the regression targets the squared loss uses (binary tasks:
/// the 0/1 label itself; multi-class: one-hot).
/// </summary>
/// <param name="Name">Short name (for example <c>m35</c>).</param>
/// <param name="Source">Where the data came from, recorded in every output (real data and version, or <c>synthetic: …</c>).</param>
/// <param name="Shape">Per-example feature shape (for example [64] or [1, 28, 28]).</param>
/// <param name="X">Features, row-major.</param>
/// <param name="Labels">Class index per row.</param>
/// <param name="Classes">Number of classes (2 for binary tasks with a scalar output).</param>
/// <param name="TargetValues">Optional real-valued targets (regression); null for classification.</param>
public sealed partial record Dataset(
    string Name,
    string Source,
    int[] Shape,
    double[] X,
    int[] Labels,
    int Classes,
    double[]? TargetValues = null
)
{
    /// <summary>Number of rows.</summary>
    public int Count => Labels.Length;

    /// <summary>Features per row.</summary>
    public int Features => Shape.Aggregate(1, (a, b) => a * b);

    /// <summary>Outputs a network needs: 1 for binary or regression tasks, else the number of classes.</summary>
    public int Outputs => TargetValues is not null || Classes == 2 ? 1 : Classes;

    /// <summary>Check shapes and values; throws <see cref="InvalidDataException"/> naming the problem.</summary>
    public Dataset Validate()
    {
        if (Count == 0)
            throw new InvalidDataException($"data set '{Name}' is empty");
        if (X.Length != Count * Features)
            throw new InvalidDataException(
                $"data set '{Name}': {X.Length} feature values for {Count} rows of shape [{string.Join(',', Shape)}] (expected {Count * Features})"
            );
        for (int i = 0; i < X.Length; i++)
            if (!double.IsFinite(X[i]))
                throw new InvalidDataException(
                    $"data set '{Name}': feature value {i % Features} of row {i / Features} is {X[i]}"
                );
        foreach (var l in Labels)
            if (l < 0 || l >= Classes)
                throw new InvalidDataException(
                    $"data set '{Name}': label {l} outside 0..{Classes - 1}"
                );
        if (TargetValues is not null && TargetValues.Length != Count)
            throw new InvalidDataException(
                $"data set '{Name}': {TargetValues.Length} targets for {Count} rows"
            );
        return this;
    }

    /// <summary>The rows at <paramref name="index"/>, as a new data set.</summary>
    public Dataset Take(IReadOnlyList<int> index)
    {
        int f = Features;
        var x = new double[index.Count * f];
        var y = new int[index.Count];
        var t = TargetValues is null ? null : new double[index.Count];
        for (int i = 0; i < index.Count; i++)
        {
            Array.Copy(X, index[i] * f, x, i * f, f);
            y[i] = Labels[index[i]];
            if (t is not null)
                t[i] = TargetValues![index[i]];
        }
        return this with { X = x, Labels = y, TargetValues = t };
    }

    /// <summary>Features as a tensor <c>[n, …Shape]</c>.</summary>
    public Tensor Inputs(ScalarType dtype, Device device) =>
        HostArrays.ToTensor(
            X,
            [Count, .. Shape.Select(s => (long)s)],
            dtype: dtype,
            device: device
        );

    /// <summary>Squared-loss targets <c>[n, k]</c>: the value (regression), the 0/1 label (binary), or one-hot.</summary>
    public Tensor Targets(ScalarType dtype, Device device)
    {
        if (TargetValues is not null)
            return HostArrays.ToTensor(TargetValues, [Count, 1], dtype: dtype, device: device);
        if (Outputs == 1)
            return HostArrays.ToTensor(
                Labels.Select(l => (double)l).ToArray(),
                [Count, 1],
                dtype: dtype,
                device: device
            );
        var oh = new double[Count * Classes];
        for (int i = 0; i < Count; i++)
            oh[i * Classes + Labels[i]] = 1;
        return HostArrays.ToTensor(oh, [Count, Classes], dtype: dtype, device: device);
    }

    /// <summary>Labels as an int64 tensor <c>[n]</c>.</summary>
    public Tensor LabelTensor(Device device) =>
        HostArrays.ToTensor(Labels.Select(l => (long)l).ToArray(), device: device);
}
