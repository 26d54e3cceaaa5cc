// Your model, your data, your training loop (issue 17), the C# twin of own-model.fsx: the same synthetic two
// moons CSV written and read back by the library's CSV loader, the same residual LayerNorm/GELU network, the
// same loop with TorchSharp's torch.optim.Adam watched by the TelescopeRecorder (f_t, f̃_t, f_lin,t), and the
// same exact training-data attribution from a second run with plain torch.optim.SGD and that rule declared
// (TorchSharp's Adam does not expose its preconditioner φ_t).
//
//   dotnet build src/Telescope.Cli -c Release
//   telescope script analysis/own-model.csx [--steps 200] [--out DIR]
//
// Writes DIR (default out/analysis/own-model-csx/): moons.csv, trajectories.csv/.parquet, attribution.csv,
// figure.html (+ plotly.min.js), run.json.
using System.Text.Json;
using TorchSharp;

var config = new
{
    Steps = Option("--steps", 200),
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
var outDir = OutDir("own-model-csx");
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
// how much the rows' contributions cancel: net = Σ_i A = f̃_T − f̃_0, gross = Σ_i |A|
var cancellation = attr.Cancellation("test").ToList();
double Cancel(string q, int p) => cancellation.Single(o => o.Quantity == q && o.Example == p).Value;
for (int p = 0; p < 3; p++)
{
    double net = Cancel("attribution_net", p),
        gross = Cancel("attribution_gross", p);
    Console.WriteLine(
        string.Create(
            CultureInfo.InvariantCulture,
            $"test point {p} {Row(test, p)}: f̃_T − f̃_0 = {net:+0.000;-0.000}, but Σ_i |A(x, z_i)| = {gross:0.000} ({gross / Math.Max(Math.Abs(net), 1e-300):0}× the net change: the rows' contributions cancel)"
        )
    );
    Console.WriteLine(
        $"    the {config.TopK} largest contributions |A| — additive shares of f̃ along THIS trajectory, not the rows whose removal would move the prediction most (that is leave-one-out by replay: telescope study attribution-ladder); running sum beside each:"
    );
    double running = 0;
    foreach (var o in top.Where(o => o.Example == p))
    {
        int i = int.Parse(o.Coordinates!.Single(c => c.Key == "train_example").Value, CultureInfo.InvariantCulture);
        running += o.Value;
        Console.WriteLine(
            string.Create(CultureInfo.InvariantCulture, $"    row {i,3} {Row(train, i)}  A = {o.Value:+0.0000;-0.0000}   running Σ = {running:+0.0000;-0.0000} of {net:+0.0000;-0.0000}")
        );
    }
}

// outputs: one tidy table for the figure, the figure, run.json
var layers = sgdRows.Items.Where(o => o.Quantity == "f_telescoped_layer");
TidyFrames.SaveCsv(TidyFrames.FromObservations(Key("sgd"), [.. attr.ToObservations(false), .. attr.TopK(config.TopK), .. cancellation, .. layers, .. traj.ToObservations()]), File_("attribution.csv"));
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
