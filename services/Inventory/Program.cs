using Inventory.Apis;
using Inventory.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapStockApi();
app.MapReservationsApi();

app.Run();
