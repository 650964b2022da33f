using Recommendations.Apis;
using Recommendations.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDaprDefaults();
app.MapOpenApi();

app.MapRecommendationsApi();
app.MapOrderEventsApi();

app.Run();
