(**
---
title: Kernels and smoothers
category: Concepts
categoryindex: 2
index: 2
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Kernels and smoothers

Each telescoped step is a kernel step: for SGD on squared loss,
$\nabla f_{\theta_{t-1}}(x)^\top\Delta\theta_t = -\frac{\gamma}{b} \sum_{i\in B} K_{t-1}(x, x_i)\,(f(x_i) - y_i)$, with the empirical tangent kernel
$K_\theta(x, x') = \nabla f_\theta(x)^\top\nabla f_\theta(x')$. `Telescope.Kernels.Ntk` computes it for any network (structured per-layer products,
explicit Jacobians, or a per-example loop; all exact):
*)
open TorchSharp
open Telescope
open Telescope.Data
open Telescope.Kernels
open Telescope.Models
open Telescope.Native
open Telescope.Optim
open Telescope.Smoothing

let struct (train, test) = BinaryDigits.Synthetic(60, 30, 0L)
let dtype, device = torch.ScalarType.Float64, TorchRuntime.Device "cpu"

let net =
    ModelSpec(ModelKind.Mlp, [| 16 |]).Build(train.Shape, train.Outputs, 0L, dtype, device)

let x = train.Inputs(dtype, device)
let k0 = Ntk.Compute(net, x, x)
let viaJacobian = Ntk.Compute(net, x, x, method = NtkMethod.Jacobian)

printfn
    "K: %A, symmetric: %b, structured = Jacobian to %.1g"
    k0.shape
    (k0.allclose (k0.t ()))
    (k0.sub(viaJacobian).abs().max().item<float>())
(*** include-output ***)
(**
The kernel at initialisation over the 60 training rows (the synthetic stand-in's two classes, in order):
*)
let k0Rows = k0.data<float>().ToArray() |> Array.chunkBySize (int k0.shape.[1])

XPlot.Plotly.Heatmap(z = k0Rows, colorscale = "Viridis")
|> XPlot.Plotly.Chart.Plot
|> XPlot.Plotly.Chart.WithLayout(
    Telescope.Plots.FrameFigures.layoutAt Page.column "Empirical NTK K(x_i, x_j) at θ₀" "training row j" "training row i" false false
)
|> Page.figure
(*** include-it-raw ***)
(**
Unrolling the steps writes the telescoped model as a **linear smoother** of the training labels,
f̃(x) = S(x)·y + c(x). `SmootherTrajectory` carries S and c along the real run and reports how closely the
smoother f̂ follows f̃ (`smoother_gap`), the effective number of parameters p (`effective_parameters`) and a validity
gate:
*)
let sink = ObservationList()

let result =
    SmootherTrajectory.Run(net, train, test, SmootherConfig(100, 20, OptimizerSpec(OptimizerKind.Sgd, 0.05), 0L), sink)

let final q split =
    sink.Items
    |> Seq.filter (fun o -> o.Quantity = q && o.Split = split)
    |> Seq.last
    |> fun o -> o.Value

printfn
    "steps %d; test: telescoping error %.3g, smoother gap %.3g, p = %.2f; train p = %.2f"
    result.StepsCompleted
    (final "telescoping_error" "test")
    (final "smoother_gap" "test")
    (final "effective_parameters" "test")
    (final "effective_parameters" "train")
(*** include-output ***)
(**
At study scale the smoother is behind `telescope study grokking` and `telescope study double-descent`;
this page replaces the archived notebook `analysis/notebooks/kernels-smoothers.ipynb`.
*)
