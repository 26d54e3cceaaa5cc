// GEMM rate of TorchSharp's libtorch from .NET at the shapes of the benches (issue 15 item 4):
// [1000 × 784] × [784 × 256] (the first layer of bench telescoping), [1000 × 2560] × [2560 × 1000] (bench ntk's
// largest contraction) and 2048³, as matmul and as nn.functional.linear (B transposed), at 1 and 2 threads.
//
//   telescope script scripts/gemm-probe.csx [--repeats 30]
//   MKL_VERBOSE=1 telescope script scripts/gemm-probe.csx      # which oneMKL code path (ISA) runs
//   MKL_ENABLE_INSTRUCTIONS=AVX2 telescope script scripts/gemm-probe.csx
//   TELESCOPE_MKL_AVX512=0 telescope script scripts/gemm-probe.csx   # MKL's own path (AVX2 on AMD)
//
// Environment variables reach libtorch only when set before the process starts (the loader reads them then).
using System.Diagnostics;
using static TorchSharp.torch;

int repeats = Option("--repeats", 30);
Telescope.Native.TorchRuntime.EnsureLoaded();
foreach (var v in new[] { "MKL_ENABLE_INSTRUCTIONS", "MKL_DEBUG_CPU_TYPE", "MKL_CBWR", "OMP_WAIT_POLICY", "MKL_VERBOSE", "DNNL_MAX_CPU_ISA" })
    Console.WriteLine($"{v} = {Telescope.Native.NativeLibraries.NativeEnvironment(v) ?? "(unset)"}");
Console.WriteLine($"mkl path = {Telescope.Native.MklDispatch.State}   (TELESCOPE_MKL_AVX512=0 keeps MKL's own choice)");
double Median(Action a)
{
    for (int i = 0; i < 5; i++) a();
    var t = new double[repeats];
    for (int i = 0; i < repeats; i++) { var sw = Stopwatch.StartNew(); a(); t[i] = sw.Elapsed.TotalSeconds; }
    Array.Sort(t);
    return t[repeats / 2];
}
var verbose = Telescope.Native.NativeLibraries.NativeEnvironment("MKL_VERBOSE") is "1" or "2";
foreach (int threads in new[] { 1, 2 })
{
    set_num_threads(threads);
    foreach (var (m, k, n) in new[] { (1000, 784, 256), (1000, 2560, 1000), (2048, 2048, 2048) })
    {
        var a = rand(m, k);
        var b = rand(k, n);
        var bt = rand(n, k);
        double mm = Median(() => { using var s = NewDisposeScope(); a.matmul(b); });
        double lin = Median(() => { using var s = NewDisposeScope(); nn.functional.linear(a, bt); });
        double f = 2.0 * m * k * n / 1e9;
        Console.WriteLine($"threads {threads}  {m}×{k}×{n}  matmul {mm * 1e3,8:F3} ms {f / mm,7:F1} GFLOP/s   linear {lin * 1e3,8:F3} ms {f / lin,7:F1} GFLOP/s");
        if (verbose) break;
    }
    if (verbose) break;
}
