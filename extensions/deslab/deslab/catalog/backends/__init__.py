"""Catalog backends: DuckDB (embedded demo survey) and Oracle (the DES database)."""
