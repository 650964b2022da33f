global using Cart.Apis;
global using Cart.Extensions;
