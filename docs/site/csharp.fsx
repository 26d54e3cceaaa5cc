(**
---
title: Getting started (C#)
category: Guides
categoryindex: 1
index: 2
---
*)
(*** hide ***)
#load "../page.fsx" // the Release build's assemblies; a user writes the #r "nuget:" lines shown below
(**
# Getting started in C#

The core is C#: add the package (`dotnet add package Telescope.Analytics --source /path/to/feed`, the feed
packed by `scripts/pack.sh`) and call it directly:

```csharp
using Telescope;
using Telescope.Data;
using Telescope.Models;
using Telescope.Native;
using Telescope.Optim;
using Telescope.Telescoping;
using Telescope.Training;

var (train, test) = BinaryDigits.Synthetic(train: 100, test: 50);
using var net = new ModelSpec(ModelKind.Mlp, [16])
    .Build(train.Shape, train.Outputs, 0, TorchSharp.torch.ScalarType.Float64, TorchRuntime.Device("cpu"));
var sink = new ObservationList();
var cfg = new TrajectoryConfig(20, 50, LossKind.Squared, new OptimizerSpec(OptimizerKind.Sgd, 0.1), 0);
var result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink);
Console.WriteLine($"rows={sink.Items.Count} ok={result.Succeeded}");
```

This page is evaluated by an F# tool, so here are the same calls, one for one, from F# (the C# API needs
nothing from the F# face):
*)
open Telescope
open Telescope.Data
open Telescope.Models
open Telescope.Native
open Telescope.Optim
open Telescope.Telescoping
open Telescope.Training

let struct (train, test) = BinaryDigits.Synthetic(100, 50, 0L)

let net =
    ModelSpec(ModelKind.Mlp, [| 16 |])
        .Build(train.Shape, train.Outputs, 0L, TorchSharp.torch.ScalarType.Float64, TorchRuntime.Device "cpu")

let sink = ObservationList()

let cfg =
    TrajectoryConfig(20, 50, LossKind.Squared, OptimizerSpec(OptimizerKind.Sgd, 0.1), 0L)

let result = Trajectory.Run(net, train, Probe.Of(train, test), cfg, sink)
printfn "rows=%d ok=%b" sink.Items.Count result.Succeeded
(*** include-output ***)
(**
To write the rows to disk as a tidy CSV (the format every `telescope` command writes), give a `TidyCsvWriter`
as the sink instead of an `ObservationList`; `TidyFrames`/`TidyQueries` (Deedle) and `TidyParquet` read,
aggregate and convert such tables.
*)
