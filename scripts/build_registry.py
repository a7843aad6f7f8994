"""Rebuild src/bianhe/zones/data/registry.csv from the reference facts (zones.csv).

    python scripts/build_registry.py ../shared/data/zones.csv            # write the file
    python scripts/build_registry.py ../shared/data/zones.csv --check    # fail if it differs

Rules (see docs/registry.md): candidate rows (CAND-*) are not national zones and are left
out; a year marked 待核 or given as a range is not a verified year, so approval_year stays
empty and the text goes to approval_note; an exact approval date (and valid_from) is set
only where a source gives one; areas are copied only where a source gives a figure, with
the basis beside it. Provinces and their regional orientation come from 商办资函[2021]163号.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

TARGET = Path(__file__).resolve().parent.parent / "src/bianhe/zones/data/registry.csv"
NOTICE = ("商务部办公厅《关于做好边境经济合作区、跨境经济合作区工作 提升沿边开放水平的通知》"
          "(商办资函[2021]163号)")
PROVINCE_NOTE = "商办资函[2021]163号所列7个沿边省区之一;开放布局分组依该通知第(三)条"
PROVINCES = {  # name: (ISO 3166-2 code, English name, orientation per article 三)
    "内蒙古自治区": ("CN-NM", "Inner Mongolia Autonomous Region", "northeast"),
    "辽宁省": ("CN-LN", "Liaoning Province", "northeast"),
    "吉林省": ("CN-JL", "Jilin Province", "northeast"),
    "黑龙江省": ("CN-HL", "Heilongjiang Province", "northeast"),
    "广西壮族自治区": ("CN-GX", "Guangxi Zhuang Autonomous Region", "asean"),
    "云南省": ("CN-YN", "Yunnan Province", "south_southeast_asia"),
    "新疆维吾尔自治区": ("CN-XJ", "Xinjiang Uygur Autonomous Region", "westward"),
}
# Exact dates stated in the sources (approval_detail of the reference data).
EXACT_DATES = {"BECZ-JL-02": "2015-03-03", "CBECZ-NM-01": "2024-03-19"}
COLUMNS = (
    "code", "level", "parent_code", "name_zh", "name_en", "kind", "host_area",
    "neighbour_countries", "orientation", "approval_year", "approved_on", "approval_note",
    "area_km2", "area_basis", "valid_from", "valid_to", "source", "notes",
)


def build(reference: Path) -> str:
    rows = [{"code": "MOFCOM", "level": "ministry", "name_zh": "商务部",
             "name_en": "Ministry of Commerce", "source": NOTICE, "notes": "层级根节点"}]
    for name, (code, english, orientation) in PROVINCES.items():
        rows.append({"code": code, "level": "province", "parent_code": "MOFCOM",
                     "name_zh": name, "name_en": english, "orientation": orientation,
                     "source": NOTICE, "notes": PROVINCE_NOTE})
    with reference.open(encoding="utf-8") as handle:
        for fact in csv.DictReader(handle):
            if fact["id"].startswith("CAND-"):
                continue
            code, _english, orientation = PROVINCES[fact["province"]]
            year = fact["year_approved"].strip()
            verified_year = year if re.fullmatch(r"\d{4}", year) else ""
            note = fact["approval_detail"].strip()
            if year and not verified_year:
                note = (f"批准年份:{year};" + note).rstrip(";")
            countries = fact["neighbour_country"].split(" (")[0].split("、")
            rows.append({
                "code": fact["id"], "level": "zone", "parent_code": code,
                "name_zh": fact["name_zh"], "name_en": fact["name_en"],
                "kind": "cross_border" if fact["zone_type"] == "跨境经济合作区" else "border",
                "host_area": fact["city_county"],
                "neighbour_countries": ";".join(c.strip() for c in countries),
                "orientation": orientation, "approval_year": verified_year,
                "approved_on": EXACT_DATES.get(fact["id"], ""), "approval_note": note,
                "area_km2": fact["area_km2"], "area_basis": fact["area_basis"],
                "valid_from": EXACT_DATES.get(fact["id"], ""),
                "source": fact["source"], "notes": fact["notes"],
            })
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return out.getvalue()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", type=Path, help="the reference zones.csv")
    parser.add_argument("--check", action="store_true", help="fail if the file differs")
    args = parser.parse_args()
    text = build(args.reference)
    if args.check:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} differs from what {args.reference} gives", file=sys.stderr)
            return 1
        print(f"{TARGET} is up to date")
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
