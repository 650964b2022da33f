namespace Runner.Processes;

/// <summary>The <c>dotnet</c> executable to start .dll programs with: preferably the one running us.</summary>
public static class DotnetHost
{
    public static string Path
    {
        get
        {
            var self = Environment.ProcessPath;
            if (self is not null && System.IO.Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                return self;
            }
            var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            {
                return fromSdk;
            }
            return ExecutableLocator.FindOnPath("dotnet")
                ?? throw new InvalidOperationException("'dotnet' was not found on PATH and DOTNET_HOST_PATH is not set");
        }
    }
}
