using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Catalog.Domain;

namespace Catalog.Apis;

/// <summary>The body of <c>POST /products</c> and <c>PUT /products/{id}</c>; checked before the handler runs.</summary>
/// <param name="Attributes">Free-form JSON values (colour, size, allergens …), stored and published as they are.</param>
public sealed record ProductRequest(
    [Required, StringLength(64), RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]*$", ErrorMessage = "Sku may hold letters, digits, '.', '_' and '-' and must start with a letter or digit.")]
    string? Sku,
    [Required, StringLength(200)] string? Name,
    [StringLength(4000)] string? Description,
    [Required, Range(typeof(decimal), "0", "1000000000", ErrorMessage = "Price must be between 0 and 1000000000.")]
    decimal? Price,
    [Required, RegularExpression("^[A-Z]{3}$", ErrorMessage = "Currency must be an ISO 4217 code such as EUR.")]
    string? Currency,
    [Required, StringLength(100)] string? Category,
    [MaxLength(50)] Dictionary<string, JsonElement>? Attributes)
{
    // The attributes above guarantee every required value is present once the handler runs.
    public ProductDetails ToDetails() =>
        new(Sku!, Name!, Description, Price!.Value, Currency!, Category!, Attributes ?? new Dictionary<string, JsonElement>());
}
