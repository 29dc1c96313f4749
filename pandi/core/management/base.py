"""Base for Pandi's own commands: messages (including Django's validators) in Chinese."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation


class PandiCommand(BaseCommand):
    def execute(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            return super().execute(*args, **options)
