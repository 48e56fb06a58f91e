namespace KeepAlive.Net.AspNetCore;

internal static class AspNetCorePlaceholder;
