"""Settings split: base (shared), dev, test, prod. Configuration comes from the environment (PANDI_*)."""
