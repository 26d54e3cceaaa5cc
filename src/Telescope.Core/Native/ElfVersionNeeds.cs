using System.Text;

namespace Telescope.Native;

/// <summary>
/// The version requirements (<c>SHT_GNU_verneed</c>, "Vernaux" entries) of a little-endian ELF64 shared
/// library, and the one edit that lets TorchSharp's <c>libLibTorchSharp.so</c> load on Debian 12: marking
/// a requirement weak (<c>VER_FLG_WEAK = 0x2</c>), so the loader accepts a libstdc++ that lacks it.
/// libLibTorchSharp asks for <c>GLIBCXX_3.4.32</c> only for <c>std::ios_base_library_init</c>, which it
/// never calls; Debian 12's libstdc++ ends at <c>GLIBCXX_3.4.30</c>.
/// </summary>
internal static class ElfVersionNeeds
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>One required symbol version: its name and whether it is already weak.</summary>
    internal readonly record struct Requirement(string Library, string Version, bool Weak);

    /// <summary>Every version requirement of the ELF image <paramref name="elf"/>.</summary>
    public static IReadOnlyList<Requirement> Read(byte[] elf)
    {
        var found = new List<Requirement>();
        Walk(elf, (lib, ver, flagsAt) =>
            found.Add(new(lib, ver, (U16(elf, flagsAt) & VerFlgWeak) != 0))
        );
        return found;
    }

    /// <summary>
    /// Mark every requirement of <paramref name="version"/> weak, in place. Returns how many entries
    /// changed (0 when there is none or all are weak already: the edit is idempotent).
    /// </summary>
    public static int MarkWeak(byte[] elf, string version)
    {
        var changed = 0;
        Walk(elf, (_, ver, flagsAt) =>
        {
            if (ver != version)
                return;
            var flags = U16(elf, flagsAt);
            if ((flags & VerFlgWeak) != 0)
                return;
            flags |= VerFlgWeak;
            elf[flagsAt] = (byte)(flags & 0xff);
            elf[flagsAt + 1] = (byte)(flags >> 8);
            changed++;
        });
        return changed;
    }

    /// <summary>Whether <paramref name="elf"/> asks for <paramref name="version"/> without the weak flag.</summary>
    public static bool NeedsStrictly(byte[] elf, string version) =>
        Read(elf).Any(r => r.Version == version && !r.Weak);

    private static void Walk(byte[] b, Action<string, string, long> visit)
    {
        if (
            b.Length < 64
            || b[0] != 0x7f
            || b[1] != (byte)'E'
            || b[2] != (byte)'L'
            || b[3] != (byte)'F'
            || b[4] != 2
            || b[5] != 1
        )
            throw new FormatException("not a little-endian ELF64 file");
        var shoff = (long)U64(b, 0x28);
        int shentsize = U16(b, 0x3A),
            shnum = U16(b, 0x3C);
        for (var i = 0; i < shnum; i++)
        {
            var sh = shoff + (long)i * shentsize;
            if (U32(b, sh + 4) != ShtGnuVerneed)
                continue;
            var off = (long)U64(b, sh + 0x18);
            var link = U32(b, sh + 0x28);
            var strOff = (long)U64(b, shoff + link * shentsize + 0x18);
            var vn = off;
            while (true)
            {
                var lib = CString(b, strOff + U32(b, vn + 4));
                int cnt = U16(b, vn + 2);
                var aux = vn + U32(b, vn + 8);
                for (var k = 0; k < cnt; k++)
                {
                    visit(lib, CString(b, strOff + U32(b, aux + 8)), aux + 4);
                    var nextAux = U32(b, aux + 12);
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }
                var next = U32(b, vn + 12);
                if (next == 0)
                    break;
                vn += next;
            }
        }
    }

    private static string CString(byte[] b, long at)
    {
        var end = (int)at;
        while (b[end] != 0)
            end++;
        return Encoding.ASCII.GetString(b, (int)at, end - (int)at);
    }

    private static ulong U64(byte[] b, long o) => BitConverter.ToUInt64(b, (int)o);

    private static uint U32(byte[] b, long o) => BitConverter.ToUInt32(b, (int)o);

    private static ushort U16(byte[] b, long o) => BitConverter.ToUInt16(b, (int)o);
}
