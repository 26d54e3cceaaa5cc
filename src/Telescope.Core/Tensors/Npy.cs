using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Telescope.Tensors;

/// <summary>
/// NumPy's <c>.npy</c> format, version 1.0, little-endian, C order, for <c>float32</c> (<c>&lt;f4</c>) and
/// <c>float64</c> (<c>&lt;f8</c>) arrays: the magic <c>\x93NUMPY</c>, version bytes, a uint16 header length,
/// an ASCII dict <c>{'descr': …, 'fortran_order': False, 'shape': (…), }</c> padded with spaces to a
/// multiple of 64 bytes and ended by <c>\n</c>, then the raw data. <c>numpy.load(path)</c> (or
/// <c>mmap_mode="r"</c>) reads what this writes. The one place where this library exchanges arrays with
/// Python: the peer benchmark and the blocked kernel files.
/// </summary>
public static class Npy
{
    private static readonly byte[] Magic =
    [
        0x93,
        (byte)'N',
        (byte)'U',
        (byte)'M',
        (byte)'P',
        (byte)'Y',
    ];

    /// <summary>The full header (magic … padding and newline) for an array of <paramref name="shape"/>; its length is a multiple of 64.</summary>
    public static byte[] Header(long[] shape, bool float64)
    {
        string dims = shape.Length switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => "(" + string.Join(", ", shape) + ")",
        };
        string dict =
            $"{{'descr': '{(float64 ? "<f8" : "<f4")}', 'fortran_order': False, 'shape': {dims}, }}";
        int unpadded = Magic.Length + 2 + 2 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        var text = dict + new string(' ', total - unpadded) + "\n";
        var header = new byte[total];
        Magic.CopyTo(header, 0);
        header[6] = 1;
        header[7] = 0;
        int len = text.Length;
        if (len > ushort.MaxValue)
            throw new ArgumentException("npy header too long for format 1.0");
        header[8] = (byte)(len & 0xff);
        header[9] = (byte)(len >> 8);
        Encoding.ASCII.GetBytes(text, 0, text.Length, header, 10);
        return header;
    }

    /// <summary>Write a float32 array of <paramref name="shape"/> (C order) atomically (temp file + rename).</summary>
    public static void Write(string path, ReadOnlySpan<float> data, long[] shape) =>
        WriteBytes(
            path,
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(data),
            shape,
            false,
            data.Length
        );

    /// <summary>Write a float64 array of <paramref name="shape"/> (C order) atomically (temp file + rename).</summary>
    public static void Write(string path, ReadOnlySpan<double> data, long[] shape) =>
        WriteBytes(
            path,
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(data),
            shape,
            true,
            data.Length
        );

    private static void WriteBytes(
        string path,
        ReadOnlySpan<byte> bytes,
        long[] shape,
        bool f64,
        long count
    )
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != count)
            throw new ArgumentException(
                $"npy: {count} values do not fill shape ({string.Join(", ", shape)})"
            );
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("npy: big-endian host");
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(Header(shape, f64));
            fs.Write(bytes);
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>An array read back: its shape, whether it is float64, the byte offset of its data, and its values as doubles.</summary>
    public sealed record Array(long[] Shape, bool Float64, long DataOffset, double[] Values);

    /// <summary>Shape, element type and data offset of an <c>.npy</c> file (float32/float64, little-endian, C order only).</summary>
    public static (long[] shape, bool float64, long dataOffset) ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        return ReadHeader(fs, path);
    }

    private static (long[] shape, bool float64, long dataOffset) ReadHeader(Stream fs, string path)
    {
        var pre = new byte[10];
        fs.ReadExactly(pre);
        if (!pre.AsSpan(0, 6).SequenceEqual(Magic))
            throw new InvalidDataException($"{path}: not an .npy file");
        int major = pre[6];
        long hlen;
        int prefix;
        if (major == 1)
        {
            hlen = pre[8] | (pre[9] << 8);
            prefix = 10;
        }
        else
        {
            var extra = new byte[2];
            fs.ReadExactly(extra);
            hlen = pre[8] | (pre[9] << 8) | (extra[0] << 16) | (extra[1] << 24);
            prefix = 12;
        }
        var hb = new byte[hlen];
        fs.ReadExactly(hb);
        var h = Encoding.ASCII.GetString(hb);
        var descr = Regex.Match(h, @"'descr':\s*'([^']*)'").Groups[1].Value;
        if (Regex.IsMatch(h, @"'fortran_order':\s*True"))
            throw new InvalidDataException($"{path}: Fortran order is not supported");
        bool f64 = descr switch
        {
            "<f8" => true,
            "<f4" => false,
            _ => throw new InvalidDataException($"{path}: dtype '{descr}' is not <f4 or <f8"),
        };
        var dims = Regex.Match(h, @"'shape':\s*\(([^)]*)\)").Groups[1].Value;
        var shape = dims.Split(
                ',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        return (shape, f64, prefix + hlen);
    }

    /// <summary>Read a whole float32/float64 <c>.npy</c> file into doubles.</summary>
    public static Array Read(string path)
    {
        using var fs = File.OpenRead(path);
        var (shape, f64, offset) = ReadHeader(fs, path);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var bytes = new byte[count * (f64 ? 8 : 4)];
        fs.ReadExactly(bytes);
        var values = new double[count];
        if (f64)
            Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        else
        {
            var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes);
            for (long i = 0; i < count; i++)
                values[i] = f[(int)i];
        }
        return new Array(shape, f64, offset, values);
    }
}
