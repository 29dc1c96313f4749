"""盘地 Pandi — the system a district government runs its idle-industrial-land drive on."""

__version__ = "0.1.0"
