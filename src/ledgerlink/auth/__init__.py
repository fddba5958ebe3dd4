"""Who is calling: API keys, OAuth client-credentials tokens, scopes."""
