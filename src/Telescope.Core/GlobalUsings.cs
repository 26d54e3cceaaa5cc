// The engine's own namespaces that most of its files open: layers and networks, optimisers, tangents, tensor helpers
// and training (TorchSharp stays a per-file using, beside the file's own tensor code).
global using Telescope.Models;
global using Telescope.Optim;
global using Telescope.Tangents;
global using Telescope.Tensors;
global using Telescope.Training;
