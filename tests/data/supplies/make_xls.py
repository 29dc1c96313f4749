"""Regenerates ledger_local.xls (a local 供地台账 in the old Excel format). Needs xlwt, which is not
a dependency of Pandi: `pip install --target /tmp/xlwt xlwt; PYTHONPATH=/tmp/xlwt python make_xls.py`."""

from datetime import date
from pathlib import Path

import xlwt

HEADER = ["宗地编号", "电子监管号", "乡镇（街道）", "项目名称", "项目位置", "土地使用权人", "统一社会信用代码",
          "面积（亩）", "土地用途", "供地方式", "成交价格（万元）", "合同签订日期", "约定开工时间", "约定竣工时间",
          "施工许可证号", "已投资额（万元）", "闲置原因"]
ROWS = [
    ["JD2021-001", "3307032021B00001", "多湖街道", "智能装备产业园", "多湖街道光南路以南", "金华智造装备有限公司",
     "91330703MA28D1234E", 45, "工业用地", "挂牌出让", 1350, date(2021, 3, 15), date(2021, 9, 15), "2023年03月15日",
     "330703202109150101", 800, "企业原因"],
    ["JD2021-002", "", "330703002", "新材料项目", "东孝街道杨溪村", "金华新材科技有限公司、金华东孝实业有限公司",
     "", 30.5, "工业用地", "协议出让", 610.5, date(2021, 5, 10), date(2021, 11, 10), "1900年01月01日", "", "",
     "政府原因（二）规划修改"],
]


def main() -> None:
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("供地台账")
    dates = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    sheet.write(0, 0, "金东区供地台账（2021 年）")
    for c, h in enumerate(HEADER):
        sheet.write(2, c, h)
    for r, row in enumerate(ROWS, start=3):
        for c, v in enumerate(row):
            if isinstance(v, date):
                sheet.write(r, c, v, dates)
            else:
                sheet.write(r, c, v)
    book.save(str(Path(__file__).with_name("ledger_local.xls")))


if __name__ == "__main__":
    main()
