namespace Telescope.Tests;

/// <summary>
/// Each single value of the attribution and of the per-layer split pinned against an independent computation with
/// plain autograd (no library tangent, per-example gradient or update operator): under minibatch SGD with the
/// ½-squared loss, <c>a_t(x, z_i) = −(γ/b) ∇f_{θ_{t−1}}(x)ᵀ∇_θ ℓ(z_i; θ_{t−1})</c> for i ∈ B_t, and the part of layer l
/// is <c>Σ_t ∇_{θ_l} f_{θ_{t−1}}(x)ᵀ Δθ_{l,t}</c>. Every (probe point, training row) and every (layer, probe point)
/// entry is compared, so a value filed under the wrong row or layer fails even where the sums still hold.
/// </summary>
public sealed class AttributionPinTests
{
    private static readonly ModelSpec Tanh = new(ModelKind.Mlp, [6, 5], ActivationKind.Tanh);

    /// <summary>∇_θ of a scalar <paramref name="value"/>, one flat float64 vector per parameter tensor.</summary>
    private static Tensor[] Gradient(Tensor value, Network net) =>
        [
            .. torch
                .autograd.grad([value], net.Parameters.Cast<Tensor>().ToList(), retain_graph: false)
                .Select(g => g.detach().flatten().clone()),
        ];

    private static double Dot(Tensor[] a, Tensor[] b) =>
        a.Zip(b).Sum(p => p.First.dot(p.Second).item<double>());

    [Fact]
    public void EveryTrainingRowsShareAndEveryLayersPartEqualAnIndependentAutogradComputation()
    {
        var (train, test) = Fixtures.Data(12, 5);
        var probe = Probe.Of(train, test);
        using var net = Fixtures.Net(Tanh, train.Shape, seed: 4);
        const double lr = 0.2;
        const int steps = 6,
            batch = 4;
        var rule = new OptimizerSpec(OptimizerKind.Sgd, lr);
        var opt = torch.optim.SGD(net.Parameters, lr);
        using var lens = TelescopeRecorder.Attach(
            net,
            probe,
            new RecorderOptions
            {
                RecordEvery = steps,
                UpdateRule = rule,
                Attribution = true,
                ByLayer = true,
            }
        );
        var xAll = torch.cat(
            [
                probe.Train.Inputs(ScalarType.Float64, CPU),
                probe.Test.Inputs(ScalarType.Float64, CPU),
            ],
            0
        );
        int nAll = (int)xAll.shape[0],
            n = train.Count;
        var x = train.Inputs(ScalarType.Float64, CPU);
        var y = train.Targets(ScalarType.Float64, CPU);
        var expectedA = new double[nAll, n];
        var layerOf = new int[net.Parameters.Count]; // parameter tensor → parameterised layer
        {
            int tensor = 0,
                layer = 0;
            foreach (var l in net.Layers)
                if (l.ParameterShapes.Count > 0)
                {
                    for (int k = 0; k < l.ParameterShapes.Count; k++)
                        layerOf[tensor++] = layer;
                    layer++;
                }
        }
        int layers = layerOf.Max() + 1;
        var expectedLayer = new double[layers, nAll];
        var sampler = new BatchSampler(n, batch, 7);
        for (int t = 1; t <= steps; t++)
        {
            using var scope = torch.NewDisposeScope();
            var b = sampler.Next();
            // at θ_{t−1}: ∇f(x) for every probe point and ∇ℓ(z_i) for every row of the batch, by autograd
            var gradF = Enumerable
                .Range(0, nAll)
                .Select(p => Gradient(net.Forward(xAll.narrow(0, p, 1)).sum(), net))
                .ToArray();
            foreach (int i in b)
            {
                var fi = net.Forward(x.narrow(0, i, 1));
                var li = fi.sub(y.narrow(0, i, 1)).pow(2).sum().mul(0.5);
                var gradL = Gradient(li, net);
                for (int p = 0; p < nAll; p++)
                    expectedA[p, i] += -lr / b.Length * Dot(gradF[p], gradL);
            }
            var before = net.Parameters.Select(q => q.detach().flatten().clone()).ToArray();
            var idx = torch.tensor(b.Select(i => (long)i).ToArray());
            opt.zero_grad();
            Fixtures.SquaredLossBackward(net, x, y, idx);
            opt.step();
            var delta = net
                .Parameters.Select((q, k) => q.detach().flatten().sub(before[k]))
                .ToArray();
            for (int p = 0; p < nAll; p++)
            for (int k = 0; k < delta.Length; k++)
                expectedLayer[layerOf[k], p] += gradF[p][k].dot(delta[k]).item<double>();
            lens.Step(b, lr);
        }
        using var attr = lens.Attribution();
        using var traj = lens.Trajectory();
        var total = attr.Total.select(1, 0).contiguous(); // [N, n]
        double scale = 0;
        foreach (var v in expectedA)
            scale = Math.Max(scale, Math.Abs(v));
        Assert.True(scale > 1e-3, $"training moved the attributions by {scale:E2} only");
        for (int p = 0; p < nAll; p++)
        for (int i = 0; i < n; i++)
        {
            double got = total[p, i].item<double>();
            Assert.True(
                Math.Abs(got - expectedA[p, i]) <= 1e-12 * scale,
                $"A(x_{p}, z_{i}) = {got:R}, autograd {expectedA[p, i]:R}"
            );
        }
        var parts = traj.ByLayer!.select(0, traj.ByLayer.shape[0] - 1).select(2, 0); // [L, N]
        Assert.Equal(layers, (int)parts.shape[0]);
        for (int l = 0; l < layers; l++)
        for (int p = 0; p < nAll; p++)
        {
            double got = parts[l, p].item<double>();
            Assert.True(
                Math.Abs(got - expectedLayer[l, p]) <= 1e-12 * scale + 1e-15,
                $"layer {l}, x_{p}: {got:R}, autograd {expectedLayer[l, p]:R}"
            );
        }
        // the control: the pinned values tell rows and layers apart
        Assert.True(Math.Abs(expectedA[0, 0] - expectedA[0, 1]) > 1e-6 * scale);
        Assert.True(Math.Abs(expectedLayer[0, 0] - expectedLayer[1, 0]) > 1e-9);
    }
}
