using System.Net.Http.Json;
using System.Text.Json;
using Catalog.Tests.Infrastructure;
using Dapr.Client;
using Dapr.Testing;
using Dapr.Testing.Apps;
using Npgsql;

namespace Search.Tests.Infrastructure;

/// <summary>
/// The search service as it runs for real: its built assembly beside a local sidecar, its own database and role
/// provisioned by the service itself at start-up (as in development), pub/sub on the test's own Redis.
/// </summary>
public sealed class SearchService : IAsyncDisposable
{
    public const string AppId = "search";

    private readonly DirectoryInfo _resources;

    private SearchService(DirectoryInfo resources, DaprApp app, string database)
    {
        _resources = resources;
        App = app;
        Database = database;
        Http = app.CreateInvokeClient();
        Dapr = new DaprClientBuilder().UseGrpcEndpoint(app.SidecarGrpc.ToString()).UseHttpEndpoint(app.SidecarHttp.ToString())
            .UseJsonSerializationOptions(JsonSerializerOptions.Web).Build();
    }

    public DaprApp App { get; }

    /// <summary>Calls search through its sidecar's invocation API.</summary>
    public HttpClient Http { get; }

    /// <summary>A client of search's sidecar, to publish events as the catalog's outbox would.</summary>
    public DaprClient Dapr { get; }

    /// <summary>The service's own connection string (its role, its database).</summary>
    public string Database { get; }

    public static async Task<SearchService> StartAsync(SharedServers servers, RedisServer broker, string nameResolutionDirectory, bool inOrder = false)
    {
        var name = "search_" + Guid.NewGuid().ToString("N")[..12];
        var database = new NpgsqlConnectionStringBuilder(servers.Postgres.ConnectionString) { Database = name, Username = name, Password = "search-test" }.ConnectionString;
        var resources = Directory.CreateTempSubdirectory("search-resources-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(resources.FullName, "pubsub.yaml"), ComponentFiles.PubSub(broker, inOrder));
            var app = await DaprApp.StartAsync(new DaprAppOptions
            {
                AppId = AppId,
                AppAssembly = BuildOutput.Assembly(Path.Combine("services", "Search"), "Search"),
                ResourcesPaths = [resources.FullName],
                NameResolutionDirectory = nameResolutionDirectory,
                AppEnvironment = new Dictionary<string, string?>
                {
                    ["ConnectionStrings__search"] = database,
                    ["ConnectionStrings__search-admin"] = servers.Postgres.ConnectionString,
                },
            });
            var search = new SearchService(resources, app, database);
            await search.WaitForSubscriptionAsync();
            return search;
        }
        catch
        {
            resources.Delete(recursive: true);
            throw;
        }
    }

    public async Task<JsonElement> SearchAsync(string query) => await Http.GetFromJsonAsync<JsonElement>($"search?{query}");

    public static IReadOnlyList<string> Names(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()!).ToList();

    /// <summary>Polls the search API until <paramref name="done"/> holds (events are applied asynchronously).</summary>
    public async Task<JsonElement> WaitForAsync(string query, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var page = await SearchAsync(query);
            if (done(page))
            {
                return page;
            }

            Assert.True(DateTime.UtcNow < deadline, $"search?{query} never satisfied the test; last answer: {page}\n{App.Output}");
            await Task.Delay(200);
        }
    }

    /// <summary>Publishes to catalog.products as the catalog's outbox does: versioned type, JSON data, and an id.</summary>
    public Task PublishAsync(string type, object data, string? eventId = null)
    {
        var metadata = new Dictionary<string, string> { ["cloudevent.type"] = type };
        if (eventId is not null)
        {
            metadata["cloudevent.id"] = eventId;
        }

        return Dapr.PublishEventAsync("pubsub", CatalogService.Topic, data, metadata);
    }

    /// <summary>Waits until search has recorded <paramref name="count"/> handled events, whatever order they came in.</summary>
    public async Task WaitUntilHandledAsync(long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long handled;
        while ((handled = await ScalarAsync<long>("SELECT count(*) FROM processed_events")) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"search handled {handled} of {count} events\n{App.Output}");
            await Task.Delay(200);
        }
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Database);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Dapr.Dispose();
        Http.Dispose();
        await App.DisposeAsync();
        _resources.Delete(recursive: true);
    }

    private async Task WaitForSubscriptionAsync()
    {
        using var sidecar = new HttpClient { BaseAddress = App.SidecarHttp };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await sidecar.GetFromJsonAsync<JsonElement>("/v1.0/metadata")).GetProperty("subscriptions").GetArrayLength() == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the search sidecar did not subscribe:\n" + App.Output);
            await Task.Delay(100);
        }
    }
}
