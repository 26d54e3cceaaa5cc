namespace Telescope;

/// <summary>
/// Bad input for a study, a bench or a theory check, found before any work: an unknown name, a value that is not a
/// number, not an integer where one is needed, outside its range, or a premise the check's closed forms do not cover.
/// The message is one line naming the parameter (<c>--steps must be ≥ 1, got 0</c>); faces map it to their bad-input
/// path (the CLI: exit 2).
/// </summary>
public sealed class ParameterException(string message, Exception? inner = null)
    : ArgumentException(message, inner);
