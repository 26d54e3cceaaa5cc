using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tensors;

/// <summary>
/// Tensor–scalar operations that keep their <see cref="Scalar"/> alive across the native call.
/// TorchSharp 0.107 passes a Scalar's raw handle to libtorch without <c>GC.KeepAlive</c>; a temporary
/// Scalar from an implicit conversion (<c>t.mul(0.5)</c>, <c>t.add_(u)</c> with its implicit α = 1)
/// can then be finalised by the GC during the call, and libtorch fails with "Expected false to be
/// true … toDouble" (seen here after minutes of training). Every scalar the engine passes goes through
/// these helpers: constants are static (always reachable), others are held in a local until after the
/// call. That includes the α = 1 TorchSharp adds itself to <c>add_(Scalar)</c> (a run died in
/// THSTensor_add_scalar_ before <see cref="PlusConstInPlace"/> passed its own).
/// </summary>
public static class ScalarSafe
{
    private static readonly Scalar One = 1.0.ToScalar();
    private static readonly Scalar MinusOne = (-1.0).ToScalar();
    private static readonly Scalar Two = 2.0.ToScalar();

    /// <summary>Apply <paramref name="op"/> to a Scalar of value <paramref name="c"/> that stays alive until it returns.</summary>
    private static Tensor Keep(double c, Func<Scalar, Tensor> op)
    {
        using var s = c.ToScalar();
        var r = op(s);
        GC.KeepAlive(s);
        return r;
    }

    /// <summary>a² elementwise (libtorch's <c>pow(a, 2)</c>, which is what <c>square()</c> calls with a temporary Scalar).</summary>
    public static Tensor Squared(this Tensor a) => a.pow(Two);

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b (in place).</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a − b.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.add(b, MinusOne);

    /// <summary>a −= b (in place).</summary>
    public static Tensor MinusInPlace(this Tensor a, Tensor b) => a.add_(b, MinusOne);

    /// <summary>a + α·b.</summary>
    public static Tensor PlusScaled(this Tensor a, Tensor b, double alpha) =>
        Keep(alpha, s => a.add(b, s));

    /// <summary>a += α·b (in place).</summary>
    public static Tensor PlusScaledInPlace(this Tensor a, Tensor b, double alpha) =>
        Keep(alpha, s => a.add_(b, s));

    /// <summary>c·a.</summary>
    public static Tensor Times(this Tensor a, double c) => Keep(c, s => a.mul(s));

    /// <summary>a ← c·a (in place).</summary>
    public static Tensor TimesInPlace(this Tensor a, double c) => Keep(c, s => a.mul_(s));

    /// <summary>a + c.</summary>
    public static Tensor PlusConst(this Tensor a, double c) => Keep(c, s => a.add(s, One));

    /// <summary>a ← a + c (in place).</summary>
    public static Tensor PlusConstInPlace(this Tensor a, double c) => Keep(c, s => a.add_(s, One));

    /// <summary>a ← a / c (in place).</summary>
    public static Tensor DivideInPlace(this Tensor a, double c) => Keep(c, s => a.div_(s));

    /// <summary>1[a &gt; c] as a boolean tensor.</summary>
    public static Tensor GreaterThan(this Tensor a, double c) => Keep(c, s => a.gt(s));

    /// <summary>a[..., index[j], ...] += src[..., j, ...] along <paramref name="dim"/> (in place; α = 1 kept alive).</summary>
    public static Tensor IndexAddInPlace(this Tensor a, long dim, Tensor index, Tensor src) =>
        a.index_add_(dim, index, src, One);

    /// <summary>a ← a + c·(x ⊙ y) (in place).</summary>
    public static Tensor AddProductInPlace(this Tensor a, Tensor x, Tensor y, double c) =>
        Keep(c, s => a.addcmul_(x, y, s));
}
