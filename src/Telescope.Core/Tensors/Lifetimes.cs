using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Tensors;

/// <summary>
/// The lifetime rule of the engine: <b>a tensor stays reachable while libtorch reads it.</b>
/// <para>
/// TorchSharp 0.107 passes a tensor's raw handle to libtorch and keeps no reference to the managed wrapper across
/// the call (no <c>GC.KeepAlive</c>). A temporary that nothing else references — the product in
/// <c>relu(x.matmul(Rᵀ))</c>, a layer's output handed to the next layer — can then be finalised by the GC on the
/// finalizer thread while the native op runs; its storage is freed under the kernel. That was the SIGSEGV in
/// <c>clamp_min_scalar_kernel_impl</c> (the ReLU of <see cref="Models.FixedFeatures"/>, float64) that ended up to one
/// valid run in three on a loaded machine: <see cref="Telescoping.Trajectory.Run"/> computed f_0 outside any dispose
/// scope. A dispose scope holds every tensor created in it, so a temporary made inside one stays reachable until the
/// scope ends (and is freed then, deterministically, on its own thread).
/// </para>
/// <para>
/// Hence: every engine entry point that makes tensors opens a <c>torch.NewDisposeScope()</c> for its temporaries and
/// moves its results out (<see cref="Models.Network.Forward(Tensor, IReadOnlyList{Tensor})"/>,
/// <see cref="Models.Network.Tangent"/>, <see cref="Telescoping.Trajectory.Run"/>, the recorder's steps, each training
/// step); hosts run each study run inside one (<see cref="Hosting.StudyRun.Execute"/>); and an entry point keeps its
/// arguments alive until it returns (<see cref="KeepAlive(Tensor, IReadOnlyList{Tensor})"/>), since a caller's
/// temporary argument is referenced by nothing else. Scalars follow the same rule through <see cref="ScalarSafe"/>.
/// </para>
/// </summary>
public static class Lifetimes
{
    /// <summary>Keep <paramref name="x"/> and the tensors of <paramref name="theta"/> reachable until this point.</summary>
    public static void KeepAlive(Tensor x, IReadOnlyList<Tensor> theta)
    {
        GC.KeepAlive(x);
        GC.KeepAlive(theta);
    }

    /// <summary>Keep <paramref name="x"/>, <paramref name="theta"/> and <paramref name="direction"/> reachable until this point.</summary>
    public static void KeepAlive(
        Tensor x,
        IReadOnlyList<Tensor> theta,
        IReadOnlyList<Tensor> direction
    )
    {
        GC.KeepAlive(x);
        GC.KeepAlive(theta);
        GC.KeepAlive(direction);
    }
}
