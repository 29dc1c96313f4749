"""`pandi import supplies|parcels|buildings FILE`: import a file through the import engine.

Every row is checked first; with errors nothing is written (exit code 1) unless --valid-only.
--dry-run checks and counts without writing. The import is attributed to --user (which needs the
import permission); without it, to the only active administrator if there is exactly one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError

from pandi.core.management.base import PandiCommand
from pandi.land.choices import ImportKind, ImportStatus
from pandi.land.importers import common

COUNT_LABELS = (("total", "共"), ("created", "新增"), ("updated", "更新"), ("unchanged", "未变"),
                ("skipped", "跳过"), ("errors", "错误"), ("warnings", "警告"))


def issue_line(issue: Any) -> str:
    """`第 N 行 [列] 值：消息`, the way every import reports a problem."""
    where = f"第 {issue.row} 行" if issue.row is not None else "文件"
    column = f" [{issue.column}]" if issue.column else ""
    value = f" {issue.value}" if issue.value else ""
    return f"{where}{column}{value}：{issue.message}"


def summary_lines(ctx: common.ImportContext) -> list[str]:
    counts = ctx.counts
    lines = ["，".join(f"{label} {counts.get(key, 0)} 行" if key == "total" else f"{label} {counts.get(key, 0)}"
                      for key, label in COUNT_LABELS)]
    extra = []
    if counts.get("invalid_rows"):
        extra.append(f"有错误未导入的行 {counts['invalid_rows']}")
    if counts.get("enterprises_created"):
        extra.append(f"新建企业 {counts['enterprises_created']}")
    if counts.get("contracts_created"):
        extra.append(f"新建供地记录 {counts['contracts_created']}")
    if extra:
        lines.append("，".join(extra))
    for reason, n in ctx.skipped_reasons.most_common():
        lines.append(f"  跳过：{reason} {n} 行")
    lines.extend(ctx.notes)
    return lines


class Command(PandiCommand):
    help = "导入文件：supplies（供地台账 .xlsx/.xls/.csv）、parcels（宗地边界）、buildings（建筑物轮廓）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values, help="导入类型")
        parser.add_argument("file", help="文件路径")
        parser.add_argument("--dry-run", action="store_true", help="只检查并统计，不写入")
        parser.add_argument("--valid-only", action="store_true", help="有错误时仍导入没有错误的行")
        parser.add_argument("--district", default="金东区", help="供地台账的行政区过滤：金东区（默认）或 all")
        parser.add_argument("--user", help="导入人用户名（系统中只有一名管理员时可省略）")

    def handle(self, *args, kind, file, dry_run, valid_only, district, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件“{file}”不存在")
        account = self.acting_user(who="导入人", username=user)
        common._load_importers()
        if kind not in common.IMPORTERS:
            raise CommandError(f"“{ImportKind(kind).label}”导入尚未实现")
        data = path.read_bytes()
        mode = "试导入（不写入）" if dry_run else "导入"
        self.stdout.write(f"{ImportKind(kind).label}{mode}：{path.name}"
                          f"（{len(data):,} 字节，导入人 {account.username}）")
        try:
            ctx = common.run_import(kind=kind, user=account, file_name=path.name, data=data, dry_run=dry_run,
                                    valid_only=valid_only, options={"district": district},
                                    progress=lambda msg: self.stdout.write(f"  · {msg}"))
        except PermissionDenied as exc:
            raise CommandError(f"用户 {account.username} 没有导入权限") from exc
        for issue in ctx.issues:
            prefix = "" if issue.level == "error" else "警告 "
            self.stderr.write(prefix + issue_line(issue))
        if ctx.encoding:
            self.stdout.write(f"编码：{ctx.encoding}")
        if ctx.crs:
            self.stdout.write(f"坐标系：{ctx.crs}")
        for line in summary_lines(ctx):
            self.stdout.write(line)
        batch = ctx.batch
        status = ImportStatus(batch.status).label if batch else ""
        self.stdout.write(f"导入批次 #{batch.pk}：{status}" if batch else "")
        if ctx.errors and not valid_only:
            raise CommandError(f"有 {len(ctx.errors)} 个错误，未写入任何数据"
                               "（修正后重新导入，或加 --valid-only 只导入有效行）")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("导入完成"))

