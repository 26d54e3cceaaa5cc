// The one prelude every F# analysis script loads (`#load "prelude.fsx"`, or `"../prelude.fsx"` from redraw/ and
// theory/): the whole library and the packages it is written against, from the build folder of the meta-package
// Telescope.Analytics, which owns no face (build it once: `dotnet build src/Telescope.Analytics -c Release`).
// Under `telescope script` the same names also resolve from the tool's own folder (`--lib`), so a CLI build alone
// runs the scripts too. A script outside this repository writes `#r "nuget: Telescope.Analytics"` instead.
#I "../src/Telescope.Analytics/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "MathNet.Numerics.dll"
#r "Deedle.dll"
#r "Newtonsoft.Json.dll"
#r "XPlot.Plotly.dll"
#r "Telescope.Schema.dll"
#r "Telescope.Core.dll"
#r "Telescope.Frames.dll"
#r "Telescope.Frames.Parquet.dll"
#r "Telescope.Theory.dll"
#r "Telescope.Plots.dll"
#r "Telescope.Experiments.dll"
#r "Telescope.FSharp.dll"
