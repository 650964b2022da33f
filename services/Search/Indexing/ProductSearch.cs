using System.Data;
using Npgsql;
using NpgsqlTypes;

namespace Search.Indexing;

public sealed record SearchHit(string Id, string Sku, string Name, string? Description, string Category, decimal Price, string Currency, string? Language, float Rank);

public sealed record SearchPage(IReadOnlyList<SearchHit> Items, int Page, int PageSize, long Total);

/// <summary>The read side: full-text search over both languages, best matches first.</summary>
public sealed class ProductSearch(NpgsqlDataSource dataSource)
{
    // The query is parsed in English and in French and either may match (the document holds both stemmings).
    // websearch_to_tsquery accepts what people type ("quoted phrases", or, -exclusions) and never fails to parse.
    // With no text, every product matches and the order is by name.
    private const string Matching = """
        FROM products,
             LATERAL (SELECT websearch_to_tsquery('search_english', $1) || websearch_to_tsquery('search_french', $1) AS query) q
        WHERE NOT deleted
          AND ($1 = '' OR document @@ q.query)
          AND ($2::text IS NULL OR category = $2)
        """;

    public async Task<SearchPage> SearchAsync(string? text, string? category, int page, int pageSize, CancellationToken ct)
    {
        var terms = text?.Trim() ?? "";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        // One snapshot for both statements, so the total always counts the same rows the page was taken from.
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, ct);
        await using var batch = new NpgsqlBatch(connection, transaction);
        batch.BatchCommands.Add(Command($"""
            SELECT id, sku, name, description, category, price, currency, language,
                   CASE WHEN $1 = '' THEN 0 ELSE ts_rank(document, q.query) END AS rank
            {Matching}
            ORDER BY rank DESC, name, id
            LIMIT $3 OFFSET $4
            """, terms, category, pageSize, (page - 1) * pageSize));
        batch.BatchCommands.Add(Command($"SELECT count(*) {Matching}", terms, category));

        await using var reader = await batch.ExecuteReaderAsync(ct);
        var hits = new List<SearchHit>();
        while (await reader.ReadAsync(ct))
        {
            hits.Add(new SearchHit(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4), reader.GetDecimal(5), reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetFloat(8)));
        }

        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        var total = reader.GetInt64(0);
        await reader.CloseAsync();
        await transaction.CommitAsync(ct);
        return new SearchPage(hits, page, pageSize, total);
    }

    private static NpgsqlBatchCommand Command(string sql, string terms, string? category, params int[] paging)
    {
        var command = new NpgsqlBatchCommand(sql)
        {
            Parameters =
            {
                new() { Value = terms, NpgsqlDbType = NpgsqlDbType.Text },
                new() { Value = (object?)category ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
            },
        };
        foreach (var value in paging)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
