"""`pandi setup-district`: load the 11 townships of 金东区 (with boundaries) and the district units
named in the plan. For a new production installation; creates no users. Safe to re-run."""

from pandi.accounts.reference import setup_district
from pandi.core.management.base import PandiCommand


class Command(PandiCommand):
    help = "载入金东区 11 个乡镇（街道）及其边界和行动方案中的区级单位（不创建用户），可重复运行"

    def handle(self, *args, **options):
        orgs = setup_district(progress=lambda msg: self.stdout.write(f"  · {msg}"))
        self.stdout.write(self.style.SUCCESS(f"机构就绪：{len(orgs)} 个"))
