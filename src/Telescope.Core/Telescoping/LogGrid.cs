namespace Telescope.Telescoping;

/// <summary>
/// Which steps are written (spec §1.3): every step for short runs; otherwise about
/// <c>logPoints</c> log-spaced steps plus every ⌈T/100⌉-th step, always with 0 and T.
/// The telescoped model is updated at every step whatever the grid.
/// </summary>
public static class LogGrid
{
    /// <summary>The sorted set of logged steps in 0..T.</summary>
    public static SortedSet<long> Steps(
        long total,
        int every = 0,
        int logPoints = 30,
        long everyStepUpTo = 200
    )
    {
        var s = new SortedSet<long> { 0, total };
        if (every > 0)
        {
            for (long t = every; t <= total; t += every)
                s.Add(t);
            return s;
        }
        if (total <= everyStepUpTo)
        {
            for (long t = 1; t <= total; t++)
                s.Add(t);
            return s;
        }
        for (int i = 0; i < logPoints; i++)
            s.Add(Math.Max(1, (long)Math.Round(Math.Pow(total, (double)i / (logPoints - 1)))));
        long stride = Math.Max(1, (total + 99) / 100);
        for (long t = stride; t <= total; t += stride)
            s.Add(t);
        return s;
    }
}
