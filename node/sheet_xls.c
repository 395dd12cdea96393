/* vocfed: reading an .xls worksheet (Excel 97-2003, BIFF8) with
 * libfreexl (see sheet.h).
 *
 * libfreexl is not safe against a hostile file (tests/fuzz found a stack
 * buffer underflow in freexl_open: regressions/import_xlsx/), so it runs
 * in a child process of its own: the child reads the sheet and writes its
 * cells down a pipe (row u32, column u16, length u32, the bytes; a final
 * record of row 0 ends them, or carries a refusal); the parent takes them
 * with every length capped. A child that dies, or writes anything else,
 * is a workbook that does not read. libfreexl reads a file by its path:
 * the bytes go into an anonymous memory file (memfd) read through
 * /proc/self/fd. */
#define _GNU_SOURCE /* memfd_create */
#include "node/sheet.h"

#include <errno.h>
#include <fcntl.h>
#include <freexl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define S_CELL_MAX (128 * 1024) /* bytes of one cell taken from the child */

static void
s_err(node_sheet_error_t *err, const char *en, const char *zh)
{
    node_sheet_i_err(err, en, zh);
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
        int w = snprintf(list + used, sizeof list - used, "%s'%s'",
                         i ? ", " : "", n);
        if (w > 0 && (size_t)w < sizeof list - used)
            used += (size_t)w;
    }
    if (snprintf(en, sizeof en,
                 "the workbook has no sheet '%s'; its sheets: %s", name,
                 list) < 0 ||
        snprintf(zh, sizeof zh, "工作簿中没有名为“%s”的工作表；现有：%s", name,
                 list) < 0)
        en[0] = zh[0] = 0;
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

/* Writes all of buf to fd; false on failure. */
static bool
s_put(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* One record down the pipe: row, column, text. */
static bool
s_send(int fd, uint32_t row, uint16_t col, const char *text, uint32_t len)
{
    uint8_t h[10];
    memcpy(h, &row, 4);
    memcpy(h + 4, &col, 2);
    memcpy(h + 6, &len, 4);
    return s_put(fd, h, sizeof h) && s_put(fd, text, len);
}

/* The child: reads the sheet, sends its cells, then the end (row 0,
 * column 0 and nothing, or column 1 and the refusal "en\0zh"). */
static void
s_child(const char *path, const char *name, int fd)
{
    const void *h = NULL;
    node_sheet_error_t err = {{0}, {0}};
    char buf[48], msg[sizeof err.en + sizeof err.zh];
    unsigned int rows = 0;
    unsigned short cols = 0;
    int rc = VOCFED_EINVALID;
    if (freexl_open(path, &h) != FREEXL_OK)
        s_err(&err,
              "starts like an .xls workbook but does not read as one (it "
              "may be damaged or password-protected): save it again as "
              ".xlsx and import that",
              "文件开头像 .xls 工作簿，却无法读取（可能已损坏或设有密码）："
              "请另存为 .xlsx 后再导入");
    else if ((rc = s_pick(h, name, &err)) == VOCFED_OK &&
             freexl_worksheet_dimensions(h, &rows, &cols) != FREEXL_OK)
        rc = VOCFED_EINVALID;
    for (unsigned int r = 0; rc == VOCFED_OK && r < rows && r < 1048576; r++)
        for (unsigned short c = 0; c < cols; c++) {
            FreeXL_CellValue v;
            if (freexl_get_cell_value(h, r, c, &v) != FREEXL_OK)
                continue;
            const char *t = s_cell(&v, buf, sizeof buf);
            size_t len = strnlen(t, S_CELL_MAX);
            if (len && !s_send(fd, r + 1, c, t, (uint32_t)len))
                _exit(1);
        }
    if (rc && !err.en[0])
        s_err(&err, "the worksheet does not read", "工作表无法读取");
    size_t ne = strlen(err.en), nz = strlen(err.zh);
    memcpy(msg, err.en, ne + 1);
    memcpy(msg + ne + 1, err.zh, nz);
    if (!s_send(fd, 0, rc ? 1 : 0, msg, rc ? (uint32_t)(ne + 1 + nz) : 0))
        _exit(1);
    _exit(0);
}

/* Reads exactly len bytes from fd; false at its end or on failure. */
static bool
s_get(int fd, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* The parent: the child's records into s (text: S_CELL_MAX + 1 bytes of
 * room). Returns 0, VOCFED_EINVALID (err filled when the child said
 * why), VOCFED_ENOMEM. */
static int
s_records(int fd, node_sheet_t *s, node_sheet_error_t *err, char *text)
{
    for (;;) {
        uint8_t h[10];
        uint32_t row, len;
        uint16_t col;
        if (!s_get(fd, h, sizeof h))
            return VOCFED_EINVALID;
        memcpy(&row, h, 4);
        memcpy(&col, h + 4, 2);
        memcpy(&len, h + 6, 4);
        if (len > S_CELL_MAX || !s_get(fd, text, len))
            return VOCFED_EINVALID;
        text[len] = 0;
        if (row == 0 && col == 0)
            return VOCFED_OK;
        if (row == 0) {
            size_t ne = strlen(text);
            s_err(err, text, ne < len ? text + ne + 1 : "");
            return VOCFED_EINVALID;
        }
        if (node_sheet_i_set(s, row, col, text, len))
            return VOCFED_ENOMEM;
    }
}

/* The parent: the child's records into s. */
static int
s_take(int fd, node_sheet_t *s, node_sheet_error_t *err)
{
    char *text = malloc(S_CELL_MAX + 1);
    int rc;
    if (!text)
        return VOCFED_ENOMEM;
    rc = s_records(fd, s, err, text);
    free(text);
    return rc;
}

int
node_sheet_i_xls(const uint8_t *data, size_t len, const char *name,
                 node_sheet_t *s, node_sheet_error_t *err)
{
    char path[64];
    int p[2], status = 0, rc, fd = s_memfile(data, len);
    if (fd < 0)
        return fd;
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (pipe2(p, O_CLOEXEC) < 0) {
        rc = -errno;
        close(fd);
        return rc;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        s_child(path, name, p[1]);
    }
    close(p[1]);
    close(fd);
    if (pid < 0) {
        rc = -errno;
        close(p[0]);
        return rc;
    }
    rc = s_take(p[0], s, err);
    close(p[0]);
    if (rc)
        kill(pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (rc == VOCFED_EINVALID && !err->en[0]) {
        s_err(err,
              "starts like an .xls workbook but does not read as one (the "
              "reader stopped on it: the file is damaged): save it again as "
              ".xlsx and import that",
              "文件开头像 .xls 工作簿，却无法读取（读取程序在该文件上中止，文件"
              "已损坏）：请另存为 .xlsx 后再导入");
    } else if (!rc && !clean) {
        rc = VOCFED_EINVALID;
        s_err(err, "the .xls reader stopped before the end of the sheet",
              ".xls 读取程序未读完工作表即中止");
    }
    return rc;
}
