#!/usr/bin/env dotnet
// Approximation quality of the telescoping model (paper Figs 2, 7, 8) as a .NET 10 file-based app: the body of
// approximation.csx (same runs, table and figure; a test checks its table equals approximation.fsx's), built against
// the repository's projects by the #:project lines (with a packed feed: `#:package Telescope.Analytics@0.1.0`).
//
//   dotnet run analysis/approximation.cs [-- --steps 100 --out DIR]
//
// Writes DIR (default out/analysis/approximation-cs/): table.csv, table.parquet, trajectories.csv,
// figure.html (+ plotly.min.js), figure.png when Chromium is installed, run.json.
#:project ../src/Telescope.Experiments/Telescope.Experiments.csproj
#:project ../src/Telescope.Frames.Parquet/Telescope.Frames.Parquet.csproj
#:property Configuration=Release
#:property PublishAot=false
using System.Text.Json;
using Deedle;
using Telescope.Frames;
using Telescope.Models;
using Telescope.Optim;
using Telescope.Plots;
using Telescope.Hosting;
using Telescope.Experiments.Hosting;
using Telescope.Experiments.Studies.Approximation;

// what `telescope script` gives a .csx as globals (Option, OutDir), from the library
var script = new ScriptArgs(args);
var config = new
{
    Steps = script.Option("--steps", 100),
    Seeds = new long[] { 0, 1, 2 },
    LearningRates = new[] { 0.01, 0.1 },
    Hidden = new[] { 64, 64 },
    Train = 300,
    Test = 200,
    Batch = 100,
};
Console.WriteLine($"== approximation (C#) — {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC\n   config: {JsonSerializer.Serialize(config)}");
var outDir = script.OutDir("approximation-cs");

var study = new ApproximationStudy(new ApproximationConfig
{
    Model = new ModelSpec(ModelKind.Mlp, config.Hidden),
    Settings = config.LearningRates.Select(lr => new OptimizerSetting("sgd", new OptimizerSpec(OptimizerKind.Sgd, lr))).ToList(),
    Steps = config.Steps,
    Seeds = config.Seeds,
    TrainSize = config.Train,
    TestSize = config.Test,
    BatchSize = config.Batch,
});
var runs = study.RunInMemory();
foreach (var r in runs.Where(r => !r.Succeeded))
    Console.WriteLine($"run {r.Key.Run} failed: {r.Result.Failure}");

var trajectories = TidyFrames.FromRuns(runs.Select(r => (r.Key, r.Observations)));
TidyFrames.SaveCsv(trajectories, Path.Combine(outDir, "trajectories.csv"));

// test-set errors, mean over seeds with a 95% interval
var quantities = new[] { "telescoping_error", "linearised_error" };
var split = TidyFrames.Cells(trajectories, "split");
var quantity = TidyFrames.Cells(trajectories, "quantity");
var rows = trajectories.RowKeys.Where(i => split[i] == "test" && quantities.Contains(quantity[i])).ToArray();
var table = TidyQueries.AggregateOverSeeds(trajectories.Rows[rows].IndexRowsOrdinally());
TidyFrames.SaveCsv(table, Path.Combine(outDir, "table.csv"));
TidyParquet.Save(table, Path.Combine(outDir, "table.parquet"));

var figure = Path.Combine(outDir, "figure.html");
Offline.save(
    figure,
    "Approximation error on held-out M35 digits",
    $"{study.DataSource}\nMLP 64-64, SGD, {config.Steps} steps; mean over seeds 0..2 with 95% Student-t band",
    [FrameFigures.seedBands(title: "mean |f_t − f̃_t| (telescoping) and mean |f_t − f_lin,t| (linearised), test", groupBy: ["quantity", "lr"], logX: false, logY: true, yTitle: "mean absolute difference (output units)", frame: table)]
);
var png = Snapshot.tryPng(figure, Path.Combine(outDir, "figure.png"));

var manifest = new RunManifest
{
    Study = "approximation (C#)",
    Config = JsonSerializer.SerializeToNode(config)!,
    DataSource = study.DataSource,
    Seeds = config.Seeds,
    Status = "completed",
    Finished = DateTime.UtcNow.ToString("o"),
};
manifest.Outputs.AddRange(["trajectories.csv", "table.csv", "table.parquet", "figure.html", Offline.PlotlyFileName, .. png is null ? Array.Empty<string>() : ["figure.png"]]);
manifest.Save(outDir);

// the table: final-step mean and interval per quantity and learning rate
var last = TidyFrames.Numbers(table, "step").Max();
var (q, lrs, mean, lo, hi) = (TidyFrames.Cells(table, "quantity"), TidyFrames.Cells(table, "lr"), TidyFrames.Numbers(table, "mean"), TidyFrames.Numbers(table, "ci_low"), TidyFrames.Numbers(table, "ci_high"));
var steps = TidyFrames.Numbers(table, "step");
for (int i = 0; i < steps.Length; i++)
    if (steps[i] == last)
        Console.WriteLine($"{q[i],-18} lr={lrs[i],-5} mean={mean[i]:0.000e+00} 95% CI [{lo[i]:0.000e+00}, {hi[i]:0.000e+00}]");
Console.WriteLine($"wrote {outDir} (png: {png?.Value ?? "none: no Chromium"})");
