using Orders.Apis;
using Orders.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDaprDefaults();
app.MapOpenApi();

app.MapOrdersApi();
app.MapCustomerEventsApi();

app.Run();
