/// R4, R16, R17 exact identities: gradients against finite differences, GD drift against a plain loop, the collapse
/// metrics against an exactly collapsed configuration and against their definitions, spectral rates against an SVD.
module FlowExactTests

open System
open global.Xunit
open MathNet.Numerics.LinearAlgebra
open Telescope.Theory
open Harness

/// A small two-layer linear network: n ∈ 2..10, d, p, c ∈ 1..4, seed.
let net (k: int[]) =
    TwoLayerLinear.Random(intIn 2 10 k[0], intIn 1 4 k[1], intIn 1 4 k[2], intIn 1 4 k[3], 0.5, abs k[4])

let loss (nt: TwoLayerLinear) (w1: Matrix<float>) (w2: Matrix<float>) =
    let r = nt.X * w1 * w2 - nt.Y
    r.FrobeniusNorm() ** 2.0 / (2.0 * float nt.X.RowCount)

[<Fact>]
let ``R16 gradients of L = |X W1 W2 - Y|^2/(2n) match central finite differences`` () =
    check 5 net (fun nt ->
        let struct (g1, g2) = Conservation.Gradients(nt, nt.W1, nt.W2)
        let h = 1e-6

        let fd (w: Matrix<float>) (isFirst: bool) i j =
            let plus, minus = w.Clone(), w.Clone()
            plus[i, j] <- plus[i, j] + h
            minus[i, j] <- minus[i, j] - h

            let l a =
                if isFirst then loss nt a nt.W2 else loss nt nt.W1 a

            (l plus - l minus) / (2.0 * h)

        let err =
            [
                for i in 0 .. nt.W1.RowCount - 1 do
                    for j in 0 .. nt.W1.ColumnCount - 1 -> abs (g1[i, j] - fd nt.W1 true i j)
                for i in 0 .. nt.W2.RowCount - 1 do
                    for j in 0 .. nt.W2.ColumnCount - 1 -> abs (g2[i, j] - fd nt.W2 false i j)
            ]
            |> List.max

        within err 1e-6)

[<Fact>]
let ``R16 GD drift of W1'W1 - W2W2' equals that of a plain GD loop`` () =
    check 5 net (fun nt ->
        let eta = 0.05

        let err =
            [
                for steps in [ 1; 5 ] ->
                    let mutable w1, w2 = nt.W1.Clone(), nt.W2.Clone()

                    for _ in 1..steps do
                        let struct (g1, g2) = Conservation.Gradients(nt, w1, w2)
                        w1 <- w1 - eta * g1
                        w2 <- w2 - eta * g2

                    let q0 = Conservation.Invariant(nt.W1, nt.W2)
                    let expected = (Conservation.Invariant(w1, w2) - q0).FrobeniusNorm()
                    abs (Conservation.GdDrift(nt, eta, steps) - expected)
            ]
            |> List.max

        within err 1e-12)

[<Fact>]
let ``R4 rates are the extreme squared singular values of F over n`` () =
    check 3 (fun k -> intIn 1 6 k[0], intIn 0 5 k[1], abs k[2]) (fun (n, extra, seed) ->
        let pr = MinNormProblem.Random(n, n + 1 + extra, 0.0, seed)
        let s = pr.F.Svd(false).S
        let struct (mx, mn) = MinNorm.Rates pr
        let nn = float n
        within (abs (mx - s[0] * s[0] / nn) + abs (mn - s[n - 1] * s[n - 1] / nn)) 1e-10)

/// The exact UFM end point: H = (C/n)^¼ Y Q, W = (n/C)^¼ Qᵀ with Q (C×p) orthonormal rows.
let collapsed (pr: UfmProblem) =
    let q =
        LinAlg.Gaussian(Rng(pr.Seed), pr.P, pr.C).QR().Q.SubMatrix(0, pr.P, 0, pr.C).Transpose()

    let n, c = float pr.N, float pr.C
    ((c / n) ** 0.25 * (pr.Labels() * q), (n / c) ** 0.25 * q.Transpose())

let ufm (k: int[]) =
    let c = intIn 2 4 k[0]
    UfmProblem(c, intIn 1 5 k[1], c + intIn 0 4 k[2], 0.01, abs k[3])

[<Fact>]
let ``R17 every collapse metric is 0 at the exact end point`` () =
    check 4 ufm (fun pr ->
        let h, w = collapsed pr
        let m = NeuralCollapse.Metrics(pr, h, w)
        within (m.Max + m.Loss) 1e-12)

/// The metrics from their definitions (spec R17), written independently of the library.
let oracle (pr: UfmProblem) (h: Matrix<float>) (w: Matrix<float>) =
    let n, c, m = pr.N, pr.C, pr.M
    let y = pr.Labels()
    let gl = sqrt (float c / float n) * (y * y.Transpose())
    let gram = (h * h.Transpose() - gl).FrobeniusNorm() / gl.FrobeniusNorm()

    let mu k =
        ([ for i in k * m .. k * m + m - 1 -> h.Row i ] |> List.reduce (+)) / float m

    let mg = ([ for k in 0 .. c - 1 -> mu k ] |> List.reduce (+)) / float c
    let sq (v: Vector<float>) = v.DotProduct v

    let within =
        ([ for i in 0 .. n - 1 -> sq (h.Row i - mu (i / m)) ] |> List.sum) / float n

    let between = ([ for k in 0 .. c - 1 -> sq (mu k - mg) ] |> List.sum) / float c

    let nc2 =
        [
            for k in 0 .. c - 1 do
                for l in k + 1 .. c - 1 ->
                    let u, v = mu k - mg, mu l - mg
                    abs (u.DotProduct v / (u.L2Norm() * v.L2Norm()) + 1.0 / float (c - 1))
        ]
        |> List.max

    let nc3 =
        [
            for k in 0 .. c - 1 -> (w.Column k - sqrt (float n / float c) * mu k).L2Norm() / w.Column(k).L2Norm()
        ]
        |> List.max

    let wl = sqrt (float n / float c) * Matrix<float>.Build.DenseIdentity c
    let wtw = (w.Transpose() * w - wl).FrobeniusNorm() / wl.FrobeniusNorm()
    let l = ((h * w - y).FrobeniusNorm() ** 2.0) / (2.0 * float n)
    [| gram; within / between; nc2; nc3; wtw; l |]

[<Fact>]
let ``R17 collapse metrics of a perturbed configuration follow their definitions`` () =
    check 4 ufm (fun pr ->
        let h, w = collapsed pr
        let rng = Rng(pr.Seed + 1)
        let hp = h + LinAlg.Gaussian(rng, h.RowCount, h.ColumnCount, 0.1)
        let wp = w + LinAlg.Gaussian(rng, w.RowCount, w.ColumnCount, 0.1)
        let m = NeuralCollapse.Metrics(pr, hp, wp)
        let got = [| m.GramError; m.Nc1; m.Nc2; m.Nc3; m.WtWError; m.Loss |]
        let expected = oracle pr hp wp
        let maxMetric = got[0..4] |> Array.max

        within
            (Array.map2 (fun a b -> abs (a - b)) got expected
             |> Array.max
             |> max (abs (m.Max - maxMetric)))
            1e-12)

[<Fact>]
let ``R17 premises: p = C is allowed, p < C and sigma <= 0 are not; the tolerance is 20 (p - C + 1) sigma^2`` () =
    UfmProblem(2, 1, 2, 0.01, 0).Validate() |> ignore

    Assert.ThrowsAny<ArgumentException>(fun () -> UfmProblem(3, 1, 2, 0.01, 0).Validate() |> ignore)
    |> ignore

    Assert.ThrowsAny<ArgumentException>(fun () -> NeuralCollapse.Train(UfmProblem(2, 1, 2, 0.0, 0)) |> ignore)
    |> ignore

    Assert.Equal(20.0 * 7.0 * 1e-4, NeuralCollapse.Tolerance(0.01, 8, 2), 15)
    Assert.Equal(20.0 * 4e-4, NeuralCollapse.Tolerance(0.02, 3, 3), 15)
