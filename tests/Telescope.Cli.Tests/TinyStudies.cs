using Telescope.Experiments.Stress;

namespace Telescope.Cli.Tests;

/// <summary>
/// Command lines of the stress harness's tiny configurations (<see cref="StressHarness.Cases"/>, declared once
/// there), for tests that need a study that finishes in seconds.
/// </summary>
internal static class TinyStudies
{
    /// <summary><c>study approximation --data CSV --target label [more…]</c>: the study on a user's CSV file.</summary>
    public static string[] ApproximationOnCsv(string csv, params string[] more) =>
        ["study", "approximation", "--data", csv, "--target", "label", .. more];

    /// <summary>
    /// <c>study double-descent [more…] --width W --steps S --train 20 --test 20 --threads 1 --out DIR</c>: a
    /// double-descent run small enough for a test (20 training and 20 test points, one thread).
    /// </summary>
    public static string[] DoubleDescent(
        string outDir,
        string widths,
        int steps,
        params string[] more
    ) =>
        [
            "study",
            "double-descent",
            .. more,
            "--width",
            widths,
            "--steps",
            steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--train",
            "20",
            "--test",
            "20",
            "--threads",
            "1",
            "--out",
            outDir,
        ];

    /// <summary>
    /// <c>study &lt;study&gt; --name value …</c> of the stress case <paramref name="caseName"/>, with
    /// <paramref name="overrides"/> (name, value) replacing or adding values.
    /// </summary>
    public static string[] Cli(string caseName, params (string Name, string Value)[] overrides)
    {
        var c = StressHarness.Cases.Single(x => x.Label == caseName);
        var values = c.Values.ToDictionary(kv => kv.Key, kv => kv.Value);
        foreach (var (n, v) in overrides)
            values[n] = v;
        return
        [
            "study",
            c.Study,
            .. values.SelectMany(kv => new[] { ParameterNames.Option(kv.Key), kv.Value }),
        ];
    }
}
