using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A layer whose tangent rule can take its primal output from an earlier forward pass at the same θ and input
/// (<see cref="Network.TangentFrom"/>): the tangent <c>ż</c> of <see cref="ILayer.Tangent"/> without recomputing
/// <c>z</c>, with the same operations, so the same values.
/// </summary>
public interface IPrimalTangent
{
    /// <summary>
    /// <c>ż</c> given the layer's input <paramref name="a"/>, its output <paramref name="z"/> = g(a; p), the input
    /// tangent <paramref name="da"/> (null: zero) and the parameter direction <paramref name="dp"/>; null when ż is zero.
    /// </summary>
    Tensor? TangentGiven(
        Tensor a,
        Tensor z,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    );
}

/// <summary>
/// A forward pass of a <see cref="Network"/> at one θ with every layer's input kept (<see cref="Network.Trace"/>), in
/// the row blocks of <see cref="Network.Tangent"/>: <c>Levels[b][l]</c> is layer l's input on block b and
/// <c>Levels[b][L]</c> the output (level 0 is a view of the input). Owns its tensors (in no dispose scope): dispose it.
/// </summary>
internal sealed class PrimalTrace : IDisposable
{
    internal PrimalTrace(Tensor[][] levels, Tensor output)
    {
        Levels = levels;
        Output = output;
    }

    internal Tensor[][] Levels { get; }

    /// <summary>f_θ(x) <c>[N, k]</c>, owned by the trace.</summary>
    public Tensor Output { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (
            var t in Levels
                .SelectMany(l => l)
                .Append(Output)
                .Distinct(ReferenceEqualityComparer.Instance)
                .Cast<Tensor>()
        )
            t.Dispose();
    }
}
