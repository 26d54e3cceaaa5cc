using System.CommandLine;
using System.Globalization;
using Telescope.Studies;

namespace Telescope.Cli.Hosting;

/// <summary>Shared option parsing helpers: every bad value becomes a <see cref="UsageException"/> naming the option.</summary>
public static class OptionParsing
{
    /// <summary>Parse a list of numbers given as repeated values or comma-separated (<c>--lr 0.01,0.1</c>).</summary>
    public static double[] Numbers(string option, IEnumerable<string>? values)
    {
        var result = new List<double>();
        foreach (var v in NonEmpty(option, values))
        foreach (
            var part in v.Split(
                ',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
        )
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var x))
                throw new UsageException($"{option}: '{part}' is not a number");
            if (!double.IsFinite(x))
                throw new UsageException($"{option}: {part} is not a finite number");
            result.Add(x);
        }
        return result.ToArray();
    }

    /// <summary>Parse a list of words (repeated or comma-separated), lower-cased.</summary>
    public static string[] Words(string option, IEnumerable<string>? values) =>
        NonEmpty(option, values)
            .SelectMany(v =>
                v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            )
            .Select(v => v.ToLowerInvariant())
            .ToArray();

    /// <summary>Parse seeds: <c>0,1,2</c> or a range <c>0..3</c> (inclusive).</summary>
    public static long[] Seeds(string option, IEnumerable<string>? values)
    {
        var result = new List<long>();
        foreach (var v in NonEmpty(option, values))
        foreach (
            var part in v.Split(
                ',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
        )
        {
            var range = part.Split("..");
            if (
                range.Length == 2
                && long.TryParse(range[0], out var a)
                && long.TryParse(range[1], out var b)
                && a <= b
            )
            {
                if (
                    b - a >= StudyLimits.MaxSeeds
                    || result.Count + (b - a + 1) > StudyLimits.MaxSeeds
                )
                    throw new UsageException(
                        $"{option}: '{part}' asks for {(decimal)b - a + 1} seeds; at most {StudyLimits.MaxSeeds} in one command"
                    );
                for (long s = a; s <= b; s++)
                    result.Add(s);
            }
            else if (range.Length == 2)
                throw new UsageException(
                    $"{option}: '{part}' is not a seed range (two integers, the first ≤ the second, like 0..3)"
                );
            else if (
                long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s1)
            )
                result.Add(s1);
            else
                throw new UsageException(
                    $"{option}: '{part}' is not a seed (an integer, or a range like 0..3)"
                );
        }
        if (result.Count > StudyLimits.MaxSeeds)
            throw new UsageException(
                $"{option}: {result.Count} seeds; at most {StudyLimits.MaxSeeds} in one command"
            );
        return result.Distinct().ToArray();
    }

    /// <summary>The values given, refusing an empty one (<c>--lr ""</c> must not silently mean the default).</summary>
    public static IEnumerable<string> NonEmpty(string option, IEnumerable<string>? values)
    {
        foreach (var v in values ?? [])
        {
            if (string.IsNullOrWhiteSpace(v) || v.Split(',').Any(p => string.IsNullOrWhiteSpace(p)))
                throw new UsageException($"{option}: empty value in '{v}'");
            yield return v;
        }
    }

    /// <summary>An option that takes one or more values per token.</summary>
    public static Option<string[]> Many(string name, string description) =>
        new(name) { Description = description, AllowMultipleArgumentsPerToken = true };
}
