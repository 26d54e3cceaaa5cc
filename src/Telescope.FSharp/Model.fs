namespace Telescope.FSharp

open Telescope.Models

/// Model descriptions (the C# `ModelSpec`, immutable): enough to rebuild the same network from a
/// seed. Build one with `mlp`, `cnn` or `linear`, then adjust it with the `with*` functions, which
/// take the spec last so they pipe:
///
///     Model.mlp [ 64; 64 ] |> Model.withActivation ActivationKind.Tanh |> Model.withAlpha 0.5
///
/// Naming in this library: `try*` returns an Option; `*At` takes a step; `toFrame` gives a tidy
/// Deedle frame with the project's one schema (study, run, seed, step, split, example, output,
/// parameters…, quantity, value).
[<RequireQualifiedAccess>]
module Model =

    /// A fully connected network with the given hidden widths (ReLU, biases, α = 1).
    let mlp (hidden: int list) : ModelSpec =
        ModelSpec(ModelKind.Mlp, Array.ofList hidden)

    /// The small CNN: Conv(c→8,3)–ReLU–MaxPool2–Conv(8→16,3)–ReLU–MaxPool2–Dense; square inputs with a
    /// side divisible by 4.
    let cnn: ModelSpec = ModelSpec(ModelKind.Cnn)

    /// Linear in its parameters: `features` fixed random ReLU features, then a trained dense layer.
    /// The telescoping model is exact for it (f̃_t = f_t up to rounding).
    let linear (features: int) : ModelSpec =
        ModelSpec(ModelKind.Linear, [| features |])

    let private copy (s: ModelSpec) kind hidden activation bias alpha sigmoid : ModelSpec =
        ignore s
        ModelSpec(kind, hidden, activation, bias, alpha, sigmoid)

    /// Scale every initial parameter by α (lazy/rich regime knob).
    let withAlpha (alpha: float) (spec: ModelSpec) =
        copy spec spec.Kind spec.Hidden spec.Activation spec.Bias alpha spec.OutputSigmoid

    /// Use another hidden nonlinearity.
    let withActivation (activation: ActivationKind) (spec: ModelSpec) =
        copy spec spec.Kind spec.Hidden activation spec.Bias spec.Alpha spec.OutputSigmoid

    /// End the network in a sigmoid (the paper's "SGD + σ" setting).
    let withSigmoid (spec: ModelSpec) =
        copy spec spec.Kind spec.Hidden spec.Activation spec.Bias spec.Alpha true

    /// Drop (false) or keep (true) the biases of dense and convolutional layers.
    let withBias (bias: bool) (spec: ModelSpec) =
        copy spec spec.Kind spec.Hidden spec.Activation bias spec.Alpha spec.OutputSigmoid

    /// A short name for tables: `mlp`, `cnn` or `linear`.
    let name (spec: ModelSpec) = spec.Kind.ToString().ToLowerInvariant()
