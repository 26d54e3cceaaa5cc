/// Issue 24: every theory check passes at 200 parameter sets drawn uniformly from its declared ranges
/// (`TheorySampler.Draw`: integers uniform over their range, reals uniform on [Min, Max]), each run with its must-fail
/// controls (a set passes only if every claim is accepted and every control rejected, or declared "not informative
/// here" by the check). A draw outside a cross-parameter premise (p >= C, n >= 4p, ...) is refused by the check with
/// one line and redrawn, so the sets are uniform over the declared domain; seeded, so CI replays the same sets.
module SampledTests

open System
open global.Xunit
open Telescope.Theory.Checks

/// Parameter sets per check.
let sets = 200

/// Draw until `sets` sets are accepted by the check's premises; every set must pass (or declare a control not
/// informative). Returns (uninformative count, refused count).
let sampled (name: string) (seed: int) =
    let check = TheoryCatalog.Find name
    let rng = Random seed
    let failures = ResizeArray<string>()
    let mutable accepted = 0
    let mutable refused = 0
    let mutable uninformative = 0

    while accepted < sets do
        let v = TheorySampler.Draw(check, rng)
        let struct (outcome, _, _) = TheorySampler.Run(check, v)

        match outcome with
        | TheoryOutcome.Refused ->
            refused <- refused + 1
            Assert.True(refused <= 10 * sets, $"{name}: more than {10 * sets} draws refused by the premises")
        | o ->
            accepted <- accepted + 1

            if o = TheoryOutcome.ControlNotInformative then
                uninformative <- uninformative + 1
            elif o <> TheoryOutcome.Pass then
                let ps =
                    v
                    |> Seq.map (fun kv ->
                        kv.Key
                        + "="
                        + kv.Value.ToString("R", Globalization.CultureInfo.InvariantCulture))
                    |> String.concat " "

                failures.Add $"{o}: {ps}"

    Assert.True(
        failures.Count = 0,
        $"theory {name}: {failures.Count} of {sets} sets did not pass:\n  "
        + String.Join("\n  ", failures |> Seq.truncate 10)
    )

    uninformative, refused

[<Fact>]
let ``sigmoid passes at 200 sets drawn from its declared ranges`` () = sampled "sigmoid" 2401 |> ignore

[<Fact>]
let ``gamma-plus passes at 200 sets drawn from its declared ranges`` () = sampled "gamma-plus" 2402 |> ignore

[<Fact>]
let ``emergence passes at 200 sets drawn from its declared ranges`` () = sampled "emergence" 2405 |> ignore

[<Fact>]
let ``conservation passes at 200 sets drawn from its declared ranges`` () = sampled "conservation" 2407 |> ignore

[<Fact>]
let ``min-norm passes at 200 sets drawn from its declared ranges`` () = sampled "min-norm" 2408 |> ignore

[<Fact>]
let ``neural-collapse passes at 200 sets drawn from its declared ranges`` () =
    sampled "neural-collapse" 2409 |> ignore

[<Fact>]
let ``parity3 passes at 200 sets drawn from its declared ranges`` () = sampled "parity3" 2410 |> ignore

[<Fact>]
let ``dc-shot passes at 200 sets drawn from its declared ranges`` () = sampled "dc-shot" 2406 |> ignore

[<Fact>]
let ``scaling passes at 200 sets drawn from its declared ranges`` () = sampled "scaling" 2403 |> ignore

[<Fact>]
let ``multilinear passes at 200 sets drawn from its declared ranges`` () = sampled "multilinear" 2404 |> ignore

[<Fact>]
let ``linear passes at 200 sets drawn from its declared ranges`` () = sampled "linear" 2411 |> ignore
