using System.Globalization;

namespace Benchmarks.Services.Search;

/// <summary>A product row as the search service's event handler writes it (IndexedProduct, without the tombstone flag).</summary>
public sealed record CatalogProduct(string Id, string Sku, string Name, string Description, string Category, decimal Price, string Currency, string Language, long Version);

/// <summary>One search as a shopper sends it: <c>GET search?q=&amp;category=&amp;page=&amp;pageSize=</c>.</summary>
public sealed record SearchQuery(string Text, string? Category, int Page, int PageSize)
{
    public string PathAndQuery
        => "search?q=" + Uri.EscapeDataString(Text)
           + (Category is null ? "" : "&category=" + Uri.EscapeDataString(Category))
           + "&page=" + Page.ToString(CultureInfo.InvariantCulture)
           + "&pageSize=" + PageSize.ToString(CultureInfo.InvariantCulture);

    public override string ToString() => PathAndQuery;
}

/// <summary>
/// A deterministic synthetic catalogue, half English and half French, and a fixed list of searches over it. Names are
/// an adjective and a noun (so a noun matches about 1/40 of the catalogue, an adjective-noun pair far fewer);
/// descriptions mix more words of the same language, so a word can match through the description's lower weight too.
/// French words keep their accents in the data, and some searches leave them out, as people type.
/// </summary>
public static class SearchCatalog
{
    public static readonly string[] Categories =
    [
        "kitchen", "books", "garden", "sports", "music", "toys", "furniture", "lighting", "clothing", "shoes",
        "bikes", "camping", "office", "bathroom", "grocery", "beverages", "electronics", "tools", "pets", "beauty",
    ];

    private static readonly string[] EnglishNouns =
    [
        "chair", "table", "lamp", "coffee", "tea", "chocolate", "cheese", "bread", "jacket", "shoes",
        "bicycle", "helmet", "guitar", "book", "candle", "blanket", "mug", "knife", "pan", "backpack",
        "tent", "sofa", "pillow", "kettle", "teapot", "notebook", "pencil", "speaker", "headphones", "watch",
        "umbrella", "scarf", "gloves", "boots", "basket", "vase", "mirror", "clock", "rug", "shelf",
    ];

    private static readonly string[] EnglishAdjectives =
    [
        "red", "wooden", "organic", "vintage", "large", "small", "leather", "wireless", "dark", "sparkling",
        "blue", "folding", "waterproof", "handmade", "classic", "modern", "green", "soft", "steel", "ceramic",
    ];

    private static readonly string[] FrenchNouns =
    [
        "chaise", "table", "lampe", "café", "thé", "chocolat", "fromage", "pain", "veste", "chaussures",
        "vélo", "casque", "guitare", "livre", "bougie", "couverture", "tasse", "couteau", "poêle", "sac",
        "tente", "canapé", "oreiller", "bouilloire", "théière", "cahier", "crayon", "enceinte", "écouteurs", "montre",
        "parapluie", "écharpe", "gants", "bottes", "panier", "vase", "miroir", "horloge", "tapis", "étagère",
    ];

    private static readonly string[] FrenchAdjectives =
    [
        "rouge", "boisé", "biologique", "ancien", "grand", "petit", "cuir", "pétillant", "noir", "brûlée",
        "bleu", "pliant", "imperméable", "artisanal", "classique", "moderne", "vert", "doux", "acier", "céramique",
    ];

    private static readonly string[] DescriptionWordsEnglish = ["perfect", "for", "everyday", "use", "with", "a", "gift", "home", "quality", "durable", "crème", "brûlée", "style"];

    private static readonly string[] DescriptionWordsFrench = ["parfait", "pour", "tous", "les", "jours", "avec", "un", "cadeau", "maison", "qualité", "durable", "crème", "style"];

    /// <summary>Product <paramref name="index"/> of the catalogue; the same index always gives the same product.</summary>
    public static CatalogProduct Product(int index)
    {
        var random = new Random(index);
        var french = index % 2 == 1;
        var nouns = french ? FrenchNouns : EnglishNouns;
        var adjectives = french ? FrenchAdjectives : EnglishAdjectives;
        var noun = nouns[random.Next(nouns.Length)];
        var adjective = adjectives[random.Next(adjectives.Length)];
        var name = french ? $"{noun} {adjective}" : $"{adjective} {noun}";
        var fill = french ? DescriptionWordsFrench : DescriptionWordsEnglish;
        var description = string.Join(' ', Enumerable.Range(0, 8 + random.Next(8)).Select(i => i % 3 == 0
            ? nouns[random.Next(nouns.Length)]
            : i % 3 == 1 ? adjectives[random.Next(adjectives.Length)] : fill[random.Next(fill.Length)]));
        var id = "product-" + index.ToString("D6", CultureInfo.InvariantCulture);
        return new CatalogProduct(
            id, "SKU-" + index.ToString("D6", CultureInfo.InvariantCulture), name, description,
            Categories[random.Next(Categories.Length)],
            decimal.Round((decimal)(1 + (random.NextDouble() * 499)), 2), "EUR", french ? "fr" : "en", 1 + random.Next(5));
    }

    /// <summary>
    /// The searches, in a fixed order: broad single words (thousands of matches, so ranking and counting dominate),
    /// pairs and phrases (tens to hundreds), French with and without accents, an exclusion, a stem, and each of them
    /// also with a category filter and on a later page.
    /// </summary>
    public static IReadOnlyList<SearchQuery> Queries()
    {
        string[] texts =
        [
            "chair", "coffee", "wooden table", "\"dark chocolate\"", "wireless headphones", "lamp -red", "chairs", "leather boots",
            "café", "cafe", "crème brûlée", "creme brulee", "chaussures cuir", "vélo pliant", "velo pliant", "théière céramique",
            "bougie artisanale", "écharpe", "sac imperméable", "tasse",
        ];
        var queries = new List<SearchQuery>();
        for (var i = 0; i < texts.Length; i++)
        {
            queries.Add(new SearchQuery(texts[i], null, 1, 20));
            queries.Add(new SearchQuery(texts[i], Categories[i % Categories.Length], 1, 20));
            queries.Add(new SearchQuery(texts[i], null, 2 + (i % 4), 20));
        }

        return queries;
    }
}
