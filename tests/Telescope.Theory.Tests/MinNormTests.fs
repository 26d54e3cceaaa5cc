/// R4: gradient flow from zero init reaches the minimum-norm interpolant (spec §1).
module MinNormTests

open global.Xunit
open Telescope.Theory
open Harness

/// n ∈ 1..8 samples, p = 2n + 1 + 0..8 features (well conditioned), init sd (0 = zero init), seed.
type Case =
    {
        N: int
        P: int
        InitSd: float
        Seed: int
    }

let case initSd (k: int[]) =
    let n = intIn 1 8 k[0]

    {
        N = n
        P = 2 * n + 1 + intIn 0 8 k[1]
        InitSd = initSd
        Seed = abs k[2]
    }

let problem c =
    MinNormProblem.Random(c.N, c.P, c.InitSd, c.Seed)

/// ‖w_GF(horizon) − target‖ ≤ 1e-8, horizon 30/(smallest non-zero eigenvalue of FᵀF/n).
let endVerdict (target: MinNormProblem -> MathNet.Numerics.LinearAlgebra.Vector<float>) c =
    let pr = problem c
    let w = (MinNorm.Simulate pr).Invoke(MinNorm.Horizon pr)
    within ((w - target pr).L2Norm()) 1e-8

[<Fact>]
let ``R4 zero init ends at the pseudo-inverse solution`` () =
    check 3 (case 0.0) (endVerdict (fun pr -> MinNorm.PseudoInverseSolution pr))

[<Fact>]
let ``R4 non-zero init keeps its null-space component`` () =
    check 3 (case 0.5) (endVerdict (fun pr -> MinNorm.EndPoint pr))

[<Fact>]
let ``R4 control: F+y compared with a non-zero init is rejected`` () =
    mustFail 3 (case 0.5) (endVerdict (fun pr -> MinNorm.PseudoInverseSolution pr))

[<Fact>]
let ``R4 closed-form trajectory w(t) matches RK4`` () =
    check 3 (case 0.5) (fun c ->
        let pr = problem c
        let cf, sim = MinNorm.Trajectory pr, MinNorm.Simulate pr
        let h = MinNorm.Horizon pr

        within
            (grid h 10
             |> List.map (fun t -> (cf.Invoke t - sim.Invoke t).L2Norm())
             |> List.max)
            1e-8)
