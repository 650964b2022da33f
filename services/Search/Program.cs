using Search.Apis;
using Search.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
// Not UseDaprDefaults: the event handlers bind the whole CloudEvent (id for idempotency, type, subject, data) rather
// than the data plus forwarded headers.
app.MapSubscribeHandler();
app.MapOpenApi();

app.MapSearchApi();
app.MapProductEventsApi();
app.MapAdminApi();

app.Run();
