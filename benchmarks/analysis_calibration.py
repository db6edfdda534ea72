"""Calibration of the evidence analysis (issue 13): precision and recall per finding, and time.

    .venv/bin/python -m benchmarks.analysis_calibration            # 8 of each kind, ~3 min
    .venv/bin/python -m benchmarks.analysis_calibration --per-kind 3 --photos 3   # quick

Generates a labelled set (tests/analysis/synthetic.py: cards, passports and statements,
each clean, blurred, with glare, dark, small, blurred with glare; white-paper scans; cards
with the middle digits covered; passports whose MRZ has a wrong check digit or an expired
date) and runs `triage.analysis.analyse.analyse` on each, then prints, per finding code,
the counts, precision and recall; the sharpness measured at each blur radius (where the
threshold sits); and the time `analyse` takes for a 5 MB photo (a 4000 x 3000 JPEG of a
card and of a passport: decode, quality, hash, OCR), median and p95.

Pure: no app, no database. Progress to stderr, the table to stdout.

Last runs (2026-12-04, 2 shared vCPUs, load average 3-4): seed 2026, 200 pictures:
precision 1.000 and recall 1.000 for blurry, too_dark, low_resolution,
card_number_visible, mrz_invalid and document_expired; glare 1.000 / 0.979;
name_mismatch 0.889 / 1.000 (the false one an "info": one OCR'd letter off; "warning"
only: 1.000). Seed 7 (held out from the tuning), 150 pictures: the same, glare 1.000 /
1.000, name_mismatch 0.857 / 1.000 ("info" again). 5 MB photos (20, 4000 x 3000, 5.4 MB):
median 1.48 s, p95 2.64 s. The set is synthetic and drawn by the generator the thresholds
were tuned on: read these as a regression check, not as field accuracy.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date

from PIL import Image

from tests.analysis import synthetic as S
from triage.analysis import ENGINE_FINDINGS, quality
from triage.analysis.analyse import analyse

TODAY = date(2026, 12, 4)
CODES = ENGINE_FINDINGS


def _passport_cases(rng: random.Random) -> list[tuple[S.Sample, list[str]]]:
    """A valid passport (typed name right), one with a wrong check digit, an expired one,
    and one whose typed name differs."""
    surname, given = rng.choice(S.SURNAMES), rng.choice(S.GIVEN)
    number = "C" + "".join(rng.choice("0123456789") for _ in range(7))
    valid = S.mrz_td3(surname, given, number, "850315", "320101")
    typed = [f"{given.title()} {surname.title()}"]
    broken = (valid[0], valid[1][:9] + str((int(valid[1][9]) + 1) % 10) + valid[1][10:])
    expired = S.mrz_td3(surname, given, number, "850315", "240101")
    cases = [
        (S.passport(rng, lines=valid), typed),
        (S.passport(rng, lines=broken), typed),
        (S.passport(rng, lines=expired), typed),
        (S.passport(rng, lines=valid), ["Someone Else"]),
    ]
    cases[1][0].labels.add("mrz_invalid")
    cases[2][0].labels.add("document_expired")
    cases[3][0].labels.add("name_mismatch")
    return cases


def labelled(seed: int, per_kind: int) -> list[tuple[S.Sample, bytes, list[str]]]:
    """The quality set (S.labelled_set) plus the reading cases, as (sample, JPEG, typed)."""
    rng = random.Random(seed)
    out = [(sample, data, []) for sample, data in S.labelled_set(seed, per_kind)]
    for _ in range(per_kind):
        covered = S.card(rng, covered=True)
        out.append((covered, S.jpeg(S.photographed(covered.image, rng)), []))
        for sample, typed in _passport_cases(rng):
            out.append((sample, S.jpeg(S.photographed(sample.image, rng)), typed))
    return out


def score(results: list[tuple[set[str], set[str]]]) -> list[tuple[str, int, int, int, str, str]]:
    """Per code: (code, true positives, false positives, false negatives, precision, recall)."""
    rows = []
    for code in CODES:
        tp = sum(1 for labels, found in results if code in labels and code in found)
        fp = sum(1 for labels, found in results if code not in labels and code in found)
        fn = sum(1 for labels, found in results if code in labels and code not in found)
        precision = f"{tp / (tp + fp):.3f}" if tp + fp else "-"
        recall = f"{tp / (tp + fn):.3f}" if tp + fn else "-"
        rows.append((code, tp, fp, fn, precision, recall))
    return rows


def blur_sweep(seed: int) -> list[tuple[float, str]]:
    """Sharpness at each blur radius (pixels at the 2000-px original), one of each kind."""
    rng = random.Random(seed)
    bases = [S.card(rng), S.passport(rng), S.statement(rng)]
    rows = []
    for radius in (0, 1, 2, 3, 4, 6, 8):
        values = []
        for base in bases:
            sample = S.blur(base, radius) if radius else base
            measures, _ = quality.assess(S.jpeg(S.photographed(sample.image, rng)))
            values.append("flat" if measures.sharpness is None else f"{measures.sharpness:.0f}")
        rows.append((radius, " / ".join(values)))
    return rows


def five_megabyte_photos(rng: random.Random, count: int) -> list[tuple[str, bytes]]:
    """JPEGs of about 5 MB: a card and a passport drawn at 4000 x 3000 (12 MP)."""
    photos = []
    for i in range(count):
        sample = S.card(rng) if i % 2 == 0 else S.passport(rng)
        image = sample.image.resize((4000, 3000), Image.Resampling.BICUBIC)
        data = S.jpeg(S.photographed(image, rng, noise=8.0), quality=95)
        photos.append((sample.kind, data))
    return photos


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-kind", type=int, default=8, help="documents of each kind")
    parser.add_argument("--photos", type=int, default=10, help="5 MB photos timed")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    print("generating the labelled set...", file=sys.stderr)
    cases = labelled(args.seed, args.per_kind)
    results = []
    warnings = []  # the same, counting "warning" findings only
    for n, (sample, data, typed) in enumerate(cases, start=1):
        if n % 20 == 0:
            print(f"  {n}/{len(cases)}", file=sys.stderr)
        analysis = analyse(data, "image/jpeg", sample.kind, typed, TODAY)
        found = {f.code for f in analysis.findings}
        warned = {f.code for f in analysis.findings if f.severity == "warning"}
        warnings.append((sample.labels - sample.unsure, warned - sample.unsure))
        # A code the picture is unsure about counts neither way.
        results.append((sample.labels - sample.unsure, found - sample.unsure))
    print(f"\nLabelled set: {len(cases)} pictures (seed {args.seed}, {args.per_kind} per kind)\n")
    print("| finding | true pos. | false pos. | false neg. | precision | recall |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for code, tp, fp, fn, precision, recall in score(results):
        print(f"| {code} | {tp} | {fp} | {fn} | {precision} | {recall} |")
    print('\nCounting "warning" findings only ("info" ones are near a threshold):\n')
    print("| finding | true pos. | false pos. | false neg. | precision | recall |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for code, tp, fp, fn, precision, recall in score(warnings):
        print(f"| {code} | {tp} | {fp} | {fn} | {precision} | {recall} |")

    print(f"\nSharpness by blur radius (card / passport / statement; blurry under "
          f"{quality.BLUR_VARIANCE:g}):\n")  # fmt: skip
    print("| Gaussian radius at 2000 px | sharpness |")
    print("| ---: | --- |")
    for radius, values in blur_sweep(args.seed):
        print(f"| {radius} | {values} |")

    print("\ntiming 5 MB photos...", file=sys.stderr)
    rng = random.Random(args.seed)
    timings: Counter[str] = Counter()
    seconds = []
    sizes = []
    for kind, data in five_megabyte_photos(rng, args.photos):
        started = time.perf_counter()
        analyse(data, "image/jpeg", kind, ["Anna Maria Eriksson"], TODAY)
        seconds.append(time.perf_counter() - started)
        sizes.append(len(data))
        timings[kind] += 1
    seconds.sort()
    p95 = seconds[min(len(seconds) - 1, round(0.95 * (len(seconds) - 1)))]
    with open("/proc/loadavg") as handle:
        load = handle.read().split()[:3]
    print(
        f"\n5 MB photos ({len(seconds)}: {dict(timings)}, {statistics.mean(sizes) / 1e6:.1f} MB "
        f"average, 4000 x 3000): median {statistics.median(seconds):.2f} s, p95 {p95:.2f} s, "
        f"max {seconds[-1]:.2f} s (load average {' '.join(load)})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
