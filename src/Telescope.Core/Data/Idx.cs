using System.Buffers.Binary;
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

/// <summary>The element types of the IDX format (the third byte of its magic number).</summary>
public enum IdxType : byte
{
    /// <summary>Unsigned byte (MNIST, Fashion-MNIST).</summary>
    UInt8 = 0x08,

    /// <summary>Signed byte.</summary>
    Int8 = 0x09,

    /// <summary>Big-endian signed 16-bit integer.</summary>
    Int16 = 0x0B,

    /// <summary>Big-endian signed 32-bit integer.</summary>
    Int32 = 0x0C,

    /// <summary>Big-endian IEEE single.</summary>
    Float32 = 0x0D,

    /// <summary>Big-endian IEEE double.</summary>
    Float64 = 0x0E,
}

/// <summary>An IDX array of any element type, widened to doubles.</summary>
/// <param name="Dims">Dimensions, outermost first.</param>
/// <param name="Values">The values, row-major.</param>
/// <param name="Type">The file's element type.</param>
public sealed record IdxValues(int[] Dims, double[] Values, IdxType Type)
{
    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dims[0];
}

/// <summary>
/// Reader and writer of IDX files (LeCun's MNIST format, also Fashion-MNIST): a 4-byte magic <c>00 00 tt nd</c>
/// (element type tt, nd dimensions), nd big-endian int32 sizes, then the data, big-endian. <see cref="Read(string)"/> takes
/// unsigned bytes only (the image files); <see cref="ReadValues"/> every type of the format (0x08 ubyte, 0x09 sbyte,
/// 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64). Gzip-compressed files (<c>.gz</c>, or by their 1f 8b
/// header) are decompressed on the fly. Every malformed file — missing, wrong magic, unsupported type, truncated, or
/// with trailing bytes — is an <see cref="InvalidDataException"/> naming the file and what is wrong.
/// </summary>
public static class Idx
{
    /// <summary>Read an unsigned-byte IDX file.</summary>
    public static IdxArray Read(string path) => Parse(Bytes(path), path);

    /// <summary>Read an IDX file of any element type, as doubles.</summary>
    public static IdxValues ReadValues(string path) => ParseValues(Bytes(path), path);

    private static byte[] Bytes(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"IDX file not found: {path}", path);
        return Decompress(DataFile.ReadBounded(path, "expected an IDX array"), path);
    }

    private static byte[] Decompress(byte[] bytes, string path)
    {
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b)
            return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        var buf = new byte[1 << 16];
        int n;
        while ((n = Read(gz, buf, path)) > 0)
        {
            if (ms.Length + n > DataFile.MaxBytes)
                throw new InvalidDataException(
                    $"{path}: unpacks to more than {DataFile.MaxBytes} bytes ({DataFile.MaxBytes >> 20} MiB), the most a data file may hold"
                );
            ms.Write(buf, 0, n);
        }
        return ms.ToArray();
    }

    private static int Read(GZipStream gz, byte[] buf, string path)
    {
        try
        {
            return gz.Read(buf, 0, buf.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException(
                $"{path}: not a readable gzip stream (truncated or corrupt?): {e.Message}"
            );
        }
    }

    /// <summary>Whether <paramref name="path"/> starts like an IDX file (after gunzip when it is gzip): <c>00 00 tt nd</c>.</summary>
    public static bool LooksLikeIdx(string path)
    {
        var head = new byte[4];
        if (new FileInfo(path) is not { Exists: true, Length: > 0 })
            return false; // empty, or a pipe or device: never opened (a pipe would block)
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        {
            f.Position = 0;
            try
            {
                using var gz = new GZipStream(f, CompressionMode.Decompress);
                n = gz.ReadAtLeast(head, 4, throwOnEndOfStream: false);
            }
            catch (InvalidDataException)
            {
                return false;
            }
        }
        return n == 4
            && head[0] == 0
            && head[1] == 0
            && Enum.IsDefined((IdxType)head[2])
            && head[3] is >= 1 and <= 4;
    }

    private static int Size(IdxType t) =>
        t switch
        {
            IdxType.UInt8 or IdxType.Int8 => 1,
            IdxType.Int16 => 2,
            IdxType.Int32 or IdxType.Float32 => 4,
            _ => 8,
        };

    private static (IdxType type, int[] dims, int header) Header(
        byte[] raw,
        string name,
        bool bytesOnly
    )
    {
        if (raw.Length < 4)
            throw new InvalidDataException(
                $"{name}: {raw.Length} bytes is too short for an IDX header (truncated?)"
            );
        if (raw[0] != 0 || raw[1] != 0)
            throw new InvalidDataException(
                $"{name}: bad IDX magic {raw[0]:x2} {raw[1]:x2} {raw[2]:x2} {raw[3]:x2} (expected 00 00 tt nd): not an IDX file"
            );
        var type = (IdxType)raw[2];
        if (bytesOnly ? type != IdxType.UInt8 : !Enum.IsDefined(type))
            throw new InvalidDataException(
                bytesOnly
                    ? $"{name}: IDX element type 0x{raw[2]:x2} is not supported (only 0x08, unsigned bytes)"
                    : $"{name}: IDX element type 0x{raw[2]:x2} is not supported (expected 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e)"
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
            dims[k] = BinaryPrimitives.ReadInt32BigEndian(raw.AsSpan(4 + 4 * k));
            if (dims[k] <= 0)
                throw new InvalidDataException($"{name}: IDX dimension {k} is {dims[k]}");
            count *= dims[k];
        }
        long need = count * Size(type);
        long have = raw.Length - header;
        if (have < need)
            throw new InvalidDataException(
                $"{name}: truncated IDX file: header [{string.Join('×', dims)}] needs {need} data bytes, the file has {have}"
            );
        if (have > need)
            throw new InvalidDataException(
                $"{name}: {have - need} unexpected bytes after the IDX data [{string.Join('×', dims)}]"
            );
        return (type, dims, header);
    }

    /// <summary>Parse unsigned-byte IDX bytes (already decompressed); <paramref name="name"/> is used in error messages.</summary>
    public static IdxArray Parse(byte[] raw, string name)
    {
        var (_, dims, header) = Header(raw, name, bytesOnly: true);
        return new IdxArray(dims, raw[header..]);
    }

    /// <summary>Parse IDX bytes of any element type (already decompressed) as doubles.</summary>
    public static IdxValues ParseValues(byte[] raw, string name)
    {
        var (type, dims, header) = Header(raw, name, bytesOnly: false);
        var span = raw.AsSpan(header);
        int size = Size(type);
        var v = new double[span.Length / size];
        for (int i = 0; i < v.Length; i++)
        {
            var s = span.Slice(i * size, size);
            v[i] = type switch
            {
                IdxType.UInt8 => s[0],
                IdxType.Int8 => (sbyte)s[0],
                IdxType.Int16 => BinaryPrimitives.ReadInt16BigEndian(s),
                IdxType.Int32 => BinaryPrimitives.ReadInt32BigEndian(s),
                IdxType.Float32 => BinaryPrimitives.ReadSingleBigEndian(s),
                _ => BinaryPrimitives.ReadDoubleBigEndian(s),
            };
        }
        return new IdxValues(dims, v, type);
    }

    /// <summary>
    /// Write an IDX file (uncompressed; gzip when <paramref name="path"/> ends in <c>.gz</c>): <paramref name="values"/>
    /// of shape <paramref name="dims"/> stored as <paramref name="type"/>. A value the type cannot hold exactly is an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public static void Write(string path, IdxType type, int[] dims, double[] values)
    {
        if (dims.Length is < 1 or > 4 || dims.Any(d => d <= 0))
            throw new ArgumentException(
                $"IDX dimensions must be 1–4 positive sizes, got [{string.Join(',', dims)}]"
            );
        long count = dims.Aggregate(1L, (a, b) => a * b);
        if (values.Length != count)
            throw new ArgumentException(
                $"{values.Length} values for IDX dimensions [{string.Join('×', dims)}] ({count} expected)"
            );
        int size = Size(type);
        var raw = new byte[4 + 4 * dims.Length + values.Length * size];
        raw[2] = (byte)type;
        raw[3] = (byte)dims.Length;
        for (int k = 0; k < dims.Length; k++)
            BinaryPrimitives.WriteInt32BigEndian(raw.AsSpan(4 + 4 * k), dims[k]);
        var data = raw.AsSpan(4 + 4 * dims.Length);
        for (int i = 0; i < values.Length; i++)
        {
            var s = data.Slice(i * size, size);
            double x = values[i];
            double back;
            switch (type)
            {
                case IdxType.UInt8:
                    s[0] = (byte)x;
                    back = s[0];
                    break;
                case IdxType.Int8:
                    s[0] = (byte)(sbyte)x;
                    back = (sbyte)s[0];
                    break;
                case IdxType.Int16:
                    BinaryPrimitives.WriteInt16BigEndian(s, (short)x);
                    back = (short)x;
                    break;
                case IdxType.Int32:
                    BinaryPrimitives.WriteInt32BigEndian(s, (int)x);
                    back = (int)x;
                    break;
                case IdxType.Float32:
                    BinaryPrimitives.WriteSingleBigEndian(s, (float)x);
                    back = (float)x;
                    break;
                default:
                    BinaryPrimitives.WriteDoubleBigEndian(s, x);
                    back = x;
                    break;
            }
            if (!back.Equals(x))
                throw new ArgumentException(
                    $"value {x} at index {i} cannot be stored exactly as IDX {type}"
                );
        }
        using var f = File.Create(path);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            using var gz = new GZipStream(f, CompressionLevel.Optimal);
            gz.Write(raw);
        }
        else
            f.Write(raw);
    }
}
