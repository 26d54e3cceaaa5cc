namespace Telescope.Experiments.Parameters;

/// <summary>A parameter of configuration <typeparamref name="TConfig"/>: parse text, set it on a copy of the config.</summary>
public sealed class Parameter<TConfig> : IParameter
{
    private readonly Func<TConfig, string, TConfig> _set;

    internal Parameter(
        string name,
        string description,
        ParameterKind kind,
        string defaultText,
        Func<TConfig, string, TConfig> set,
        IReadOnlyList<string>? choices = null
    )
    {
        Name = name;
        Description = description;
        Kind = kind;
        DefaultText = defaultText;
        _set = set;
        Choices = choices ?? [];
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public ParameterKind Kind { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Choices { get; }

    /// <inheritdoc />
    public string DefaultText { get; }

    /// <inheritdoc />
    public bool IsList => ParameterHelp.IsList(Kind);

    /// <inheritdoc />
    public string Help => ParameterHelp.Line(Description, DefaultText);

    /// <summary>The config with this parameter set from <paramref name="text"/>; bad text → <see cref="ParameterException"/>.</summary>
    public TConfig Set(TConfig config, string text) => _set(config, text);
}

/// <summary>Builders of typed parameters. Every value is parsed here, with one error line naming the parameter.</summary>
public static class Parameter
{
    private static readonly CultureInfo C = CultureInfo.InvariantCulture;

    /// <summary>Invariant text of a number (<c>R</c> format).</summary>
    public static string Text(double x) => x.ToString("R", C);

    /// <summary>Invariant text of a list of numbers, comma-separated.</summary>
    public static string Text<T>(IEnumerable<T> xs)
        where T : IFormattable => string.Join(",", xs.Select(x => x.ToString(null, C)));

    private static string Opt(string name) => ParameterNames.Option(name);

    /// <summary>The comma-separated parts of a value, refusing empty ones (<c>--lr ""</c> must not mean the default).</summary>
    public static string[] Parts(string name, string text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Split(',').Any(string.IsNullOrWhiteSpace))
            throw new ParameterException($"{Opt(name)}: empty value in '{text}'");
        return text.Split(',', StringSplitOptions.TrimEntries);
    }

    /// <summary>A number, finite.</summary>
    public static double Number(string name, string part)
    {
        if (!double.TryParse(part, NumberStyles.Float, C, out var x))
            throw new ParameterException($"{Opt(name)}: '{part}' is not a number");
        if (!double.IsFinite(x))
            throw new ParameterException($"{Opt(name)}: {part} is not a finite number");
        return x;
    }

    /// <summary>An integer.</summary>
    public static int Integer(string name, string part) =>
        int.TryParse(part, NumberStyles.Integer, C, out var x)
            ? x
            : throw new ParameterException($"{Opt(name)}: '{part}' is not an integer");

    private static Func<T, string, T> AtLeast<T>(string name, int min, Func<T, int, T> set) =>
        (c, text) =>
        {
            int v = Integer(name, text.Trim());
            return v < min
                ? throw new ParameterException($"{Opt(name)} must be ≥ {min}, got {v}")
                : set(c, v);
        };

    /// <summary>One integer, at least <paramref name="min"/>.</summary>
    public static Parameter<T> Int<T>(
        string name,
        string description,
        Func<T, int> get,
        Func<T, int, T> set,
        T defaults,
        int min = int.MinValue
    ) =>
        new(
            name,
            description,
            ParameterKind.Int,
            get(defaults).ToString(C),
            AtLeast(name, min, set)
        );

    /// <summary>
    /// One integer that may be left unset (null), when the default depends on other parameters (a preset, a task);
    /// <paramref name="defaultText"/> says what it is then.
    /// </summary>
    public static Parameter<T> OptionalInt<T>(
        string name,
        string description,
        string defaultText,
        Func<T, int, T> set,
        int min = int.MinValue
    ) => new(name, description, ParameterKind.Int, defaultText, AtLeast(name, min, set));

    /// <summary>One real number (range checks belong to the config's <c>Problems()</c>, which sees every value).</summary>
    public static Parameter<T> Double<T>(
        string name,
        string description,
        Func<T, double> get,
        Func<T, double, T> set,
        T defaults
    ) =>
        new(name, description, ParameterKind.Double, Text(get(defaults)), (c, text) =>
            set(c, Number(name, text.Trim()))
        );

    /// <summary>One real number with a default that depends on other parameters.</summary>
    public static Parameter<T> OptionalDouble<T>(
        string name,
        string description,
        string defaultText,
        Func<T, double, T> set
    ) =>
        new(name, description, ParameterKind.Double, defaultText, (c, text) =>
            set(c, Number(name, text.Trim()))
        );

    /// <summary>The whole numbers of a list value; <paramref name="bad"/> rejects a number with <paramref name="message"/>.</summary>
    private static Func<T, string, T> IntList<T>(
        string name,
        Func<double, bool> bad,
        string message,
        Func<T, int[], T> set,
        bool grid
    ) =>
        (c, text) =>
        {
            var xs = Parts(name, text).Select(p => Number(name, p)).ToArray();
            if (xs.Any(x => x != Math.Floor(x) || Math.Abs(x) > int.MaxValue || bad(x)))
                throw new ParameterException($"{Opt(name)}: {message}");
            var ints = xs.Select(x => (int)x).ToArray();
            return set(c, grid ? Distinct(name, text, ints) : ints);
        };

    /// <summary>
    /// A list of positive integers (<c>2,4,8</c>). A <paramref name="grid"/> (values a study runs over) refuses a
    /// repeated value; a shape (<c>--width 32,32</c>: one layer per value) may repeat.
    /// </summary>
    public static Parameter<T> PositiveInts<T>(
        string name,
        string description,
        string defaultText,
        Func<T, int[], T> set,
        string what,
        bool grid = true
    ) =>
        new(
            name,
            description,
            ParameterKind.Ints,
            defaultText,
            IntList(name, x => x < 1, $"{what} must be positive integers", set, grid)
        );

    /// <summary>
    /// A list of whole numbers (<c>0,10,40</c>); ranges belong to the config's <c>Problems()</c>. A
    /// <paramref name="grid"/> refuses a repeated value; a shape (conv channels) may repeat.
    /// </summary>
    public static Parameter<T> Ints<T>(
        string name,
        string description,
        string defaultText,
        Func<T, int[], T> set,
        bool grid = true
    ) =>
        new(
            name,
            description,
            ParameterKind.Ints,
            defaultText,
            IntList(name, _ => false, "whole numbers expected", set, grid)
        );

    /// <summary>A file or folder path, kept as given.</summary>
    public static Parameter<T> Path<T>(
        string name,
        string description,
        string defaultText,
        Func<T, string, T> set
    ) =>
        new(name, description, ParameterKind.Text, defaultText, (c, text) =>
            string.IsNullOrWhiteSpace(text)
                ? throw new ParameterException($"{Opt(name)}: empty value")
                : set(c, text)
        );

    /// <summary>
    /// A requirement stated as a parameter (a study that runs on one device or in one dtype): the accepted word
    /// passes, the others are refused with <paramref name="why"/>.
    /// </summary>
    public static Parameter<T> Only<T>(
        string name,
        string description,
        string accepted,
        IReadOnlyList<string> refused,
        string why
    ) =>
        Choice<T, bool>(
            name,
            description,
            accepted,
            [(accepted, true), .. refused.Select(r => (r, false))],
            (c, ok) => ok ? c : throw new ParameterException($"{Opt(name)}: {why}")
        );

    /// <summary>A list of real numbers (<c>0.01,0.1</c>); <paramref name="check"/> names a bad one.</summary>
    public static Parameter<T> Doubles<T>(
        string name,
        string description,
        string defaultText,
        Func<T, double[], T> set,
        Func<double, string?>? check = null
    ) => new(name, description, ParameterKind.Doubles, defaultText, (c, text) =>
        {
            var xs = Parts(name, text).Select(p => Number(name, p)).ToArray();
            foreach (var x in xs)
                if (check?.Invoke(x) is { } bad)
                    throw new ParameterException($"{Opt(name)}: {bad}");
            return set(c, Distinct(name, text, xs));
        });

    /// <summary>A list of lower-cased words (<c>sgd,adam</c>).</summary>
    public static Parameter<T> Words<T>(
        string name,
        string description,
        string defaultText,
        Func<T, string[], T> set
    ) =>
        new(name, description, ParameterKind.Words, defaultText, (c, text) =>
            set(
                c,
                Distinct(name, text, Parts(name, text).Select(p => p.ToLowerInvariant()).ToArray())
            )
        );

    /// <summary>Seeds: <c>0,1,2</c> or an inclusive range <c>0..3</c>; at most <see cref="StudyLimits.MaxSeeds"/>.</summary>
    public static Parameter<T> Seeds<T>(
        string name,
        Func<T, IReadOnlyList<long>> get,
        Func<T, long[], T> set,
        T defaults,
        string? defaultText = null
    ) =>
        new(
            name,
            "Seed(s): 0,1 or 0..3.",
            ParameterKind.Seeds,
            defaultText ?? Text(get(defaults)),
            (c, text) => set(c, ParseSeeds(name, text))
        );

    /// <summary>Parse seeds (see <see cref="Seeds{T}"/>).</summary>
    public static long[] ParseSeeds(string name, string text)
    {
        var result = new List<long>();
        foreach (var part in Parts(name, text))
        {
            var range = part.Split("..");
            if (
                range.Length == 2
                && long.TryParse(range[0], out var a)
                && long.TryParse(range[1], out var b)
                && a <= b
            )
            {
                // counted in decimal: b - a overflows a long for ranges such as long.MinValue..long.MaxValue
                decimal count = (decimal)b - a + 1;
                if (count > StudyLimits.MaxSeeds || result.Count + count > StudyLimits.MaxSeeds)
                    throw new ParameterException(
                        $"{Opt(name)}: '{part}' asks for {(decimal)b - a + 1} seeds; at most {StudyLimits.MaxSeeds} in one command"
                    );
                for (long s = a; s <= b; s++)
                    result.Add(s);
            }
            else if (range.Length == 2)
                throw new ParameterException(
                    $"{Opt(name)}: '{part}' is not a seed range (two integers, the first ≤ the second, like 0..3)"
                );
            else if (long.TryParse(part, NumberStyles.Integer, C, out var s1))
                result.Add(s1);
            else
                throw new ParameterException(
                    $"{Opt(name)}: '{part}' is not a seed (an integer, or a range like 0..3)"
                );
        }
        if (result.Count > StudyLimits.MaxSeeds)
            throw new ParameterException(
                $"{Opt(name)}: {result.Count} seeds; at most {StudyLimits.MaxSeeds} in one command"
            );
        return Distinct(name, text, result.ToArray());
    }

    /// <summary>
    /// The values of a list parameter, refused when one repeats (<c>--shares 0,0.2,0.2</c> would run and write
    /// the same grid point twice): every list parameter of every study, sweep and bench passes through here.
    /// </summary>
    public static TValue[] Distinct<TValue>(string name, string text, TValue[] values)
    {
        var seen = new HashSet<TValue>();
        foreach (var v in values)
            if (!seen.Add(v))
                throw new ParameterException(
                    $"{Opt(name)}: {Convert.ToString(v, C)} is given twice in '{text}'; each value may appear once"
                );
        return values;
    }

    /// <summary>One of a fixed set of words, each standing for a value.</summary>
    public static Parameter<T> Choice<T, TValue>(
        string name,
        string description,
        string defaultText,
        IReadOnlyList<(string word, TValue value)> choices,
        Func<T, TValue, T> set,
        string noun = ""
    ) =>
        new(
            name,
            description,
            ParameterKind.Choice,
            defaultText,
            (c, text) =>
            {
                var w = text.Trim().ToLowerInvariant();
                foreach (var (word, value) in choices)
                    if (word == w)
                        return set(c, value);
                throw new ParameterException(
                    $"{Opt(name)}: unknown {(noun.Length > 0 ? noun + " " : "")}'{w}': expected {ListText(choices.Select(x => x.word).ToList())}"
                );
            },
            choices.Select(x => x.word).ToList()
        );

    /// <summary>Words as a reader lists them: <c>a</c>, <c>a or b</c>, <c>a, b or c</c>.</summary>
    public static string ListText(IReadOnlyList<string> words, string conjunction = "or") =>
        words.Count <= 1
            ? string.Join("", words)
            : $"{string.Join(", ", words.Take(words.Count - 1))} {conjunction} {words[^1]}";

    /// <summary>The word of an enum value, as users type it: its name in lower case (<c>Relu</c> → <c>relu</c>).</summary>
    public static string WordOf<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>
    /// One of the values of <typeparamref name="TEnum"/> a study supports (<paramref name="supported"/>: the subset, stated
    /// as data, each with an optional note). The words are the enum's names (<see cref="WordOf{TEnum}"/>) and the help is
    /// generated from them — <paramref name="lead"/>, then <c>w₁ (note₁), w₂ or w₃ (note₃)</c>, then <paramref name="tail"/> —
    /// so the help cannot name a value the study refuses or miss one it takes.
    /// </summary>
    public static Parameter<T> EnumChoice<T, TEnum>(
        string name,
        string lead,
        IReadOnlyList<(TEnum value, string note)> supported,
        string tail,
        string defaultText,
        Func<T, TEnum, T> set,
        string noun = ""
    )
        where TEnum : struct, Enum =>
        Choice(
            name,
            lead
                + ListText(
                    supported
                        .Select(x =>
                            x.note.Length == 0 ? WordOf(x.value) : $"{WordOf(x.value)} ({x.note})"
                        )
                        .ToList()
                )
                + tail,
            defaultText,
            supported.Select(x => (WordOf(x.value), x.value)).ToList(),
            set,
            noun
        );

    /// <summary>One word, checked where it is used (a device: <c>cpu</c>, <c>cuda:1</c>).</summary>
    public static Parameter<T> Word<T>(
        string name,
        string description,
        Func<T, string> get,
        Func<T, string, T> set,
        T defaults
    ) =>
        new(name, description, ParameterKind.Text, get(defaults), (c, text) =>
            string.IsNullOrWhiteSpace(text)
                ? throw new ParameterException($"{Opt(name)}: empty value")
                : set(c, text.Trim().ToLowerInvariant())
        );

    /// <summary>A flag: on when given (text <c>true</c>/<c>false</c> in the F# face; the CLI passes <c>true</c>).</summary>
    public static Parameter<T> Flag<T>(string name, string description, Func<T, bool, T> set) =>
        new(name, description, ParameterKind.Flag, "", (c, text) =>
            bool.TryParse(text.Trim(), out var on)
                ? set(c, on)
                : throw new ParameterException($"{Opt(name)}: '{text}' is not true or false")
        );
}

/// <summary>Typed parameters applied to a configuration: the one path from a face's text values to a validated config.</summary>
public static class ParameterSet
{
    /// <summary>
    /// The configuration <paramref name="values"/> describe (later values of one name win): <paramref name="start"/>
    /// of the given values, then each given parameter set in declaration order, then <paramref name="problems"/>.
    /// Unknown names, unparseable text and invalid combinations are one <see cref="ParameterException"/>.
    /// </summary>
    /// <param name="owner">Names the owner in messages (<c>study grokking</c>, <c>bench ntk</c>).</param>
    /// <param name="typed">The parameters.</param>
    /// <param name="values">Parameter name → text, as a face received it.</param>
    /// <param name="start">The configuration the given values start from (the defaults, or a preset's).</param>
    /// <param name="problems">Every problem of a configuration (empty when valid).</param>
    public static TConfig Configure<TConfig>(
        string owner,
        IReadOnlyList<Parameter<TConfig>> typed,
        IEnumerable<KeyValuePair<string, string>> values,
        Func<IReadOnlyDictionary<string, string>, TConfig> start,
        Func<TConfig, IEnumerable<string>> problems
    )
    {
        var given = new Dictionary<string, string>();
        foreach (var (k, v) in values)
        {
            if (!typed.Any(p => p.Name == k))
                throw new ParameterException(
                    $"{owner}: unknown parameter '{k}' (known: {string.Join(", ", typed.Select(p => p.Name))})"
                );
            given[k] = v;
        }
        var c = start(given);
        foreach (var p in typed)
            if (given.TryGetValue(p.Name, out var text))
                c = p.Set(c, text);
        var bad = problems(c).ToList();
        if (bad.Count > 0)
            throw new ParameterException(string.Join("; ", bad));
        return c;
    }
}
