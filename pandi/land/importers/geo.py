"""Parcel and building geometry importer (placeholder until written)."""
