#!/usr/bin/env python3
"""Writes N synthetic student rows for bench/peers, the same rows twice.

    gen_students.py N KEYFILE VOCFED_CSV [PG_CSV]

VOCFED_CSV is what a school exports and `vocfed import student` reads:
id_number (18 digits, valid GB 11643 check digit, all distinct), name, and
the student fields. PG_CSV, if given, holds the same rows as vocfed stores
them: the name dropped, the ID number replaced by its pseudo_id (BLAKE2b-256
keyed with the group linkage key in KEYFILE, 64 hex digits, as
node/linkage.c computes it), no header. Fixed seed: the same rows every run.
"""
import hashlib
import random
import sys

W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
MAJORS = ("460104", "460701", "510201", "530302", "560301", "470101")
PATHWAYS = ("regular", "regular", "regular", "three_plus_two", "five_year",
            "apprenticeship")
REGIONS = ("340822", "340881", "340803", "340100", "341000")
SCHOOLS = ("jh00", "jh01", "jh02", "jh03", "jh04", "jh05")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂"


def id_number(i):
    """An 18-digit ID number: region 340803, a birth date, sequence i."""
    year = 2003 + i % 5
    stem = "340803%04d%07d" % (year, i)  # 6 + 4 + 7 = 17 digits
    s = sum(int(c) * w for c, w in zip(stem, W))
    return stem + CHECK[s % 11]


def main():
    if len(sys.argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    n = int(sys.argv[1])
    with open(sys.argv[2]) as f:
        key = bytes.fromhex(f.read().strip())
    rnd = random.Random(20261202)
    vf = open(sys.argv[3], "w", encoding="utf-8", newline="")
    pg = open(sys.argv[4], "w", encoding="utf-8", newline="") \
        if len(sys.argv) == 5 else None
    vf.write("id_number,name,level,major,pathway,intake_year,status,"
             "source_school,origin_region\n")
    for i in range(n):
        idn = id_number(i)
        level = "higher" if rnd.random() < 0.6 else "secondary"
        fields = (level, rnd.choice(MAJORS), rnd.choice(PATHWAYS),
                  str(2024 + rnd.randrange(3)), "enrolled",
                  rnd.choice(SCHOOLS), rnd.choice(REGIONS))
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) + rnd.choice(GIVEN)
        vf.write("%s,%s,%s\n" % (idn, name, ",".join(fields)))
        if pg:
            pid = hashlib.blake2b(idn.encode(), digest_size=32,
                                  key=key).hexdigest()
            pg.write("%s,%s\n" % (pid, ",".join(fields)))
    vf.close()
    if pg:
        pg.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
