namespace Runner.RunFiles;

/// <summary>A problem with the run file the user can fix; the message already names the file and the key.</summary>
public sealed class RunFileException(string message, Exception? inner = null) : Exception(message, inner);
