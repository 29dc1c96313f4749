"""Development and demo: DEBUG on unless PANDI_DEBUG=0, SQLite under var/ by default."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("PANDI_DEBUG", True)
VAR_DIR.mkdir(parents=True, exist_ok=True)  # noqa: F405
