using OrderWorkflow.Apis;
using OrderWorkflow.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapSagaApi();
app.MapTransferApi();

app.Run();
