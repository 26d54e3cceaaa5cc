namespace Telescope.Data;

/// <summary>Label noise for binary tasks (spec A15): flip each label independently with probability p.</summary>
public static class LabelNoise
{
    /// <summary>A copy of <paramref name="data"/> with each 0/1 label flipped with probability <paramref name="p"/> (seeded); returns also how many were flipped.</summary>
    public static (Dataset data, int flipped) Flip(Dataset data, double p, long seed)
    {
        if (data.Classes != 2 || data.TargetValues is not null)
            throw new ArgumentException("label noise is defined here for binary 0/1 tasks only");
        if (!(p >= 0 && p <= 1))
            throw new ArgumentOutOfRangeException(
                nameof(p),
                $"flip probability must be in [0, 1], got {p}"
            );
        var rng = new Rng(seed, stream: 13);
        var labels = data.Labels.ToArray();
        int flipped = 0;
        for (int i = 0; i < labels.Length; i++)
            if (rng.NextDouble() < p)
            {
                labels[i] = 1 - labels[i];
                flipped++;
            }
        return (
            data with
            {
                Labels = labels,
                Source = data.Source + $"; {p:P0} training label noise (seed {seed})",
            },
            flipped
        );
    }
}
