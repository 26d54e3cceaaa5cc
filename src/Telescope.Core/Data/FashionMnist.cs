namespace Telescope.Data;

/// <summary>
/// Fashion-MNIST (Xiao et al. 2017; 60,000 train / 10,000 test greyscale 28×28 images of 10 clothing
/// classes), read from the IDX files of Debian's <c>dataset-fashion-mnist</c> package (spec §5; installed by
/// <c>scripts/ci-setup.d/fashion-mnist.sh</c>).
/// </summary>
public static class FashionMnist
{
    /// <summary>Where Debian installs the files.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

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

    /// <summary>Load the <c>train</c> or <c>t10k</c> split from <paramref name="directory"/> (default: Debian's location).</summary>
    public static Split Load(string split, string? directory = null)
    {
        if (split is not ("train" or "t10k"))
            throw new ArgumentException($"split must be train or t10k, got '{split}'");
        var dir = directory ?? DefaultDirectory;
        string File(string kind)
        {
            var gz = Path.Combine(dir, $"{split}-{kind}-ubyte.gz");
            var plain = Path.Combine(dir, $"{split}-{kind}-ubyte");
            if (System.IO.File.Exists(gz))
                return gz;
            if (System.IO.File.Exists(plain))
                return plain;
            throw new FileNotFoundException(
                $"Fashion-MNIST file {split}-{kind}-ubyte(.gz) not found in {dir}; install Debian's dataset-fashion-mnist (apt-get install -y dataset-fashion-mnist, or scripts/ci-setup.d/fashion-mnist.sh)",
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
            $"Fashion-MNIST {split} ({images.Count} images) from {dir} (Debian dataset-fashion-mnist)"
        );
    }
}
