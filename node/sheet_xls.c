/* vocfed: reading an .xls worksheet (Excel 97-2003, BIFF8) with
 * libfreexl (see sheet.h). libfreexl reads a file by its path: the bytes
 * go into an anonymous memory file (memfd) read through /proc/self/fd. */
#define _GNU_SOURCE /* memfd_create */
#include "node/sheet.h"

#include <errno.h>
#include <freexl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void
s_err(node_sheet_error_t *err, const char *en, const char *zh)
{
    snprintf(err->en, sizeof err->en, "%s", en);
    snprintf(err->zh, sizeof err->zh, "%s", zh);
}

/* The bytes in a memory file; returns its fd or -errno. */
static int
s_memfile(const uint8_t *data, size_t len)
{
    int fd = memfd_create("vocfed-xls", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int rc = n < 0 ? -errno : -EIO;
            close(fd);
            return rc;
        }
        off += (size_t)n;
    }
    return fd;
}

/* Picks the sheet named name (NULL: the first) and makes it active. */
static int
s_pick(const void *h, const char *name, node_sheet_error_t *err)
{
    unsigned int count = 0;
    char list[200] = "", en[256], zh[256];
    size_t used = 0;
    if (freexl_get_info(h, FREEXL_BIFF_SHEET_COUNT, &count) != FREEXL_OK ||
        count == 0) {
        s_err(err, "the workbook has no worksheet", "工作簿中没有工作表");
        return VOCFED_EINVALID;
    }
    for (unsigned int i = 0; i < count && i < 65535; i++) {
        const char *n = NULL;
        if (freexl_get_worksheet_name(h, (unsigned short)i, &n) != FREEXL_OK)
            n = "";
        if (!n)
            n = "";
        if (!name || !strcmp(n, name))
            return freexl_select_active_worksheet(h, (unsigned short)i) ==
                           FREEXL_OK
                       ? VOCFED_OK
                       : VOCFED_EINVALID;
        int w = snprintf(list + used, sizeof list - used, "%s'%.40s'",
                         i ? ", " : "", n);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    snprintf(en, sizeof en, "the workbook has no sheet '%.60s'; its sheets: %s",
             name, list);
    snprintf(zh, sizeof zh, "工作簿中没有名为“%.60s”的工作表；现有：%s", name,
             list);
    s_err(err, en, zh);
    return VOCFED_EINVALID;
}

/* One cell's text as the sheet shows it. */
static const char *
s_cell(const FreeXL_CellValue *v, char *buf, size_t cap)
{
    switch (v->type) {
    case FREEXL_CELL_INT:
        snprintf(buf, cap, "%d", v->value.int_value);
        return buf;
    case FREEXL_CELL_DOUBLE:
        node_sheet_i_number(v->value.double_value, buf, cap);
        return buf;
    case FREEXL_CELL_TEXT:
    case FREEXL_CELL_SST_TEXT:
    case FREEXL_CELL_DATE:
    case FREEXL_CELL_DATETIME:
    case FREEXL_CELL_TIME:
        return v->value.text_value ? v->value.text_value : "";
    default:
        return "";
    }
}

/* Every cell of the active sheet into s. */
static int
s_cells(const void *h, node_sheet_t *s, node_sheet_error_t *err)
{
    unsigned int rows = 0;
    unsigned short cols = 0;
    char buf[48];
    if (freexl_worksheet_dimensions(h, &rows, &cols) != FREEXL_OK) {
        s_err(err, "the worksheet does not read", "工作表无法读取");
        return VOCFED_EINVALID;
    }
    for (unsigned int r = 0; r < rows; r++)
        for (unsigned short c = 0; c < cols; c++) {
            FreeXL_CellValue v;
            if (freexl_get_cell_value(h, r, c, &v) != FREEXL_OK)
                continue;
            const char *t = s_cell(&v, buf, sizeof buf);
            if (t[0] && node_sheet_i_set(s, r + 1, c, t, strlen(t)))
                return VOCFED_ENOMEM;
        }
    return VOCFED_OK;
}

int
node_sheet_i_xls(const uint8_t *data, size_t len, const char *name,
                 node_sheet_t *s, node_sheet_error_t *err)
{
    char path[64];
    const void *h = NULL;
    int rc, fd = s_memfile(data, len);
    if (fd < 0)
        return fd;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (freexl_open(path, &h) != FREEXL_OK) {
        s_err(err,
              "starts like an .xls workbook but does not read as one (it "
              "may be damaged or password-protected): save it again as "
              ".xlsx and import that",
              "文件开头像 .xls 工作簿，却无法读取（可能已损坏或设有密码）："
              "请另存为 .xlsx 后再导入");
        rc = VOCFED_EINVALID;
        goto done;
    }
    if (!(rc = s_pick(h, name, err)))
        rc = s_cells(h, s, err);
    if (rc == VOCFED_EINVALID && !err->en[0])
        s_err(err, "the worksheet does not read", "工作表无法读取");
done:
    if (h)
        freexl_close(h);
    close(fd);
    return rc;
}
