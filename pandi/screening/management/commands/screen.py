"""`pandi screen --as-of YYYY-MM-DD [--json] [--save]`: the screening of screening.md.

With --json, stdout carries exactly one JSON object (screening.md §6) and progress goes to stderr.
--save stores the run (attributed to --user, who needs the screening permission); --propose also
creates or refreshes the district and township lists from it. Bad input or an unusable database:
a message on stderr and exit status 1.
"""

from __future__ import annotations

import json
import time
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.db import DatabaseError

from pandi.core.management.base import PandiCommand


class Command(PandiCommand):
    help = "按 53 号令和行动方案筛查供而未建土地（screening.md），输出区级清单与乡镇连片空闲地块"

    def add_arguments(self, parser):
        parser.add_argument("--as-of", required=True, help="判断日期 YYYY-MM-DD")
        parser.add_argument("--json", action="store_true", help="在标准输出打印 JSON（screening.md §6）")
        parser.add_argument("--save", action="store_true", help="保存本次筛查")
        parser.add_argument("--propose", action="store_true", help="保存并据此生成（刷新）区级和乡镇清单")
        parser.add_argument("--user", help="发起人用户名（保存时需要；系统中只有一名管理员时可省略）")
        parser.add_argument("--district-min-mu", default=None, help="区级清单面积门槛（亩），默认 20")
        parser.add_argument("--township-min-mu", default=None, help="乡镇连片面积门槛（亩），默认 5")
        parser.add_argument("--tolerance", default=None, help="连片容差（米），默认 1")
        parser.add_argument("--include-stalled", action="store_true", help="区级清单包括中止开发（待核定）的宗地")
        parser.add_argument("--min-width", default=None, help="最小可建宽度（米），默认不限")
        parser.add_argument("--note", default="", help="说明")

    def handle(self, *args, **o):
        from pandi.screening import services

        try:
            as_of = date.fromisoformat(o["as_of"])
        except ValueError:
            raise CommandError(f"判断日期“{o['as_of']}”格式错误，应为 YYYY-MM-DD，例如 2021-04-30") from None
        values = {"district_min_mu": o["district_min_mu"], "township_min_mu": o["township_min_mu"],
                  "contiguity_tolerance_m": o["tolerance"], "include_stalled": o["include_stalled"],
                  "min_width_m": o["min_width"]}
        values = {k: v for k, v in values.items() if v not in (None, "")}
        save = o["save"] or o["propose"]
        progress_out = self.stderr if o["json"] else self.stdout
        started = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            if o["verbosity"] >= 1:
                progress_out.write(f"[{time.perf_counter() - started:6.1f} s] {stage}：{done:,}/{total:,}")
                progress_out.flush()

        try:
            account = self.acting_user(who="发起人", username=o["user"]) if save else None
            outcome, run = services.run_execute(user=account, as_of=as_of, values=values, save=save,
                                                note=o["note"], source="cli", progress=progress)
            if o["propose"] and run is not None:
                lists = services.lists_propose(run=run, user=account)
                progress_out.write(f"已生成（刷新）清单 {len(lists)} 份")
        except ValidationError as e:
            raise CommandError("；".join(e.messages)) from None
        except PermissionDenied:
            raise CommandError(f"用户 {account.username} 没有发起筛查的权限") from None
        except DatabaseError as e:
            raise CommandError(f"数据库无法使用：{e}".strip()) from None
        if o["json"]:
            data = outcome.json()
            if run is not None:
                data["run_id"] = run.pk
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
            return
        d = outcome.json()
        c = d["counts"]
        self.stdout.write(f"判断日期 {as_of:%Y-%m-%d}，共筛查 {len(d['parcels']):,} 宗")
        from pandi.screening.choices import STATUS_SHORT

        for key, label in STATUS_SHORT.items():
            self.stdout.write(f"  {label}：{c.get(key, 0):,}")
        self.stdout.write(f"区级清单（≥{d['parameters']['district_min_mu']:g} 亩）：{len(d['district_list'])} 宗")
        self.stdout.write(f"连片空闲地块（≥{d['parameters']['township_min_mu']:g} 亩）：{len(d['vacant_blocks'])} 处")
        for name, ids in d["township_lists"].items():
            self.stdout.write(f"  {name}：{len(ids)} 处")
        if d["vacant_unknown"]:
            self.stdout.write(f"已动工或竣工但缺建筑物调查、空闲面积不详：{len(d['vacant_unknown'])} 宗")
        if run is not None:
            self.stdout.write(self.style.SUCCESS(f"已保存为筛查 #{run.pk}"))

