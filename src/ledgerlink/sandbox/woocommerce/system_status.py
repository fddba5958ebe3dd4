"""GET /system_status: a small but real-shaped WooCommerce status report."""

from __future__ import annotations

from typing import Any

from ledgerlink.sandbox.dataset import Store
from ledgerlink.sandbox.woocommerce.wire import WC_VERSION, WP_VERSION

MULTI_CURRENCY_PLUGIN = {
    "plugin": "woocommerce-multicurrency/woocommerce-multicurrency.php",
    "name": "Multi-Currency for WooCommerce",
    "version": "2.16.4",
    "version_latest": "2.16.4",
    "url": "https://woocommerce.com/products/multi-currency/",
    "author_name": "TIV.NET INC.",
    "author_url": "https://profiles.wordpress.org/tivnetinc/",
    "network_activated": False,
}


def _plugin() -> dict[str, Any]:
    return {
        "plugin": "woocommerce/woocommerce.php",
        "name": "WooCommerce",
        "version": WC_VERSION,
        "version_latest": WC_VERSION,
        "url": "https://woocommerce.com/",
        "author_name": "Automattic",
        "author_url": "https://woocommerce.com",
        "network_activated": False,
    }


def system_status(store: Store, site: str) -> dict[str, Any]:
    counts = store.counts()
    return {
        "environment": {
            "home_url": site,
            "site_url": site,
            "store_id": f"sandbox-{store.seed}",
            "version": WC_VERSION,
            "log_directory": "/var/www/html/wp-content/uploads/wc-logs/",
            "log_directory_writable": True,
            "wp_version": WP_VERSION,
            "wp_multisite": False,
            "wp_memory_limit": 268435456,
            "wp_debug_mode": False,
            "wp_cron": True,
            "language": "en_US",
            "external_object_cache": None,
            "server_info": "nginx/1.25.4",
            "php_version": "8.2.20",
            "php_post_max_size": 67108864,
            "php_max_execution_time": 120,
            "php_max_input_vars": 5000,
            "curl_version": "8.5.0, OpenSSL/3.0.13",
            "suhosin_installed": False,
            "max_upload_size": 67108864,
            "mysql_version": "8.0.37",
            "mysql_version_string": "8.0.37",
            "default_timezone": "UTC",
            "fsockopen_or_curl_enabled": True,
            "soapclient_enabled": True,
            "domdocument_enabled": True,
            "gzip_enabled": True,
            "mbstring_enabled": True,
            "remote_post_successful": True,
            "remote_post_response": 200,
            "remote_get_successful": True,
            "remote_get_response": 200,
        },
        "database": {"wc_database_version": WC_VERSION, "database_prefix": "wp_", "maxmind_geoip_database": ""},
        "active_plugins": [_plugin(), MULTI_CURRENCY_PLUGIN],
        "inactive_plugins": [],
        "dropins_mu_plugins": {"dropins": [], "mu_plugins": []},
        "theme": {
            "name": "Storefront",
            "version": "4.6.0",
            "version_latest": "4.6.0",
            "author_url": "https://woocommerce.com/",
            "is_child_theme": False,
            "has_woocommerce_support": True,
            "has_woocommerce_file": False,
            "has_outdated_templates": False,
            "overrides": [],
            "parent_name": "",
            "parent_version": "",
            "parent_version_latest": "",
            "parent_author_url": "",
        },
        "settings": {
            "api_enabled": True,
            "force_ssl": False,
            "currency": store.currency,
            "currency_symbol": "&#36;",
            "currency_position": "left",
            "thousand_separator": ",",
            "decimal_separator": ".",
            "number_of_decimals": 2,
            "geolocation_enabled": False,
            "taxonomies": {"external": "external", "grouped": "grouped", "simple": "simple", "variable": "variable"},
            "product_visibility_terms": {
                "exclude-from-catalog": "exclude-from-catalog",
                "exclude-from-search": "exclude-from-search",
                "featured": "featured",
                "outofstock": "outofstock",
            },
            "woocommerce_com_connected": "no",
            "enforce_approved_download_dirs": True,
            "order_datastore": "Automattic\\WooCommerce\\Internal\\DataStores\\Orders\\OrdersTableDataStore",
            "HPOS_enabled": True,
            "HPOS_sync_enabled": False,
        },
        "security": {"secure_connection": site.startswith("https://"), "hide_errors": True},
        "pages": [],
        "post_type_counts": [
            {"type": "product", "count": str(counts["products"])},
            {"type": "product_variation", "count": str(len(store.variants))},
            {"type": "shop_order", "count": str(counts["orders"])},
        ],
    }
