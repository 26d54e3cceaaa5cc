#!/usr/bin/env dotnet
// Your own training loop watched by the telescoping lens (docs/own-loop.md, whose snippet is the region below,
// checked by a test): TorchSharp's Adam steps the library's network, TelescopeRecorder records f_t, f̃_t and
// f_lin,t. A .NET 10 file-based app: `dotnet run analysis/own-loop.cs` builds against the repository's projects
// (the #:project line; with a packed feed use `#:package Telescope.Analytics@0.1.0` instead).
#:project ../src/Telescope.Core/Telescope.Core.csproj
#:property Configuration=Release
using Telescope;
using Telescope.Data;
using Telescope.Models;
using Telescope.Telescoping;
using Telescope.Training;
using TorchSharp;
using static TorchSharp.torch;

// region own-loop
var (train, test) = BinaryDigits.Synthetic(train: 200, test: 100, dataSeed: 0); // or your own Dataset
using var net = new ModelSpec(ModelKind.Mlp, [64, 64], ActivationKind.Tanh)
    .Build(train.Shape, train.Outputs, seed: 0, ScalarType.Float64, CPU);
var probe = Probe.Of(train, test, maxTrain: train.Count); // train rows first: batches index them
var x = train.Inputs(ScalarType.Float64, CPU); // [n, d]
var y = train.Targets(ScalarType.Float64, CPU); // [n, k]
var labels = train.LabelTensor(CPU);
const int T = 200;
const double lr = 1e-3;
var adam = torch.optim.Adam(net.Parameters, lr); // TorchSharp steps the library's θ in place
var sink = new ObservationList(); // or a TidyCsvWriter, streaming to disk
using var lens = TelescopeRecorder.Attach(net, probe, new RecorderOptions { RecordEvery = 10 }, sink);
var sampler = new BatchSampler(train.Count, 32, seed: 0);
for (int t = 1; t <= T; t++)
{
    using var scope = torch.NewDisposeScope(); // safe: the recorder keeps nothing in it
    var b = sampler.Next(); // row indices of this batch
    var idx = torch.tensor(b.Select(i => (long)i).ToArray());
    adam.zero_grad();
    var loss = Loss.Compute(
        LossKind.Squared,
        net.Forward(x.index_select(0, idx)),
        y.index_select(0, idx),
        labels.index_select(0, idx)
    );
    loss.backward();
    adam.step();
    lens.Step(b, lr, loss.item<double>()); // or lens.Step() when nothing else is known
}
// endregion

double Last(string quantity) =>
    sink.Items.Last(o => o.Quantity == quantity && o.Split == "test").Value;
Console.WriteLine(
    $"own loop, TorchSharp Adam, {T} steps: test accuracy {Last("accuracy"):F3}; "
        + $"mean|f − f̃| = {Last("telescoping_error"):E2}, mean|f − f_lin| = {Last("linearised_error"):E2}"
);
