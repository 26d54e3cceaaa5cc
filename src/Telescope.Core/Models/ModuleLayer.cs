using System.Reflection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Telescope.Models;

/// <summary>
/// A TorchSharp <c>nn.Module</c> (a <c>Sequential</c> or a module with a custom <c>forward</c>) as an
/// <see cref="ILayer"/>: its trainable parameters (those with <c>requires_grad</c>, in
/// <c>named_parameters()</c> order) become this layer's θ slice, and every call binds the θ it is given into
/// the module for the duration of <c>forward</c> — each parameter field of each submodule is pointed at a
/// Parameter that aliases the given tensor (so autograd reaches θ, at θ_{t−1}, θ_t or θ_0 alike), then the
/// module's own parameters are put back. The module's own initial values are this layer's initialisation
/// (× α; the network's seed does not redraw them). It has no hand-written tangent rule: JVPs and kernels use
/// the generic path. Frozen parameters (<c>requires_grad = false</c>) and buffers are fixed features.
/// <para>
/// Unsupported, each refused with one line naming it (checked when wrapping, and on the first forward):
/// dropout (or any random numbers) in forward in training mode, batch norm updating its running statistics in
/// training mode (call <c>module.eval()</c>, or use <see cref="BatchNorm"/>), buffers that change in forward,
/// parameters changed in place in forward, and parameters not held in a field of their module (for example in
/// a <c>ParameterList</c>). Not thread-safe: one module, one caller at a time.
/// </para>
/// </summary>
public sealed class ModuleLayer : ILayer
{
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly string _name;
    private readonly object _gate = new();
    private string[] _names = [];
    private List<(nn.Module owner, FieldInfo field)>[] _slots = [];
    private Parameter[] _own = [];
    private bool _checked;

    /// <summary>Wrap <paramref name="module"/>; throws <see cref="NotSupportedException"/> (one line) for an unsupported construct.</summary>
    public ModuleLayer(nn.Module<Tensor, Tensor> module, string? name = null)
    {
        Native.TorchRuntime.EnsureLoaded();
        _module = module ?? throw new ArgumentNullException(nameof(module));
        _name = name ?? module.GetType().Name;
        foreach (var (path, m) in Modules())
        {
            string type = m.GetType().Name;
            if (m.training && type.Contains("Dropout", StringComparison.OrdinalIgnoreCase))
                throw Refuse(
                    $"module '{path}' ({type}) draws random numbers in forward in training mode; call module.eval() before wrapping it"
                );
            if (
                m.training
                && (
                    type.StartsWith("BatchNorm", StringComparison.Ordinal)
                    || type.StartsWith("InstanceNorm", StringComparison.Ordinal)
                )
                && m.named_buffers(recurse: false).Any()
            )
                throw Refuse(
                    $"module '{path}' ({type}) updates its running-statistics buffers in forward in training mode; call module.eval() (fixed running statistics) or use Telescope.Models.BatchNorm"
                );
        }
        Bind();
        ParameterShapes = _own.Select(p => p.shape).ToArray();
    }

    /// <summary>The wrapped module.</summary>
    public nn.Module<Tensor, Tensor> Module => _module;

    /// <summary>Names of the parameters that form θ, in order.</summary>
    public IReadOnlyList<string> ParameterNames => _names;

    /// <inheritdoc />
    public IReadOnlyList<long[]> ParameterShapes { get; }

    private NotSupportedException Refuse(string why) => new($"ModuleLayer({_name}): {why}");

    private IEnumerable<(string path, nn.Module module)> Modules() =>
        new[] { ("(root)", (nn.Module)_module) }.Concat(_module.named_modules());

    /// <summary>Find every field that holds each trainable parameter (shared parameters may sit in several).</summary>
    private void Bind()
    {
        var trainable = _module
            .named_parameters()
            .Where(np => np.parameter.requires_grad)
            .ToArray();
        var slots = trainable.Select(_ => new List<(nn.Module, FieldInfo)>()).ToArray();
        foreach (var (_, m) in Modules())
            for (var t = m.GetType(); t is not null && t != typeof(object); t = t.BaseType)
                foreach (
                    var f in t.GetFields(
                        BindingFlags.Instance
                            | BindingFlags.Public
                            | BindingFlags.NonPublic
                            | BindingFlags.DeclaredOnly
                    )
                )
                {
                    if (!typeof(Tensor).IsAssignableFrom(f.FieldType))
                        continue;
                    if (!f.FieldType.IsAssignableFrom(typeof(Parameter)))
                        continue;
                    var v = f.GetValue(m);
                    if (v is null)
                        continue;
                    for (int i = 0; i < trainable.Length; i++)
                        if (ReferenceEquals(v, trainable[i].parameter))
                            slots[i].Add((m, f));
                }
        for (int i = 0; i < trainable.Length; i++)
            if (slots[i].Count == 0)
                throw Refuse(
                    $"parameter '{trainable[i].name}' is not held in a field of its module (ParameterList, ParameterDict or a computed parameter?); hold each parameter in a field"
                );
        _names = trainable.Select(np => np.name).ToArray();
        _own = trainable.Select(np => np.parameter).ToArray();
        _slots = slots;
    }

    /// <inheritdoc />
    public double[][] Initialise(Rng rng, double alpha)
    {
        using var _ = torch.no_grad();
        return _own.Select(p =>
                p.detach()
                    .to_type(ScalarType.Float64)
                    .cpu()
                    .data<double>()
                    .Select(v => alpha * v)
                    .ToArray()
            )
            .ToArray();
    }

    private void Convert(Tensor a)
    {
        bool floatingMismatch =
            _own.Any(p => p.dtype != a.dtype)
            || _module.buffers().Any(b => b.is_floating_point() && b.dtype != a.dtype)
            || _module.buffers().Any(b => b.device.type != a.device.type)
            || _own.Any(p => p.device.type != a.device.type);
        if (!floatingMismatch)
            return;
        _module.to(a.dtype).to(a.device);
        Bind();
    }

    private Tensor Call(Tensor a, ReadOnlySpan<Tensor> p)
    {
        if (p.Length != _own.Length)
            throw new ArgumentException(
                $"ModuleLayer({_name}) has {_own.Length} parameter tensors, got {p.Length}"
            );
        var wrappers = new Parameter[p.Length];
        try
        {
            for (int i = 0; i < p.Length; i++)
            {
                var view = p[i].alias();
                wrappers[i] = new Parameter(view, requires_grad: view.requires_grad);
                foreach (var (owner, field) in _slots[i])
                    field.SetValue(owner, wrappers[i]);
            }
            return _module.forward(a);
        }
        finally
        {
            for (int i = 0; i < _own.Length; i++)
                foreach (var (owner, field) in _slots[i])
                    field.SetValue(owner, _own[i]);
        }
    }

    /// <summary>The first-call checks: buffers and parameters unchanged by forward, forward deterministic.</summary>
    private void Check(Tensor a, ReadOnlySpan<Tensor> p)
    {
        using var scope = torch.NewDisposeScope();
        using var _ = torch.no_grad();
        var buffers = _module.named_buffers().ToArray();
        var before = buffers.Select(b => b.buffer.clone()).ToArray();
        var theta = new Tensor[p.Length];
        for (int i = 0; i < p.Length; i++)
            theta[i] = p[i].detach().clone();
        var copy = theta.Select(t => t.clone()).ToArray();
        var x = a.detach();
        var f1 = Call(x, theta);
        var f2 = Call(x, theta);
        for (int i = 0; i < buffers.Length; i++)
        {
            bool same =
                buffers[i].buffer.shape.SequenceEqual(before[i].shape)
                && buffers[i].buffer.eq(before[i]).all().item<bool>();
            if (!same)
            {
                buffers[i].buffer.copy_(before[i]);
                throw Refuse($"buffer '{buffers[i].name}' changes in forward");
            }
        }
        for (int i = 0; i < theta.Length; i++)
            if (!theta[i].eq(copy[i]).all().item<bool>())
                throw Refuse($"parameter '{_names[i]}' is changed in place in forward");
        if (!f1.shape.SequenceEqual(f2.shape) || !f1.eq(f2).all().item<bool>())
            throw Refuse(
                "forward is not deterministic (random numbers in forward, such as dropout in training mode); call module.eval() before wrapping it"
            );
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor a, ReadOnlySpan<Tensor> p)
    {
        lock (_gate)
        {
            Convert(a);
            if (!_checked)
            {
                Check(a, p);
                _checked = true;
            }
            return Call(a, p);
        }
    }

    /// <inheritdoc />
    public string Describe() =>
        $"ModuleLayer({_name}: {_names.Length} parameter tensors, {ParameterShapes.Sum(s => s.Aggregate(1L, (x, y) => x * y))} parameters, generic tangent)";
}
