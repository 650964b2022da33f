using System.Globalization;
using SubscriberApp;

// The Dapr CLI (and the local sidecar) hand the app its port in APP_PORT; without one the OS picks a free port.
var port = Environment.GetEnvironmentVariable("APP_PORT") is { Length: > 0 } rawPort
    ? int.Parse(rawPort, NumberStyles.None, CultureInfo.InvariantCulture)
    : 0;

var app = SubscriberAppHost.Build(args, port);
app.Run();
