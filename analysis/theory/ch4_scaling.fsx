// Thesis ch. 4 at reduced scale (spec §11): Fig 4.2 time, data and parameter laws, Fig 4.3 compute-optimal frontier,
// with the finite-n_s completion L_C; discrete GD for the time law on the spec's small windows.
#load "Common.fsx"

open Telescope.Theory
open Common

let s, r0, eta, ns = 5.0, 1e-4, 1.0, 200_000
let alphas = [ 0.1; 0.3; 0.6; 1.0; 1.5 ]

let config =
    [ "S", "5"; "R0", "1e-4"; "n_s", string ns; "alphas", "0.1 0.3 0.6 1.0 1.5" ]

header "ch4: scaling laws of the multilinear model (time, data, parameters, compute)" config

/// A fitted law as rows: the measured points (L + L_C) against the closed-form power law through their geometric mean.
let lawRows (q: string) (curve: int) (f: ExponentFit) =
    let lx = f.X |> Array.averageBy log
    let ly = f.Y |> Array.averageBy log

    [
        for x, y in Array.zip f.X f.Y -> point q x curve (exp (ly + f.ClosedForm * (log x - lx))) y
    ]

let rows =
    [
        for i, a in List.indexed alphas do
            let p = SkillFrequencies(a, ns)

            let ft =
                Scaling.FitTime(
                    p,
                    s,
                    r0,
                    eta,
                    (fun ts -> ts |> Array.map (fun t -> Scaling.TimeLoss(p, s, r0, eta, t)))
                )

            let fd = Scaling.FitData(p, s, r0)
            let fp = Scaling.FitParameters(p, s)
            let fc = Scaling.FitCompute(p, s, r0, eta)

            printfn
                "alpha=%.1f  time %.4f (%.4f)  data %.4f (%.4f)  params %.4f (%.4f)  L* %.4f (%.4f)  N* %.4f (%.4f)"
                a
                ft.Measured
                ft.ClosedForm
                fd.Measured
                fd.ClosedForm
                fp.Measured
                fp.ClosedForm
                fc[0].Measured
                fc[0].ClosedForm
                fc[1].Measured
                fc[1].ClosedForm

            yield! lawRows "time_law_L_plus_LC" i ft
            yield! lawRows "data_law_L_plus_LC" i fd
            yield! lawRows "parameter_law_L_plus_LC" i fp
            yield! lawRows "compute_optimal_L_star" i fc[0]
            yield! lawRows "compute_optimal_N_star" i fc[1]
            yield point "exponent_time" a 0 ft.ClosedForm ft.Measured
            yield point "exponent_data" a 0 fd.ClosedForm fd.Measured
            yield point "exponent_parameters" a 0 fp.ClosedForm fp.Measured
            yield point "exponent_compute_loss" a 0 fc[0].ClosedForm fc[0].Measured
    ]

// discrete GD on the decoupled model (spec R21(b) windows, as the `scaling` check declares them)
let gdRows =
    [
        for i, struct (a, gns, kmax) in List.indexed (List.ofSeq Checks.ScalingCheck.GdWindows) do
            let f = Checks.ScalingCheck.FitTimeGd(a, gns, kmax, s, sqrt r0)

            printfn "GD alpha=%.1f time exponent %.4f (closed form %.4f)" a f.Measured f.ClosedForm
            yield! lawRows "time_law_gd_L_plus_LC" i f
    ]

save "ch4_scaling_laws" config 0L "resource (T, D, N or C); exponent rows: alpha" true true (rows @ gdRows)
