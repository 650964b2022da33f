var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDaprSubscriptions();
app.MapOpenApi();

app.MapCartApi();
app.MapProductEventsApi();

app.Run();
