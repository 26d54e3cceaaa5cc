// The namespaces most files of the paper layer use: the parameter vocabulary, the host contract and the host, the
// command-line spelling, run.json's JSON nodes, invariant formatting, tidy tables and tensors.
global using System.Globalization;
global using System.Text.Json.Nodes;
global using Telescope.Experiments.Hosting;
global using Telescope.Experiments.Parameters;
global using Telescope.Frames;
global using Telescope.Hosting;
global using TorchSharp;
global using static Telescope.ParameterNames;
