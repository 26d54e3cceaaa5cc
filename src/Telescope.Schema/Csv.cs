using System.Globalization;
using System.Text;

namespace Telescope.Frames;

/// <summary>
/// The one RFC 4180 reader and writer of the library: cell formatting for every table written (quoting, invariant
/// culture, round-trip doubles) and <see cref="Records"/>, the one parser, for tidy tables and users' data files alike.
/// </summary>
public static class Csv
{
    /// <summary>Quote a cell if it contains a comma, quote or newline.</summary>
    public static string Escape(string s) =>
        s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    /// <summary>Round-trip formatting; NaN and infinities are written as <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.</summary>
    public static string Number(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Empty for null.</summary>
    public static string Number(double? x) => x is { } v ? Number(v) : "";

    /// <summary>One record: the cells escaped and joined by commas.</summary>
    public static string Line(IEnumerable<string> cells) => string.Join(',', cells.Select(Escape));

    /// <summary>
    /// The records of a CSV text, RFC 4180: a quoted cell may hold commas, doubled quotes, CR and LF, which are kept as
    /// they are; records end at LF or CRLF outside quotes. Yields (first line number, cells).
    /// <para>Lenient (tables this library wrote): a quote anywhere opens quoting, every line is a record, cells are kept
    /// as they are; an unclosed quote is <c>source:line: a quoted cell is not closed</c>.</para>
    /// <para><paramref name="strict"/> (a user's file): cells are trimmed unless quoted, a quote opens a cell only at its
    /// start, blank lines are skipped, a lone CR also ends a record, and every problem is one
    /// <see cref="InvalidDataException"/> naming <c>source:line:column</c>: an undoubled quote inside a quoted cell, text
    /// after a closing quote, a quoted cell never closed.</para>
    /// </summary>
    public static IEnumerable<(int line, List<string> cells)> Records(
        TextReader r,
        string source = "",
        bool strict = false
    )
    {
        var cells = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false,
            wasQuoted = false,
            any = false;
        int line = 1,
            start = 1,
            quoteLine = 0,
            quoteColumn = 0;
        string EndCell()
        {
            var s = strict && !wasQuoted ? sb.ToString().Trim() : sb.ToString();
            sb.Clear();
            wasQuoted = false;
            return s;
        }
        bool Keep() => !strict || cells.Count > 1 || cells[0].Length > 0 || any;
        for (int c; (c = r.Read()) >= 0; )
        {
            var ch = (char)c;
            if (!strict)
                any = true;
            if (quoted)
            {
                if (ch == '"' && r.Peek() == '"')
                {
                    sb.Append('"');
                    r.Read();
                }
                else if (ch == '"')
                    quoted = false;
                else
                {
                    if (ch == '\n')
                        line++;
                    sb.Append(ch);
                }
            }
            else if (ch == '"' && !strict)
                quoted = true;
            else if (ch == '"' && !wasQuoted && IsBlank(sb))
            {
                sb.Clear();
                quoted = wasQuoted = any = true;
                quoteLine = line;
                quoteColumn = cells.Count + 1;
            }
            else if (ch == '"' && wasQuoted)
                throw new InvalidDataException(
                    $"{source}:{line}:{cells.Count + 1}: a quote inside a quoted cell must be doubled (\"\")"
                );
            else if (ch == ',')
            {
                cells.Add(EndCell());
                any = true;
            }
            else if (ch == '\r' && r.Peek() == '\n')
                continue;
            else if (ch == '\n' || (strict && ch == '\r'))
            {
                cells.Add(EndCell());
                if (Keep())
                    yield return (start, cells);
                cells = new List<string>();
                any = false;
                start = ++line;
            }
            else if (strict && wasQuoted)
            {
                if (!char.IsWhiteSpace(ch))
                    throw new InvalidDataException(
                        $"{source}:{line}:{cells.Count + 1}: text after the closing quote of a cell"
                    );
            }
            else
                sb.Append(ch);
        }
        if (quoted)
            throw new InvalidDataException(
                strict
                    ? $"{source}:{quoteLine}:{quoteColumn}: the quoted cell opened here is never closed"
                    : $"{source}:{start}: a quoted cell is not closed"
            );
        if (strict || any)
        {
            cells.Add(EndCell());
            if (Keep())
                yield return (start, cells);
        }
    }

    private static bool IsBlank(StringBuilder sb)
    {
        for (int i = 0; i < sb.Length; i++)
            if (!char.IsWhiteSpace(sb[i]))
                return false;
        return true;
    }
}
