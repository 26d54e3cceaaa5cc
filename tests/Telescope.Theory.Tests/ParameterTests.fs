/// A theory check's parameters speak the vocabulary of study parameters (`Telescope.IParameter`): what a face lists
/// about them (kind, default text, help) agrees with the declared domain, and the default as listed is accepted
/// back as typed.
module ParameterTests

open System
open System.Globalization
open global.Xunit
open Telescope
open Telescope.Theory.Checks

let private all () =
    [
        for c in TheoryCatalog.All do
            for p in c.Parameters -> c, p
    ]

/// Kind, default text, help and list-ness of every catalog parameter, seen only through `IParameter`.
[<Fact>]
let ``every theory parameter is an IParameter that states its declared domain`` () =
    Assert.NotEmpty(all ())

    for c, spec in all () do
        let p = spec :> IParameter
        let at = $"{c.Name} {p.Name}"
        Assert.True((p.Kind = ParameterKind.Int) = spec.Integer, at)
        Assert.True(p.Kind = ParameterKind.Int || p.Kind = ParameterKind.Double, at)
        Assert.False(p.IsList, at)
        Assert.Empty(p.Choices)
        // the default as text: six significant digits of the declared default, read back independently
        let shown = Double.Parse(p.DefaultText, CultureInfo.InvariantCulture)
        Assert.True(abs (shown - spec.Default) <= 5e-6 * abs spec.Default, $"{at}: {p.DefaultText} vs {spec.Default}")
        // the help says what it means, the theorem's range and the default
        Assert.StartsWith(spec.Description, p.Help)
        Assert.Contains(spec.Range, p.Help)
        Assert.EndsWith($"Default: {p.DefaultText}.", p.Help)

/// The default a listing prints, typed back as `--param name=text`, is accepted; a value outside the declared range
/// (the must-fail control) is refused with the one bad-parameter exception.
[<Fact>]
let ``a listed default typed back is accepted, one outside the range refused`` () =
    for c, spec in all () do
        let p = spec :> IParameter
        let v = TheoryCatalog.Validate(c, [ $"{p.Name}={p.DefaultText}" ])
        Assert.True(spec.Contains v[p.Name], $"{c.Name} {p.Name}={p.DefaultText}")
        let outside = spec.Max + max 1.0 (abs spec.Max)

        if not (spec.Also.HasValue && spec.Also.Value = outside) then
            Assert.Throws<ParameterException>(fun () ->
                TheoryCatalog.Validate(c, [ $"{p.Name}={ParamSpec.Fmt outside}" ]) |> ignore)
            |> ignore
