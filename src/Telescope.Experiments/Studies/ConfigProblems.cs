namespace Telescope.Experiments.Studies;

/// <summary>How a study refuses a configuration it was built with: every problem at once, in one message.</summary>
internal static class ConfigProblems
{
    /// <summary>Throw an <see cref="ArgumentException"/> naming every problem, joined by <c>"; "</c>; nothing when there are none.</summary>
    public static void ThrowIfAny(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count > 0)
            throw new ArgumentException(string.Join("; ", list));
    }
}
