namespace Telescope.Data;

/// <summary>Image preprocessing.</summary>
internal static class Images
{
    /// <summary>
    /// Adaptive average pooling of a square <c>side×side</c> image to <c>outSide×outSide</c>, exactly
    /// as <c>adaptive_avg_pool2d</c>: output cell (i, j) averages input rows
    /// <c>⌊side·i/out⌋ … ⌈side·(i+1)/out⌉−1</c> and the same columns (spec §5; 28 → 8 windows are 4 wide and overlap by one).
    /// </summary>
    public static double[] AdaptiveAvgPool(ReadOnlySpan<double> image, int side, int outSide)
    {
        var result = new double[outSide * outSide];
        for (int i = 0; i < outSide; i++)
        {
            int r0 = side * i / outSide,
                r1 = (side * (i + 1) + outSide - 1) / outSide;
            for (int j = 0; j < outSide; j++)
            {
                int c0 = side * j / outSide,
                    c1 = (side * (j + 1) + outSide - 1) / outSide;
                double s = 0;
                for (int r = r0; r < r1; r++)
                for (int c = c0; c < c1; c++)
                    s += image[r * side + c];
                result[i * outSide + j] = s / ((r1 - r0) * (c1 - c0));
            }
        }
        return result;
    }
}
