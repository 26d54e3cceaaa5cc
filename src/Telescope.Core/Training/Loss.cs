using TorchSharp;
using static TorchSharp.torch;

namespace Telescope.Training;

/// <summary>The training loss.</summary>
public enum LossKind
{
    /// <summary>Squared error <c>L = (1/b) Σ_i ½‖y_i − f_i‖²</c> (with the ½: spec A3; gradients are half of MSELoss's).</summary>
    Squared,

    /// <summary>Cross-entropy on the logits: binary (k = 1, labels 0/1, <c>log(1+e^{−(2y−1)f})</c>) or softmax (k &gt; 1), averaged over the batch.</summary>
    CrossEntropy,
}

/// <summary>Loss values and accuracy.</summary>
public static class Loss
{
    /// <summary>Mean loss over rows of <paramref name="f"/> <c>[b, k]</c>, given squared-loss targets and class labels.</summary>
    public static Tensor Compute(LossKind kind, Tensor f, Tensor targets, Tensor labels) =>
        kind switch
        {
            LossKind.Squared => f.Minus(targets).Squared().sum(1).mean().Times(0.5),
            _ when f.shape[1] == 1 => nn.functional.binary_cross_entropy_with_logits(
                f.squeeze(1),
                targets.squeeze(1)
            ),
            _ => nn.functional.cross_entropy(f, labels),
        };

    /// <summary>
    /// The per-example output gradient <c>r_i = ∂ℓ(f_i, y_i)/∂f_i</c>, <c>[b, k]</c>, of the per-example loss whose
    /// batch mean <see cref="Compute"/> returns: <c>f − y</c> (½ squared error), <c>σ(f) − y</c> (binary
    /// cross-entropy on a logit), <c>softmax(f) − onehot(label)</c> (softmax cross-entropy). Then
    /// <c>∇_θ ℓ_i = J_θ(x_i)ᵀ r_i</c>.
    /// </summary>
    public static Tensor OutputGradient(LossKind kind, Tensor f, Tensor targets, Tensor labels) =>
        kind switch
        {
            LossKind.Squared => f.Minus(targets.to(f.dtype)),
            _ when f.shape[1] == 1 => f.sigmoid().Minus(targets.to(f.dtype)),
            _ => f.softmax(1).Minus(nn.functional.one_hot(labels, f.shape[1]).to(f.dtype)),
        };

    /// <summary>
    /// The per-example output Hessian <c>H_i = ∂²ℓ(f_i, y_i)/∂f_i²</c> applied row by row to <paramref name="w"/>
    /// <c>[b, k]</c>: <c>w</c> (½ squared error, H = I), <c>σ(1 − σ) w</c> (binary cross-entropy on a logit),
    /// <c>p ⊙ w − p (pᵀw)</c> with <c>p = softmax(f_i)</c> (softmax cross-entropy, H = diag p − ppᵀ). Every H_i is
    /// positive semi-definite; it does not depend on the target.
    /// </summary>
    public static Tensor OutputHessianTimes(LossKind kind, Tensor f, Tensor w)
    {
        if (kind == LossKind.Squared)
            return w.alias();
        if (f.shape[1] == 1)
        {
            var s = f.sigmoid();
            return s.mul(s.neg().PlusConst(1.0)).mul(w);
        }
        var p = f.softmax(1);
        var pw = p.mul(w);
        return pw.Minus(p.mul(pw.sum(1, keepdim: true)));
    }

    /// <summary>
    /// Fraction of correct predictions. Scalar outputs: class 1 when <c>f &gt; threshold</c> (0.5 for
    /// 0/1 targets under squared loss or an output sigmoid; 0 for logits); vector outputs: arg-max.
    /// </summary>
    public static double Accuracy(Tensor f, Tensor labels, double threshold)
    {
        using var _ = torch.no_grad();
        var pred =
            f.shape[1] == 1
                ? f.squeeze(1).GreaterThan(threshold).to_type(ScalarType.Int64)
                : f.argmax(1);
        return pred.eq(labels).to_type(ScalarType.Float64).mean().item<double>();
    }
}
