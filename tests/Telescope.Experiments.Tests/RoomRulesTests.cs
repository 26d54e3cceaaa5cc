using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Telescope.Experiments.Benchmarks;
using Telescope.Experiments.Parameters;
using Telescope.Experiments.Studies;
using Telescope.Experiments.Studies.DoubleDescent;
using Telescope.Hosting;
using Xunit;

namespace Telescope.Tests;

/// <summary>
/// The three rules of docs/architecture.md that keep the rooms apart, each with a must-fail control: (1) a study is
/// one folder and namespace; (2) no choice list or preset description is written by hand; (3) the library speaks
/// parameter names and only <see cref="ParameterNames.Option"/> spells <c>--name</c>.
/// </summary>
public sealed class RoomRulesTests
{
    private static string Root()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d is not null && !File.Exists(Path.Combine(d.FullName, "Telescope.Analytics.sln")))
            d = d.Parent;
        return d!.FullName;
    }

    /// <summary><c>gbt-vs-nn</c> → <c>GbtVsNn</c>: a catalog name as its folder and namespace segment.</summary>
    private static string Pascal(string name) =>
        string.Concat(name.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));

    private static Assembly Experiments => typeof(StudyCatalog).Assembly;

    // ---- rule 1: a study is one folder and one namespace ----

    /// <summary>
    /// Every problem of the layout: a type named after a study (its Pascal name as prefix) outside that study's
    /// namespace, or a source file under <c>Studies/&lt;Name&gt;/</c> whose namespace is not the folder's.
    /// </summary>
    private static List<string> Misplaced(
        IEnumerable<Type> types,
        IEnumerable<(string file, string ns)> sources,
        IReadOnlyList<string> studies
    )
    {
        var problems = new List<string>();
        foreach (var t in types.Where(t => t.IsPublic || t.IsNotPublic))
        {
            if (t.Name.StartsWith('<') || t.IsNested)
                continue;
            foreach (var s in studies)
                if (
                    t.Name.StartsWith(s, StringComparison.Ordinal)
                    && t.Namespace != $"Telescope.Experiments.Studies.{s}"
                )
                    problems.Add(
                        $"{t.FullName} is named after study {s} but lives in {t.Namespace}"
                    );
        }
        foreach (var (file, ns) in sources)
        {
            var folder = Path.GetFileName(Path.GetDirectoryName(file)!);
            if (ns != $"Telescope.Experiments.Studies.{folder}")
                problems.Add($"{file}: namespace {ns}, folder {folder}");
        }
        return problems;
    }

    private static IEnumerable<(string file, string ns)> StudySources()
    {
        var dir = Path.Combine(Root(), "src", "Telescope.Experiments", "Studies");
        foreach (var sub in Directory.GetDirectories(dir))
        foreach (var f in Directory.GetFiles(sub, "*.cs"))
        {
            var line = File.ReadLines(f).First(l => l.StartsWith("namespace "));
            yield return (Path.GetRelativePath(dir, f), line["namespace ".Length..].TrimEnd(';'));
        }
    }

    [Fact]
    public void EachCatalogStudyIsOneFolderOneNamespaceAndOneFigureModule()
    {
        var studies = StudyCatalog.All.Select(d => Pascal(d.Name)).ToList();
        var root = Path.Combine(Root(), "src");
        foreach (var d in StudyCatalog.All)
        {
            var s = Pascal(d.Name);
            Assert.Equal($"Telescope.Experiments.Studies.{s}", d.GetType().Namespace);
            Assert.True(
                Directory.Exists(Path.Combine(root, "Telescope.Experiments", "Studies", s)),
                s
            );
            Assert.True(
                File.Exists(Path.Combine(root, "Telescope.Plots", "Studies", s + ".fs")),
                s
            );
            Assert.NotNull(
                typeof(Telescope.Plots.Offline).Assembly.GetType($"Telescope.Plots.Studies.{s}")
            );
        }
        // every IStudy the layer defines lives in a catalog study's namespace
        foreach (
            var t in Experiments
                .GetTypes()
                .Where(t => typeof(IStudy).IsAssignableFrom(t) && !t.IsInterface)
        )
            Assert.Contains(t.Namespace!["Telescope.Experiments.Studies.".Length..], studies);
        var problems = Misplaced(Experiments.GetTypes(), StudySources(), studies);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // Core is the engine: no type of a study or bench namespace, none named after a study
        var core = typeof(IStudy).Assembly.GetTypes();
        Assert.DoesNotContain(
            core,
            t => t.Namespace is "Telescope.Studies" or "Telescope.Benchmarks"
        );
        Assert.DoesNotContain(
            Misplaced(core, [], studies),
            p => !p.Contains("lives in Telescope.Experiments")
        );
    }

    [Fact]
    public void TheLayoutCheckCatchesAStudyTypeOutsideItsFolder()
    {
        // must-fail control: a type named after lmc in this namespace, and a file whose namespace is not its folder's
        var problems = Misplaced(
            [typeof(RoomRulesTests), typeof(LmcProbeForTheControl)],
            [("Lmc/LmcBarrier.cs", "Telescope.Experiments.Studies")],
            ["Lmc"]
        );
        Assert.True(problems.Count == 2, string.Join("\n", problems));
        Assert.Contains(problems, p => p.StartsWith("Telescope.Tests.LmcProbeForTheControl"));
        Assert.Contains(problems, p => p.StartsWith("Lmc/LmcBarrier.cs"));
    }

    // ---- rule 2: no choice list or preset description written by hand ----

    private static IEnumerable<(string owner, IParameter p)> AllParameters() =>
        StudyCatalog
            .All.SelectMany(d => d.Parameters.Select(p => ($"study {d.Name}", p)))
            .Concat(
                BenchCatalog.All.SelectMany(b => b.Parameters.Select(p => ($"bench {b.Name}", p)))
            );

    /// <summary>The problems of one choice parameter's help: an accepted word it does not name.</summary>
    /// A requirement (<c>float64 only</c>, built by <see cref="Parameter.Only{T}"/>) names the one word it accepts; the
    /// refused ones are named by the error that refuses them.
    private static IEnumerable<string> ChoiceProblems(string owner, IParameter p)
    {
        var only = Regex.Match(p.Description, @"^([\w+-]+) only\b");
        IReadOnlyList<string> named = only.Success ? [only.Groups[1].Value] : p.Choices;
        return named
            .Where(w =>
                !p.Choices.Contains(w)
                || !Regex.IsMatch(p.Description, $@"(?<![\w+-]){Regex.Escape(w)}(?![\w+-])")
            )
            .Select(w =>
                $"{owner} {p.Name}: help does not name '{w}' as a choice: {p.Description}"
            );
    }

    [Fact]
    public void EveryChoiceHelpNamesExactlyTheWordsItAccepts()
    {
        var problems = AllParameters()
            .Where(x => x.p.Kind == ParameterKind.Choice)
            .SelectMany(x => ChoiceProblems(x.owner, x.p))
            .ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // the enum-backed choices say the words their enum's supported subset gives, in that order
        var dd = StudyCatalog.Find("double-descent").Parameters;
        Assert.Equal(["quick", "full", "valid"], dd.Single(p => p.Name == "preset").Choices);
        Assert.Equal(["relu", "tanh"], dd.Single(p => p.Name == "activation").Choices);
        Assert.StartsWith("quick, full or valid", dd.Single(p => p.Name == "preset").Description);
    }

    [Fact]
    public void TheChoiceCheckCatchesAHandWrittenListThatDrifted()
    {
        // must-fail control: a hand-written help that lists two words while the choice accepts three
        var p = Parameter.Choice<int, int>(
            "model",
            "mlp or cnn.",
            "mlp",
            [("mlp", 0), ("cnn", 1), ("linear", 2)],
            (c, _) => c
        );
        Assert.Single(ChoiceProblems("control", p));
    }

    /// <summary>
    /// Every disagreement between <paramref name="text"/>'s description of each preset and the preset's config,
    /// parsed independently of the code that writes it: <c>word (activation, n = N, γ = G, ≤ Kk steps, widths A–B, S seeds</c>.
    /// </summary>
    private static List<string> PresetProblems(string text)
    {
        var problems = new List<string>();
        foreach (var preset in Enum.GetValues<DoubleDescentPreset>())
        {
            var word = preset.ToString().ToLowerInvariant();
            var m = Regex.Match(
                text,
                $@"\b{word} \((\w+), n = (\d+), γ = ([0-9.]+), ≤ (\d+)k steps, widths (\d+)–(\d+), (\d+) seeds?:"
            );
            if (!m.Success)
            {
                problems.Add($"{word}: not described in the generated form");
                continue;
            }
            var c = DoubleDescentConfig.For(preset);
            var I = CultureInfo.InvariantCulture;
            void Check(string what, string said, string actual)
            {
                if (said != actual)
                    problems.Add($"{word}: says {what} {said}, runs {actual}");
            }
            Check("activation", m.Groups[1].Value, c.Activation.ToString().ToLowerInvariant());
            Check("n", m.Groups[2].Value, c.TrainSize.ToString(I));
            Check("γ", m.Groups[3].Value, c.LearningRate.ToString("R", I));
            Check(
                "max steps",
                (int.Parse(m.Groups[4].Value, I) * 1000).ToString(I),
                c.MaxSteps.ToString(I)
            );
            Check("smallest width", m.Groups[5].Value, c.Widths.Min().ToString(I));
            Check("largest width", m.Groups[6].Value, c.Widths.Max().ToString(I));
            Check("seeds", m.Groups[7].Value, c.Seeds.Count.ToString(I));
        }
        return problems;
    }

    [Fact]
    public void EveryPresetDescriptionSaysWhatItsConfigRuns()
    {
        var summary = StudyCatalog.Find("double-descent").Summary;
        var problems = PresetProblems(summary);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        foreach (var preset in Enum.GetValues<DoubleDescentPreset>())
            Assert.Contains(DoubleDescentDefinition.PresetText(preset), summary);
    }

    [Fact]
    public void ThePresetCheckCatchesTheDriftedHandWrittenText()
    {
        // must-fail control: the hand-written text this rule replaced (valid: "≤ 48k steps, widths 2–256")
        const string old =
            "quick (relu, n = 200, γ = 0.05, ≤ 12k steps, widths 2–128, 1 seed: x), full (tanh, n = 200, γ = 0.0125, ≤ 48k steps, widths 2–512, 1 seed: x) or valid (tanh, n = 100, γ = 0.025, ≤ 48k steps, widths 2–256, 2 seeds: x)";
        var problems = PresetProblems(old);
        Assert.Equal(2, problems.Count);
        Assert.All(problems, p => Assert.StartsWith("valid: ", p));
    }

    // ---- rule 3: the library speaks parameter names; only ParameterNames.Option spells --name ----

    /// <summary>Flags of other programs the library runs (npm, dotnet, Slurm), not parameters of ours.</summary>
    private static readonly string[] ForeignFlags =
    [
        "silent",
        "force",
        "job-name",
        "array",
        "cpus-per-task",
        "output",
        "partition",
        "parsable",
    ];

    private static readonly Regex Spelled = new(
        @"""[^""\n]*(?<![\w-])--([a-z][a-z0-9-]*)|\$""[^""\n]*(?<![\w-])--([a-z][a-z0-9-]*)"
    );

    /// <summary>Every line of <paramref name="lines"/> (code, not comments) whose string literal spells an option.</summary>
    private static IEnumerable<string> SpelledOptions(string file, IEnumerable<string> lines) =>
        lines
            .Select((l, i) => (l, i))
            .Where(x => !x.l.TrimStart().StartsWith("//"))
            .Where(x =>
                Spelled
                    .Matches(x.l)
                    .Any(m =>
                        !ForeignFlags.Contains(
                            (m.Groups[1].Success ? m.Groups[1] : m.Groups[2]).Value
                        )
                    )
            )
            .Select(x => $"{file}:{x.i + 1}: {x.l.Trim()}");

    [Fact]
    public void NoStringInCoreOrExperimentsSpellsAnOption()
    {
        var src = Path.Combine(Root(), "src");
        var hits = new[] { "Telescope.Core", "Telescope.Experiments" }
            .SelectMany(p =>
                Directory.GetFiles(Path.Combine(src, p), "*.cs", SearchOption.AllDirectories)
            )
            .Where(f =>
                !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
            )
            .SelectMany(f => SpelledOptions(Path.GetRelativePath(src, f), File.ReadLines(f)))
            .ToList();
        Assert.True(hits.Count == 0, string.Join("\n", hits));
        Assert.Equal("--record-every", ParameterNames.Option("record-every"));
        Assert.Equal("record-every", ParameterNames.FromOption("--record-every"));
    }

    [Fact]
    public void TheSpellingCheckCatchesALiteralOption()
    {
        // must-fail control: the forms this rule replaced, a plain and an interpolated message; a foreign flag passes
        string[] lines =
        [
            "            yield return \"--children must be ≥ 2\";",
            "            yield return $\"need 1 ≤ --validation < {x}\";",
            "            var psi = new ProcessStartInfo(\"npm\", $\"pack {Package} --silent\");",
            "            // --steps in a comment is prose",
        ];
        Assert.Equal(2, SpelledOptions("control.cs", lines).Count());
    }
}

/// <summary>The must-fail control's stand-in: a type named after a study, outside its folder.</summary>
internal sealed class LmcProbeForTheControl;
