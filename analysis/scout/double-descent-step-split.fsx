// Where a double-descent study run spends its time (issue 29, "many runs at once"): one width of the issue-29
// setting (n = 100 training rows, 100 tracked test rows, d = 16 inputs, tanh, full batch, plain SGD γ = 0.1,
// float64, 1 thread), timed per part of SmootherTrajectory's step loop:
//   train  — snapshot θ_{t−1}, forward on the batch, ½(y − f)² loss, backward, the SGD step, Δθ
//   lens   — the telescoped increment f̃ += ∇f_{θ_{t−1}}(X_all)ᵀΔθ_t (one JVP over N = 200 rows)
//   smooth — one A3 smoother step (kernel K_{t−1}(X_all, X_B) [N, b] and S, c update)
//   record — one log-grid record's smoother work (effective parameters p_train, p_test; f̂ = S y + c)
// Wall time and the process's CPU time per part (the machine is shared).
// Inputs are seeded Gaussian draws of the study's shapes (timing does not depend on the values).
// Run after `dotnet build src/Telescope.Analytics -c Release`:
//   nice -n 10 dotnet fsi analysis/scout/double-descent-step-split.fsx WIDTH STEPS
#load "../prelude.fsx"

open System.Diagnostics
open TorchSharp
open Telescope.Models
open Telescope.Optim
open Telescope.Smoothing
open Telescope.Training

let width, steps =
    match fsi.CommandLineArgs |> Array.tail with
    | [| w; t |] -> int w, int t
    | _ ->
        eprintfn "usage: dotnet fsi analysis/scout/double-descent-step-split.fsx WIDTH STEPS"
        exit 2

Telescope.Native.TorchRuntime.EnsureLoaded()
Telescope.Native.TorchRuntime.SetThreads 1 |> ignore
let n, m, d, lr = 100, 100, 16, 0.1
let dt = torch.ScalarType.Float64
let dev = torch.CPU
let scope0 = torch.NewDisposeScope()
torch.manual_seed 0L |> ignore
let xAll = torch.randn ([| int64 (n + m); int64 d |], dtype = dt)
let xTrain = xAll.narrow (0, 0L, int64 n)
let yTrain = torch.randint(0L, 2L, [| int64 n; 1L |]).to_type dt

let net =
    (ModelSpec(ModelKind.Mlp, [| width |], ActivationKind.Tanh)).Build([| d |], 1, 0L, dt, dev)

let spec = OptimizerSpec(OptimizerKind.Sgd, lr)

let smoother =
    new Smoother(net, xAll, n, LossKind.Squared, spec, SmootherMethod.SgdKernel)

let fTel = smoother.C.clone ()
let opt = new Optimizer(spec, net.Parameters.Count)
let sampler = BatchSampler(n, n, 0L)
let ps = net.Parameters |> Seq.map (fun p -> p :> torch.Tensor) |> Array.ofSeq
let yTrain64 = yTrain.reshape (-1L)

let swTrain, swLens, swSmooth, swRecord =
    Stopwatch(), Stopwatch(), Stopwatch(), Stopwatch()
// CPU time of the process per part as well (the machine is shared, so wall time includes waiting for a core)
let proc = Process.GetCurrentProcess()

let cpu () =
    proc.Refresh()
    proc.TotalProcessorTime.TotalMilliseconds

let cpuParts = Array.zeroCreate<float> 3
let total = Stopwatch.StartNew()

for t in 1..steps do
    use scope = torch.NewDisposeScope()
    let batch = sampler.Next()
    let c0 = cpu ()
    swTrain.Start()
    let idx = torch.tensor (batch |> Array.map int64)
    let thetaPrev = net.Snapshot()

    for p in net.Parameters do
        if not (isNull p.grad) then
            p.grad.zero_ () |> ignore

    let fb = net.Forward(xTrain.index_select (0L, idx))
    let loss = (fb - yTrain.index_select (0L, idx)).square().sum(1L).mean() * 0.5
    loss.backward ()
    let g = opt.Apply ps

    let delta =
        use _ = torch.no_grad ()
        ps |> Array.mapi (fun i p -> p.detach () - thetaPrev.[i])

    swTrain.Stop()
    let c1 = cpu ()
    swLens.Start()
    let struct (_, jvp) = net.Tangent(xAll, thetaPrev, delta)
    fTel.add_ (jvp.reshape (-1L)) |> ignore
    swLens.Stop()
    let c2 = cpu ()
    swSmooth.Start()
    smoother.Step(int64 t, g, thetaPrev, batch, opt.LastInvPhi)
    swSmooth.Stop()
    let c3 = cpu ()
    cpuParts.[0] <- cpuParts.[0] + c1 - c0
    cpuParts.[1] <- cpuParts.[1] + c2 - c1
    cpuParts.[2] <- cpuParts.[2] + c3 - c2

let records = 20
swRecord.Start()

for _ in 1..records do
    use scope = torch.NewDisposeScope()
    smoother.EffectiveParameters() |> ignore
    smoother.Predict(yTrain64) |> ignore

swRecord.Stop()
total.Stop()
let ms (sw: Stopwatch) = sw.Elapsed.TotalMilliseconds
let perStep (sw: Stopwatch) = ms sw / float steps
let loop = ms swTrain + ms swLens + ms swSmooth

printfn
    "h = %d (P = %d), %d steps, 1 thread: train %.3f ms/step (%.0f %%), lens %.3f ms/step (%.0f %%), smoother %.3f ms/step (%.0f %%); one record's p_train/p_test + f̂: %.3f ms; total %.1f s"
    width
    net.ParameterCount
    steps
    (perStep swTrain)
    (100.0 * ms swTrain / loop)
    (perStep swLens)
    (100.0 * ms swLens / loop)
    (perStep swSmooth)
    (100.0 * ms swSmooth / loop)
    (ms swRecord / float records)
    total.Elapsed.TotalSeconds

let cpuLoop = Array.sum cpuParts

printfn
    "  CPU time: train %.3f ms/step (%.0f %%), lens %.3f ms/step (%.0f %%), smoother %.3f ms/step (%.0f %%)"
    (cpuParts.[0] / float steps)
    (100.0 * cpuParts.[0] / cpuLoop)
    (cpuParts.[1] / float steps)
    (100.0 * cpuParts.[1] / cpuLoop)
    (cpuParts.[2] / float steps)
    (100.0 * cpuParts.[2] / cpuLoop)
