"""Pure rules of Pandi: no Django imports (a test enforces this)."""
