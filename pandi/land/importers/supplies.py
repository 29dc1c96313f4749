"""Supply ledger importer (placeholder until written)."""
