"""Writes zones-demo-data.csv: synthetic figures (演示数据) for the 20 zones of the registry,
for the illustration spec zones-demo.yaml. Seeded; not official statistics."""

import csv
from pathlib import Path

import numpy as np

ZONES = [
    "BECZ-GX-01", "BECZ-GX-02", "BECZ-HL-01", "BECZ-HL-02", "BECZ-JL-01", "BECZ-JL-02",
    "BECZ-LN-01", "BECZ-NM-01", "BECZ-NM-02", "BECZ-XJ-01", "BECZ-XJ-02", "BECZ-XJ-03",
    "BECZ-XJ-04", "BECZ-YN-01", "BECZ-YN-02", "BECZ-YN-03", "BECZ-YN-04", "CBECZ-NM-01",
    "CBECZ-XJ-01", "CBECZ-YN-01",
]


OUTPUT = Path(__file__).with_name("zones-demo-data.csv")


def main(path: Path = OUTPUT, seed: int = 2021):
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0, 0.8, len(ZONES))  # a zone's economic size
    columns = {
        "GDP": 800_000 * size * rng.lognormal(0, 0.1, len(ZONES)),
        "TAX_REVENUE": 40_000 * size * rng.lognormal(0, 0.2, len(ZONES)),
        "FAI": 300_000 * size * rng.lognormal(0, 0.3, len(ZONES)),
        "TRADE_TOTAL": 500_000 * size * rng.lognormal(0, 0.5, len(ZONES)),
        "FDI_USED": 1_500 * size * rng.lognormal(0, 1.0, len(ZONES)),
        "HIGH_TECH_ENT": np.round(12 * size * rng.lognormal(0, 0.4, len(ZONES))),
        "ENERGY_INTENSITY": 0.6 * rng.lognormal(0, 0.3, len(ZONES)),
        "QUALITY_SCORE": np.clip(rng.normal(85, 7, len(ZONES)), 50, 100),
        "SAFETY_INCIDENTS": rng.poisson(1.5, len(ZONES)).astype(float),
    }
    columns["BORDER_TRADE"] = columns["TRADE_TOTAL"] * rng.uniform(0.1, 0.6, len(ZONES))
    columns["FDI_USED"][3] = np.nan  # one zone has not reported it: reweighted, not imputed
    names = ["zone", *columns]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for i, zone in enumerate(ZONES):
            writer.writerow([zone] + ["" if np.isnan(columns[c][i]) else f"{columns[c][i]:.2f}"
                                      for c in names[1:]])


if __name__ == "__main__":
    main()
