using Recommendations.Apis;
using Recommendations.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseDaprSubscriptions();
app.MapOpenApi();

app.MapRecommendationsApi();
app.MapOrderEventsApi();

app.Run();
