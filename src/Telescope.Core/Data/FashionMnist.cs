using System.IO.Compression;

namespace Telescope.Data;

/// <summary>An IDX array of unsigned bytes (the MNIST file format): its dimensions and row-major data.</summary>
/// <param name="Dims">Dimensions, outermost first (for images <c>[count, rows, cols]</c>, labels <c>[count]</c>).</param>
/// <param name="Data">The values, row-major.</param>
public sealed record IdxArray(int[] Dims, byte[] Data)
{
    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dims[0];
}

/// <summary>
/// Reader for IDX files (LeCun's MNIST format, also Fashion-MNIST): a 4-byte magic <c>00 00 tt nd</c>
/// (type tt = 0x08 for unsigned bytes, nd dimensions), nd big-endian int32 sizes, then the data.
/// Gzip-compressed files (<c>.gz</c>, or by their 1f 8b header) are decompressed on the fly. Every
/// malformed file — missing, wrong magic, unsupported type, truncated, or with trailing bytes — is an
/// <see cref="InvalidDataException"/> naming the file and what is wrong.
/// </summary>
public static class Idx
{
    /// <summary>Read an unsigned-byte IDX file.</summary>
    public static IdxArray Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        byte[] raw;
        try
        {
            raw = Decompress(File.ReadAllBytes(path));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"{path}: not a readable gzip stream (truncated or corrupt?): {e.Message}"
            );
        }
        return Parse(raw, path);
    }

    private static byte[] Decompress(byte[] bytes)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        gz.CopyTo(ms);
        return ms.ToArray();
    }

    /// <summary>Parse IDX bytes (already decompressed); <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Parse(byte[] raw, string name)
    {
        if (raw.Length < 4)
            throw new InvalidDataException(
                $"{name}: {raw.Length} bytes is too short for an IDX header (truncated?)"
            );
        if (raw[0] != 0 || raw[1] != 0)
            throw new InvalidDataException(
                $"{name}: bad IDX magic {raw[0]:x2} {raw[1]:x2} {raw[2]:x2} {raw[3]:x2} (expected 00 00 08 nd): not an IDX file"
            );
        if (raw[2] != 0x08)
            throw new InvalidDataException(
                $"{name}: IDX element type 0x{raw[2]:x2} is not supported (only 0x08, unsigned bytes)"
            );
        int nd = raw[3];
        if (nd < 1 || nd > 4)
            throw new InvalidDataException(
                $"{name}: IDX header declares {nd} dimensions (expected 1–4)"
            );
        int header = 4 + 4 * nd;
        if (raw.Length < header)
            throw new InvalidDataException(
                $"{name}: file ends inside the IDX header ({raw.Length} of {header} bytes; truncated)"
            );
        var dims = new int[nd];
        long count = 1;
        for (int k = 0; k < nd; k++)
        {
            int o = 4 + 4 * k;
            dims[k] = (raw[o] << 24) | (raw[o + 1] << 16) | (raw[o + 2] << 8) | raw[o + 3];
            if (dims[k] <= 0)
                throw new InvalidDataException($"{name}: IDX dimension {k} is {dims[k]}");
            count *= dims[k];
        }
        long have = raw.Length - header;
        if (have < count)
            throw new InvalidDataException(
                $"{name}: truncated IDX file: header [{string.Join('×', dims)}] needs {count} data bytes, the file has {have}"
            );
        if (have > count)
            throw new InvalidDataException(
                $"{name}: {have - count} unexpected bytes after the IDX data [{string.Join('×', dims)}]"
            );
        return new IdxArray(dims, raw[header..]);
    }
}

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
