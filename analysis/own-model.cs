#!/usr/bin/env dotnet
// Your model, your data, your training loop, with exact attribution, as a .NET 10 file-based app: the body of
// own-model.csx (synthetic two moons CSV, residual LayerNorm/GELU network, TorchSharp's Adam watched by the
// TelescopeRecorder, then a declared-SGD run whose attributions sum to f̃_T − f̃_0; a test checks its attributions
// equal own-model.fsx's), built against the repository's projects by the #:project lines.
//
//   dotnet run analysis/own-model.cs [-- --steps 200 --out DIR]
//
// Writes DIR (default out/analysis/own-model-cs/): moons.csv, trajectories.csv/.parquet, attribution.csv,
// figure.html (+ plotly.min.js), run.json.
#:project ../src/Telescope.Experiments/Telescope.Experiments.csproj
#:project ../src/Telescope.Frames.Parquet/Telescope.Frames.Parquet.csproj
#:property Configuration=Release
#:property PublishAot=false
using System.Globalization;
using System.Text.Json;
using Deedle;
using Telescope;
using Telescope.Data;
using Telescope.Frames;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Plots;
using Telescope.Experiments.Hosting;
using Telescope.Telescoping;
using Telescope.Training;
using TorchSharp;

// what `telescope script` gives a .csx as globals (Option, OutDir), from the library
var script = new ScriptArgs(args);
var config = new
{
    Steps = script.Option("--steps", 200),
    Rows = 120,
    Noise = 0.1,
    Width = 16,
    Blocks = 2,
    Batch = 16,
    AdamLr = 0.01,
    SgdLr = 0.1,
    TopK = 3,
    Seed = 0L,
};
Console.WriteLine($"== own-model (C#, synthetic two moons) — {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC\n   config: {JsonSerializer.Serialize(config)}");
var outDir = script.OutDir("own-model-cs");
string File_(string name) => Path.Combine(outDir, name);
string Sci(double v) => v.ToString("0.00e+00", CultureInfo.InvariantCulture);

// 1. your data: a CSV file of synthetic two moons (seeded), read back by the library's CSV loader
var rng = new Rng(config.Seed);
var moons = Enumerable.Range(0, config.Rows).Select(i =>
{
    int label = i % 2;
    double t = Math.PI * rng.NextDouble();
    var (x1, x2) = label == 0 ? (Math.Cos(t), Math.Sin(t)) : (1 - Math.Cos(t), 0.5 - Math.Sin(t));
    x1 += config.Noise * rng.NextGaussian();
    x2 += config.Noise * rng.NextGaussian();
    return string.Create(CultureInfo.InvariantCulture, $"{x1:F6},{x2:F6},{label}");
});
File.WriteAllLines(File_("moons.csv"), moons.Prepend("x1,x2,label"));
var (train, test) = CsvData.Load(File_("moons.csv"), "label").Split(0.2, config.Seed);
var source = $"synthetic two moons ({config.Rows} rows, noise {config.Noise}, seed {config.Seed}) from {File_("moons.csv")}";
Console.WriteLine($"data: {source}; {train.Count} train / {test.Count} test rows");

// 2. your model: Dense(2→16), two residual blocks LayerNorm–Dense–GELU–Dense, LayerNorm, Dense(→1)
var model = new ModelSpec(ModelKind.Residual, Enumerable.Repeat(config.Width, config.Blocks).ToArray(), ActivationKind.Gelu);
Network Build() => model.Build(train.Shape, train.Outputs, 0, torch.ScalarType.Float64, torch.CPU);
var probe = Probe.Of(train, test, train.Count, test.Count); // every train row (batches index them), then every test row

// 3. your loop: any optimiser stepping net.Parameters; the lens is told each step's batch and rate
var x = train.Inputs(torch.ScalarType.Float64, torch.CPU);
var y = train.Targets(torch.ScalarType.Float64, torch.CPU);
var labels = train.LabelTensor(torch.CPU);
void Train(Network net, torch.optim.Optimizer opt, double lr, TelescopeRecorder lens)
{
    var sampler = new BatchSampler(train.Count, config.Batch, config.Seed);
    for (int t = 1; t <= config.Steps; t++)
    {
        using var scope = torch.NewDisposeScope();
        var batch = sampler.Next();
        var idx = torch.tensor(batch.Select(i => (long)i).ToArray());
        opt.zero_grad();
        var loss = Loss.Compute(LossKind.Squared, net.Forward(x.index_select(0, idx)), y.index_select(0, idx), labels.index_select(0, idx));
        loss.backward();
        opt.step();
        lens.Step(batch, lr, loss.item<double>());
    }
}
RunKey Key(string run) => new("own-model", run, config.Seed, []);

// run 1: TorchSharp's Adam, recorded every 10 steps (f, f̃, f_lin; rows streamed to an in-memory sink)
var adamRows = new ObservationList();
using (var net = Build())
using (var lens = TelescopeRecorder.Attach(net, probe, new RecorderOptions { RecordEvery = 10 }, adamRows))
    Train(net, torch.optim.Adam(net.Parameters, config.AdamLr), config.AdamLr, lens);
var trajectories = TidyFrames.FromObservations(Key("adam"), adamRows.Items);
TidyFrames.SaveCsv(trajectories, File_("trajectories.csv"));
TidyParquet.Save(trajectories, File_("trajectories.parquet"));
double Final(string quantity) => adamRows.Items.Single(o => o.Quantity == quantity && o.Split == "test" && o.Step == config.Steps).Value;
Console.WriteLine(
    $"Adam (TorchSharp), {config.Steps} steps, synthetic two moons: test accuracy f {Final("accuracy"):0.000}, f̃ {Final("telescoped_accuracy"):0.000}; "
        + $"test mean|f − f̃| = {Sci(Final("telescoping_error"))}, mean|f − f_lin| = {Sci(Final("linearised_error"))}"
);

// run 2: the same θ_0 and batches, plain SGD with its rule declared: exact attribution, split by layer too
var sgdRows = new ObservationList();
TrajectoryTensors traj;
TrainingAttribution attr;
using (var net = Build())
using (var lens = TelescopeRecorder.Attach(net, probe, new RecorderOptions { RecordEvery = 10, ByLayer = true, UpdateRule = new OptimizerSpec(OptimizerKind.Sgd, config.SgdLr), Attribution = true }, sgdRows))
{
    Train(net, torch.optim.SGD(net.Parameters, config.SgdLr), config.SgdLr, lens);
    (traj, attr) = (lens.Trajectory(), lens.Attribution()); // owned here: they outlive the lens
}

// the check: Σ_i A(x, z_i) = f̃_T(x) − f̃_0(x) for every probe point x
var change = traj.FTelescoped.select(0, traj.FTelescoped.shape[0] - 1).sub(traj.FTelescoped.select(0, 0));
double scale = change.abs().max().item<double>();
double gap = attr.Total.sum(2).add(attr.WeightDecay).sub(change).abs().max().item<double>();
Console.WriteLine(
    $"SGD (TorchSharp, rule declared), {config.Steps} steps, synthetic two moons: check max|Σ_i A(x, z_i) − (f̃_T(x) − f̃_0(x))| = {Sci(gap)} "
        + $"(max|f̃_T − f̃_0| = {scale:0.000}; per-step residual {Sci(attr.MaxResidual)})"
);

// the top-k training rows for the first three test points
string Row(Dataset d, int i)
{
    var r = d.Inputs(torch.ScalarType.Float64, torch.CPU)[i].data<double>().ToArray();
    return string.Create(CultureInfo.InvariantCulture, $"({r[0]:+0.00;-0.00}, {r[1]:+0.00;-0.00}) label {d.Labels[i]}");
}
var top = attr.TopK(config.TopK).ToList();
for (int p = 0; p < 3; p++)
{
    Console.WriteLine($"test point {p} {Row(test, p)}: f̃_T − f̃_0 = {change[train.Count + p, 0].item<double>():+0.000;-0.000}, top {config.TopK} training rows:");
    foreach (var o in top.Where(o => o.Example == p))
    {
        int i = int.Parse(o.Coordinates!.Single(c => c.Key == "train_example").Value, CultureInfo.InvariantCulture);
        Console.WriteLine($"    row {i,3} {Row(train, i)}  A = {o.Value:+0.0000;-0.0000}");
    }
}

// outputs: one tidy table for the figure, the figure, run.json
var layers = sgdRows.Items.Where(o => o.Quantity == "f_telescoped_layer");
TidyFrames.SaveCsv(TidyFrames.FromObservations(Key("sgd"), [.. attr.ToObservations(false), .. attr.TopK(config.TopK), .. layers, .. traj.ToObservations()]), File_("attribution.csv"));
AttributionFigures.attribution(
    File_("attribution.csv"),
    File_("figure.html"),
    $"{source}\nresidual LayerNorm/GELU MLP (width {config.Width}, {config.Blocks} blocks), plain SGD γ = {config.SgdLr}, {config.Steps} steps, batch {config.Batch}; Σ_i A − (f̃_T − f̃_0) = {Sci(gap)}"
);
var manifest = new RunManifest
{
    Study = "own-model (C#)",
    Config = JsonSerializer.SerializeToNode(config)!,
    DataSource = source,
    Seeds = [config.Seed],
    Status = "completed",
    Finished = DateTime.UtcNow.ToString("o"),
};
manifest.Outputs.AddRange(["moons.csv", "trajectories.csv", "trajectories.parquet", "attribution.csv", "figure.html", Offline.PlotlyFileName]);
manifest.Save(outDir);
traj.Dispose();
attr.Dispose();
Console.WriteLine($"wrote {outDir}");
