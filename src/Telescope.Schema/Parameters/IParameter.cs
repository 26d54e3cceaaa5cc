namespace Telescope;

/// <summary>What kind of value a parameter takes (faces choose their widget or option type from it).</summary>
public enum ParameterKind
{
    /// <summary>One integer.</summary>
    Int,

    /// <summary>One real number.</summary>
    Double,

    /// <summary>A list of integers, <c>2,4,8</c> (a swept coordinate).</summary>
    Ints,

    /// <summary>A list of real numbers, <c>0.01,0.1</c> (a swept coordinate).</summary>
    Doubles,

    /// <summary>A list of words, <c>sgd,adam</c>.</summary>
    Words,

    /// <summary>Seeds, <c>0,1</c> or <c>0..3</c>.</summary>
    Seeds,

    /// <summary>One of <see cref="IParameter.Choices"/>.</summary>
    Choice,

    /// <summary>On when given.</summary>
    Flag,

    /// <summary>One word checked later (a device name).</summary>
    Text,
}

/// <summary>
/// A parameter as a face sees it, the one vocabulary of studies, benches and theory checks alike: name (the CLI's
/// <c>--name</c>, the F# face's key), kind, the default as text (or a sentence where the default depends on other
/// parameters), allowed choices and a description. Values are always given as text, so every face parses them the
/// same way: in the library, where bad text is one <see cref="ParameterException"/>.
/// </summary>
public interface IParameter
{
    /// <summary>Name: lower-case words joined by <c>-</c> (a theory check's symbol, <c>S</c>, <c>R0_over_S</c>).</summary>
    string Name { get; }

    /// <summary>What it means (one sentence, without the default).</summary>
    string Description { get; }

    /// <summary>The kind of value.</summary>
    ParameterKind Kind { get; }

    /// <summary>The allowed values of a <see cref="ParameterKind.Choice"/> (empty otherwise).</summary>
    IReadOnlyList<string> Choices { get; }

    /// <summary>The default, as text a face prints (e.g. <c>600</c>, <c>200,200</c>, <c>the spec's grid per optimiser</c>).</summary>
    string DefaultText { get; }

    /// <summary>Whether the parameter is a list of values (a coordinate a study runs over).</summary>
    bool IsList { get; }

    /// <summary>The help line: description and default (<see cref="ParameterHelp.Line"/>).</summary>
    string Help { get; }
}

/// <summary>The text every face prints about a parameter, made here once.</summary>
public static class ParameterHelp
{
    /// <summary>The help line: <c>description Default: text.</c> (the description alone when there is no default text).</summary>
    public static string Line(string description, string defaultText) =>
        defaultText.Length == 0 ? description : $"{description} Default: {defaultText}.";

    /// <summary>Whether a kind is a list of values (<c>2,4,8</c>).</summary>
    public static bool IsList(ParameterKind kind) =>
        kind
            is ParameterKind.Ints
                or ParameterKind.Doubles
                or ParameterKind.Words
                or ParameterKind.Seeds;

    /// <summary>A parameter and its default as a listing prints it: <c>name=default</c>.</summary>
    public static string Assignment(IParameter p) => $"{p.Name}={p.DefaultText}";
}
