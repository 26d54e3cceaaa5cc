// The #r lines every evaluated docs page shares (`#load "../prelude.fsx"` in a page's hidden block). The pages are
// evaluated by `fsdocs build --eval` against the Release build of this repository (`dotnet build src/Telescope.Cli
// -c Release` first); a user would write the #r "nuget:" lines each page shows instead.
#I "../src/Telescope.Cli/bin/Release/net10.0"
#r "TorchSharp.dll"
#r "MathNet.Numerics.dll"
#r "Deedle.dll"
#r "Telescope.Schema.dll"
#r "Telescope.Core.dll"
#r "Telescope.Frames.dll"
#r "Telescope.Frames.Parquet.dll"
#r "Telescope.Theory.dll"
#r "Telescope.FSharp.dll"
