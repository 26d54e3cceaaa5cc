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

    /// A residual MLP: Dense(d→width), `blocks` residual blocks LayerNorm–Dense–φ–Dense, LayerNorm, Dense(→k).
    let residual (width: int) (blocks: int) : ModelSpec =
        ModelSpec(ModelKind.Residual, Array.replicate blocks width)

    /// A one-block transformer: the inputs read as `tokens` tokens, embedded to `width`, one residual
    /// LayerNorm–SelfAttention block and one residual LayerNorm–Dense–φ–Dense block, then Dense(→k).
    let transformer (tokens: int) (width: int) : ModelSpec =
        ModelSpec(ModelKind.Transformer, [| tokens; width |])

    let private copy (s: ModelSpec) kind hidden activation bias alpha sigmoid : ModelSpec =
        ModelSpec(kind, hidden, activation, bias, alpha, sigmoid, s.BatchNorm)

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

    /// Batch normalisation after every hidden dense (MLP) or convolutional (CNN) layer, with batch
    /// statistics (f of a row depends on its batch; the probe set is one batch) or fixed running statistics
    /// (`BatchNorm.Calibrate`); see docs/own-layer.md.
    let withBatchNorm (statistics: BatchNormStatistics) (spec: ModelSpec) =
        ModelSpec(
            spec.Kind,
            spec.Hidden,
            spec.Activation,
            spec.Bias,
            spec.Alpha,
            spec.OutputSigmoid,
            System.Nullable statistics
        )

    /// A short name for tables: `mlp`, `cnn`, `linear`, `residual` or `transformer`.
    let name (spec: ModelSpec) = spec.Kind.ToString().ToLowerInvariant()
