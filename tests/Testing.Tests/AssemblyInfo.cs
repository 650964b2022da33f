// These tests read /proc and start Linux server processes.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
