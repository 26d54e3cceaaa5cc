using Telescope.Frames;
using Xunit;

namespace Telescope.Cli.Tests;

/// <summary>A folder's files and their bytes, to show that a refused command changed nothing in it.</summary>
internal static class FolderBytes
{
    /// <summary>
    /// Every file under <paramref name="dir"/> (path relative to it → bytes); with <paramref name="ignoreLock"/>,
    /// without the output folder's lock file (which a running process holds: not data).
    /// </summary>
    public static Dictionary<string, byte[]> Of(string dir, bool ignoreLock = false) =>
        Directory
            .GetFiles(dir, "*", SearchOption.AllDirectories)
            .Where(f =>
                !ignoreLock
                || !Path.GetFileName(f).StartsWith(OutputFolder.LockName, StringComparison.Ordinal)
            )
            .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllBytes);

    /// <summary>The same files with the same bytes as <paramref name="before"/>, naming the first that changed.</summary>
    public static void AssertUnchanged(
        Dictionary<string, byte[]> before,
        string dir,
        bool ignoreLock = false
    )
    {
        var after = Of(dir, ignoreLock);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (k, v) in before)
            Assert.True(v.AsSpan().SequenceEqual(after[k]), $"{k} changed");
    }
}
