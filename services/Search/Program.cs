using Search.Apis;
using Search.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
// Not UseDaprDefaults: its CloudEvents middleware hands endpoints only the event's data, and the event handlers need
// the envelope's id (idempotency) and type as well, so they bind the whole CloudEvent themselves.
app.MapSubscribeHandler();
app.MapOpenApi();

app.MapSearchApi();
app.MapProductEventsApi();
app.MapAdminApi();

app.Run();
