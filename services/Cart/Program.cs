var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDaprDefaults();
app.MapOpenApi();

app.MapCartApi();
app.MapProductEventsApi();

app.Run();
