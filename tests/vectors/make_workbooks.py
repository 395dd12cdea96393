#!/usr/bin/python3
"""Makes the test workbooks of tests/vectors/ with writers other than
libxlsxwriter (which tests/node/test_sheet.c uses itself):

  students.xlsx       assembled by hand with zipfile: shared strings with
                      rich-text runs and phonetic text, an inline string,
                      a date cell in a custom format (yyyy"年"m"月"d"日"),
                      a number, trailing empty styled cells and columns
  students_1904.xlsx  the 1904 date system, x:-prefixed SpreadsheetML, the
                      data on the second sheet ("学生"), built-in date
                      format 14
  students.xls        Excel 97-2003 (BIFF8) written by python3-xlwt
                      (Debian python3-xlwt): dates as date cells

All hold the same three students as test_sheet.c's CSV files. Run it from
the repository's root: /usr/bin/python3 tests/vectors/make_workbooks.py
"""
import datetime
import zipfile

W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
STEMS = ["34080320050101001", "34080320050101002", "34080320050101003"]


def idn(stem):
    return stem + "10X98765432"[sum(int(stem[k]) * W[k] for k in range(17)) % 11]


IDS = [idn(s) for s in STEMS]
LEVEL = ["中职", "高职专科", "本科"]
STATUS = ["在籍", "休学", "转学"]
DATES = [datetime.date(2024, 9, 1), datetime.date(2023, 9, 1),
         datetime.date(2022, 9, 1)]
HEAD = ["姓名", "公民身份号码", "培养层次", "入学年月", "学籍状态", "培养模式"]

CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
      '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
      '</Types>')
RELS = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>')
NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def wb_rels(sheets):
    rel = ''.join(
        '<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="%s"/>' % (i + 1, t)
        for i, t in enumerate(sheets))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Relationships xmlns='
            '"http://schemas.openxmlformats.org/package/2006/relationships">'
            + rel +
            '<Relationship Id="rId8" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="/xl/styles.xml"/>'
            '</Relationships>')


def serial(d, d1904):
    base = datetime.date(1904, 1, 1) if d1904 else datetime.date(1899, 12, 30)
    return (d - base).days


def plain():
    """students.xlsx: default namespace, shared strings, a custom date."""
    strings = HEAD + LEVEL + STATUS + IDS
    sst = ''.join('<si><t>%s</t></si>' % s for s in strings)
    # rich text runs and phonetic text: the first name reads 张三
    sst = sst.replace('<si><t>姓名</t></si>',
                      '<si><r><t>姓</t></r><r><rPr><b/></rPr><t>名</t></r>'
                      '<rPh sb="0" eb="2"><t>ｾｲﾒｲ</t></rPh></si>')
    idx = {s: i for i, s in enumerate(strings)}
    rows = []
    cells = ''.join('<c r="%s1" t="s"><v>%d</v></c>' % ("ABCDEF"[i], idx[h])
                    for i, h in enumerate(HEAD))
    rows.append('<row r="1">%s<c r="H1" s="0"/></row>' % cells)
    for n in range(3):
        r = n + 2
        rows.append(
            '<row r="%d"><c r="A%d" t="inlineStr"><is><t>学生%d</t></is></c>'
            '<c r="B%d" t="s"><v>%d</v></c><c r="C%d" t="s"><v>%d</v></c>'
            '<c r="D%d" s="1"><v>%d</v></c><c r="E%d" t="s"><v>%d</v></c>'
            '<c r="F%d" t="str"><v>五年一贯制</v></c><c r="G%d" s="0"/></row>'
            % (r, r, n, r, idx[IDS[n]], r, idx[LEVEL[n]], r,
               serial(DATES[n], False), r, idx[STATUS[n]], r, r))
    rows.append('<row r="7"><c r="A7" s="0"/></row>')
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>\n<worksheet xmlns="%s">'
             '<sheetData>%s</sheetData></worksheet>' % (NS, ''.join(rows)))
    styles = ('<?xml version="1.0" encoding="UTF-8"?>\n<styleSheet xmlns="%s">'
              '<numFmts count="1"><numFmt numFmtId="176" formatCode='
              '"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
              '<cellStyleXfs count="2"><xf numFmtId="14"/><xf numFmtId="0"/>'
              '</cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/>'
              '<xf numFmtId="176"/></cellXfs></styleSheet>' % NS)
    wb = ('<?xml version="1.0" encoding="UTF-8"?>\n<workbook xmlns="%s" '
          'xmlns:r="%s"><sheets><sheet name="学生名册" sheetId="1" r:id="rId1"/>'
          '</sheets></workbook>' % (NS, RNS))
    with zipfile.ZipFile("tests/vectors/students.xlsx", "w",
                         zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels",
                   wb_rels(["worksheets/sheet1.xml"]))
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml",
                   '<?xml version="1.0" encoding="UTF-8"?>\n<sst xmlns="%s">'
                   '%s</sst>' % (NS, sst))
        z.writestr("xl/styles.xml", styles)


def prefixed():
    """students_1904.xlsx: x: prefixes, date1904, the data on sheet 2."""
    def c(ref, text):
        return '<x:c r="%s" t="inlineStr"><x:is><x:t>%s</x:t></x:is></x:c>' % (
            ref, text)
    rows = ['<x:row r="3">%s</x:row>' % ''.join(
        c("%s3" % "BCDEFG"[i], h) for i, h in enumerate(HEAD))]
    for n in range(3):
        r = n + 4
        rows.append('<x:row r="%d">%s%s%s<x:c r="E%d" s="1"><x:v>%d</x:v>'
                    '</x:c>%s%s</x:row>' % (
                        r, c("B%d" % r, "学生%d" % n), c("C%d" % r, IDS[n]),
                        c("D%d" % r, LEVEL[n]), r, serial(DATES[n], True),
                        c("F%d" % r, STATUS[n]), c("G%d" % r, "五年一贯制")))
    sheet = ('<?xml version="1.0" encoding="UTF-8"?>\n<x:worksheet xmlns:x="%s">'
             '<x:sheetData>%s</x:sheetData></x:worksheet>' % (NS, ''.join(rows)))
    note = ('<?xml version="1.0" encoding="UTF-8"?>\n<x:worksheet xmlns:x="%s">'
            '<x:sheetData><x:row r="1">%s</x:row></x:sheetData></x:worksheet>'
            % (NS, c("A1", "说明：学生名单在“学生”工作表")))
    styles = ('<?xml version="1.0" encoding="UTF-8"?>\n<x:styleSheet xmlns:x="%s">'
              '<x:cellXfs count="2"><x:xf numFmtId="0"/><x:xf numFmtId="14"/>'
              '</x:cellXfs></x:styleSheet>' % NS)
    wb = ('<?xml version="1.0" encoding="UTF-8"?>\n<x:workbook xmlns:x="%s" '
          'xmlns:r="%s"><x:workbookPr date1904="1"/><x:sheets>'
          '<x:sheet name="说明" sheetId="1" r:id="rId1"/>'
          '<x:sheet name="学生" sheetId="2" r:id="rId2"/></x:sheets>'
          '</x:workbook>' % (NS, RNS))
    with zipfile.ZipFile("tests/vectors/students_1904.xlsx", "w",
                         zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT)
        z.writestr("_rels/.rels", RELS)
        z.writestr("xl/workbook.xml", wb)
        z.writestr("xl/_rels/workbook.xml.rels",
                   wb_rels(["worksheets/sheet1.xml", "worksheets/sheet2.xml"]))
        z.writestr("xl/worksheets/sheet1.xml", note)
        z.writestr("xl/worksheets/sheet2.xml", sheet)
        z.writestr("xl/styles.xml", styles)


def xls():
    """students.xls with xlwt: text cells, date cells."""
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    sh = book.add_sheet("学生")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for i, h in enumerate(HEAD):
        sh.write(0, i, h)
    for n in range(3):
        sh.write(n + 1, 0, "学生%d" % n)
        sh.write(n + 1, 1, IDS[n])
        sh.write(n + 1, 2, LEVEL[n])
        sh.write(n + 1, 3, DATES[n], date)
        sh.write(n + 1, 4, STATUS[n])
        sh.write(n + 1, 5, "五年一贯制")
    book.save("tests/vectors/students.xls")


plain()
prefixed()
xls()
