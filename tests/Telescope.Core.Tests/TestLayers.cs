namespace Telescope.Tests;

/// <summary>A layer's tangent rule, as <see cref="ILayer.Tangent"/> spells it.</summary>
public delegate (Tensor z, Tensor? dz) TangentRule(
    Tensor a,
    Tensor? da,
    ReadOnlySpan<Tensor> p,
    ReadOnlySpan<Tensor> dp
);

/// <summary>
/// A <see cref="Dense"/> layer with its hand-written tangent rule replaced by <paramref name="rule"/> (which gets the
/// Dense layer to call): a broken rule for must-fail controls, or a throwing one to show a path never calls it.
/// Shapes, initialisation and forward map are the Dense layer's.
/// </summary>
public sealed class DenseWithRule(Dense d, string name, Func<Dense, TangentRule> rule) : ILayer
{
    private readonly TangentRule _rule = rule(d);

    public IReadOnlyList<long[]> ParameterShapes => d.ParameterShapes;

    public double[][] Initialise(Rng rng, double alpha) => d.Initialise(rng, alpha);

    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p) => d.Forward(a, p);

    public (Tensor z, Tensor? dz) Tangent(
        Tensor a,
        Tensor? da,
        ReadOnlySpan<Tensor> p,
        ReadOnlySpan<Tensor> dp
    ) => _rule(a, da, p, dp);

    public string Describe() => name;
}
