// The crash of issue 24 in twenty lines: a temporary tensor outside any dispose scope, finalised by the GC while
// libtorch reads it. TorchSharp 0.107 keeps no reference to `x.matmul(r.t())` during the native relu, so the GC
// thread below can free its storage under clamp_min_scalar_kernel_impl (SIGSEGV, exit 139). With MIN_SCOPED=1 the
// same loop runs inside a dispose scope, which holds the temporary until the scope ends: no crash.
//
//   DOTNET_TieredCompilation=0 telescope script scripts/lifetime-repro.csx               # SIGSEGV (3 of 3 here)
//   DOTNET_TieredCompilation=0 MIN_SCOPED=1 telescope script scripts/lifetime-repro.csx  # completes (2 of 2)
//
// (A fully optimised JIT ends a local's life at its last use; tier-0 code keeps it to the end of the method and
// hides the fault until the method is re-jitted.) The engine's rule and its tests: src/Telescope.Core/Tensors/Lifetimes.cs.
using System.Threading;
using TorchSharp;
using static TorchSharp.torch;
Telescope.Native.TorchRuntime.EnsureLoaded();
torch.set_num_threads(1);
bool scoped = Environment.GetEnvironmentVariable("MIN_SCOPED") == "1";
int iters = int.Parse(Environment.GetEnvironmentVariable("MIN_ITERS") ?? "400");
var stop = false;
var gc = new Thread(() => { while (!Volatile.Read(ref stop)) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
gc.Start();
var x = torch.randn(new long[] { 1500, 784 }, dtype: ScalarType.Float64);
var r = torch.randn(new long[] { 512, 784 }, dtype: ScalarType.Float64);
double total = 0;
for (int i = 0; i < iters; i++)
{
    using var scope = scoped ? torch.NewDisposeScope() : null;
    // as FixedFeatures.Forward: relu(x Rᵀ), the product a temporary that nothing references during relu
    var z = nn.functional.relu(x.matmul(r.t()));
    total += z.sum().item<double>();
    if (!scoped) z.Dispose();
}
stop = true;
Console.WriteLine($"minimal: {iters} iterations, scoped={scoped}, no crash ({total:G4})");
