"""One package per upstream platform. Each declares a ProviderSpec; the registry lists them."""
