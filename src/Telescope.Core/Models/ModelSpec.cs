using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>Which architecture. Each member says what it is for.</summary>
public enum ModelKind
{
    /// <summary>Fully connected ReLU (or tanh) network; the paper's default (64–200–200–1 on M35).</summary>
    Mlp,

    /// <summary>Small CNN: Conv(c→8,3,pad 1)–ReLU–MaxPool2–Conv(8→16,3,pad 1)–ReLU–MaxPool2–Dense(→k).</summary>
    Cnn,

    /// <summary>Linear in its parameters: fixed random ReLU features, then a trained Dense layer. Telescoping is exact.</summary>
    Linear,

    /// <summary>
    /// Residual MLP: Dense(d→w) – [Residual(LayerNorm(w) – Dense(w→w) – φ – Dense(w→w))] × blocks – LayerNorm(w) –
    /// Dense(w→k); w = the first hidden width, blocks = the number of hidden widths (all must be equal).
    /// </summary>
    Residual,

    /// <summary>
    /// A one-block transformer over a sequence: the d inputs are read as T tokens of d/T features (T = first hidden
    /// entry), Dense(d/T→w) – Residual(LayerNorm(w) – SelfAttention(w, head w)) – Residual(LayerNorm(w) – Dense(w→w) –
    /// φ – Dense(w→w)) – Reshape(T·w) – Dense(T·w→k); w = the second hidden entry.
    /// </summary>
    Transformer,
}

/// <summary>
/// A model description: enough to rebuild the same network from a seed. Immutable; use <c>with</c>.
/// </summary>
/// <param name="Kind">Architecture.</param>
/// <param name="Hidden">Hidden widths (MLP) or the number of random features (linear model: first entry).</param>
/// <param name="Activation">Hidden nonlinearity.</param>
/// <param name="Bias">Whether dense/conv layers have biases.</param>
/// <param name="Alpha">Initialisation scale multiplier α (every initial parameter × α).</param>
/// <param name="OutputSigmoid">Apply σ to the output (the "SGD + σ" setting).</param>
/// <param name="BatchNorm">Batch normalisation after every hidden Dense (MLP) or Conv2d (CNN) layer, before its
/// activation, with these statistics (null: none). See <see cref="BatchNormStatistics"/> for what f and f̃ mean.</param>
public sealed record ModelSpec(
    ModelKind Kind = ModelKind.Mlp,
    int[]? Hidden = null,
    ActivationKind Activation = ActivationKind.Relu,
    bool Bias = true,
    double Alpha = 1.0,
    bool OutputSigmoid = false,
    BatchNormStatistics? BatchNorm = null
)
{
    /// <summary>Hidden widths with the default of each kind (MLP 200–200; linear 256 features; residual 64 × 2 blocks; transformer 4 tokens, width 16).</summary>
    public int[] Widths =>
        Hidden
        ?? Kind switch
        {
            ModelKind.Linear => [256],
            ModelKind.Residual => [64, 64],
            ModelKind.Transformer => [4, 16],
            _ => [200, 200],
        };

    private void Norm(List<ILayer> layers, int channels)
    {
        if (BatchNorm is { } stats)
            layers.Add(new BatchNorm(channels, stats));
    }

    /// <summary>Build the layers for inputs of per-example shape <paramref name="inputShape"/> and k outputs.</summary>
    public IReadOnlyList<ILayer> Layers(int[] inputShape, int outputs, long seed)
    {
        int d = inputShape.Aggregate(1, (a, b) => a * b);
        var layers = new List<ILayer>();
        switch (Kind)
        {
            case ModelKind.Mlp:
                if (inputShape.Length > 1)
                    layers.Add(new Reshape(d));
                int w = d;
                foreach (var h in Widths)
                {
                    layers.Add(new Dense(w, h, Bias));
                    Norm(layers, h);
                    layers.Add(new Activation(Activation));
                    w = h;
                }
                layers.Add(new Dense(w, outputs, Bias));
                break;
            case ModelKind.Cnn:
            {
                var (c, side) = ImageShape(inputShape);
                if (side % 4 != 0)
                    throw new ArgumentException(
                        $"the CNN needs an image side divisible by 4, got {side}"
                    );
                layers.Add(new Reshape(c, side, side));
                layers.Add(new Conv2d(c, 8, 3, 1));
                Norm(layers, 8);
                layers.Add(new Activation(Activation));
                layers.Add(new MaxPool2d(2));
                layers.Add(new Conv2d(8, 16, 3, 1));
                Norm(layers, 16);
                layers.Add(new Activation(Activation));
                layers.Add(new MaxPool2d(2));
                layers.Add(new Reshape(16 * (side / 4) * (side / 4)));
                layers.Add(new Dense(16 * (side / 4) * (side / 4), outputs, Bias));
                break;
            }
            case ModelKind.Linear:
                if (inputShape.Length > 1)
                    layers.Add(new Reshape(d));
                layers.Add(new FixedFeatures(d, Widths[0], ActivationKind.Relu, seed));
                layers.Add(new Dense(Widths[0], outputs, Bias));
                break;
            case ModelKind.Residual:
            {
                int rw = Widths[0];
                if (Widths.Any(x => x != rw))
                    throw new ArgumentException(
                        $"the residual MLP needs equal hidden widths, got [{string.Join(',', Widths)}]"
                    );
                if (inputShape.Length > 1)
                    layers.Add(new Reshape(d));
                layers.Add(new Dense(d, rw, Bias));
                foreach (var _ in Widths)
                    layers.Add(
                        new Residual(
                            new LayerNorm(rw),
                            new Dense(rw, rw, Bias),
                            new Activation(Activation),
                            new Dense(rw, rw, Bias)
                        )
                    );
                layers.Add(new LayerNorm(rw));
                layers.Add(new Dense(rw, outputs, Bias));
                break;
            }
            case ModelKind.Transformer:
            {
                if (Widths.Length != 2 || Widths[0] < 1 || Widths[1] < 1 || d % Widths[0] != 0)
                    throw new ArgumentException(
                        $"the transformer needs hidden = [tokens, width] with tokens dividing the {d} inputs, got [{string.Join(',', Widths)}]"
                    );
                int tokens = Widths[0],
                    tw = Widths[1],
                    features = d / tokens;
                layers.Add(new Reshape(tokens, features));
                layers.Add(new Dense(features, tw, Bias));
                layers.Add(new Residual(new LayerNorm(tw), new SelfAttention(tw, tw)));
                layers.Add(
                    new Residual(
                        new LayerNorm(tw),
                        new Dense(tw, tw, Bias),
                        new Activation(Activation),
                        new Dense(tw, tw, Bias)
                    )
                );
                layers.Add(new Reshape(tokens * tw));
                layers.Add(new Dense(tokens * tw, outputs, Bias));
                break;
            }
        }
        if (OutputSigmoid)
            layers.Add(new Activation(ActivationKind.Sigmoid));
        return layers;
    }

    private static (int channels, int side) ImageShape(int[] s)
    {
        if (s.Length == 3 && s[1] == s[2])
            return (s[0], s[1]);
        if (s.Length == 2 && s[0] == s[1])
            return (1, s[0]);
        if (s.Length == 1)
        {
            int side = (int)Math.Round(Math.Sqrt(s[0]));
            if (side * side == s[0])
                return (1, side);
        }
        throw new ArgumentException(
            $"the CNN needs square images, got input shape [{string.Join(',', s)}]"
        );
    }

    /// <summary>Build the network.</summary>
    public Network Build(
        int[] inputShape,
        int outputs,
        long seed,
        ScalarType dtype,
        Device device
    ) => new(Layers(inputShape, outputs, seed), outputs, seed, Alpha, dtype, device);
}
