/* vocfed serve: the dashboard (see serve_page.h). */
#include "tools/serve_page.h"
#include "tools/report_model.h"
#include "tools/report_render.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char serve_page_js[] =
    "\"use strict\";\n"
    "/* vocfed serve: refreshes the dashboard when its figures change. */\n"
    "(function () {\n"
    "  var meta = document.querySelector('meta[name=\"vocfed-generation\"]');\n"
    "  var gen = meta ? meta.content : \"\";\n"
    "  var every = 1000 * (parseInt(document.body.getAttribute("
    "\"data-refresh\"), 10) || 5);\n"
    "  function wire() {\n"
    "    var sel = document.querySelector('select[name=\"year\"]');\n"
    "    if (sel) sel.addEventListener(\"change\", function () {\n"
    "      sel.form.submit();\n"
    "    });\n"
    "  }\n"
    "  function swap(html) {\n"
    "    var doc = new DOMParser().parseFromString(html, \"text/html\");\n"
    "    var m = doc.querySelector('meta[name=\"vocfed-generation\"]');\n"
    "    if (!m || !doc.body) return;\n"
    "    gen = m.content;\n"
    "    document.body.replaceWith(document.adoptNode(doc.body));\n"
    "    wire();\n"
    "  }\n"
    "  function poll() {\n"
    "    var opts = {cache: \"no-store\", credentials: \"same-origin\"};\n"
    "    fetch(\"api/state\", opts).then(function (r) {\n"
    "      return r.ok ? r.json() : null;\n"
    "    }).then(function (s) {\n"
    "      if (!s || s.generation === gen) return null;\n"
    "      return fetch(location.href, opts).then(function (r) {\n"
    "        return r.ok ? r.text() : null;\n"
    "      }).then(function (t) { if (t) swap(t); });\n"
    "    }).catch(function () {}).then(function () {\n"
    "      setTimeout(poll, every);\n"
    "    });\n"
    "  }\n"
    "  wire();\n"
    "  setTimeout(poll, every);\n"
    "})();\n";

/* What the dashboard adds to the report's style. */
static const char s_css[] =
    "<style>\n"
    "body.lang-zh .en{display:none}\n"
    "nav.bar{display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center;"
    "background:#edf2f7;padding:.5em .8em;border-radius:4px}\n"
    "nav.bar form{display:inline}\n"
    ".ok{color:#276749}.down{color:#c53030;font-weight:bold}\n"
    "</style>\n";

/* The state of one page. */
typedef struct {
    serve_data_t *d;             /* the data */
    const serve_page_opts_t *o;  /* the query */
    json_t *report;              /* the report shown (a reference) */
    json_t *all;                 /* the report of every year, for the years */
    json_t *status;              /* the status (a reference) */
    char gen[SERVE_GEN_LEN + 1]; /* the generation shown */
} s_page_t;

#define H(out, s) cmd_report_html_text((out), (s))

/* The years the figures have, oldest first, as options of the selector. */
static void
s_years(FILE *out, const s_page_t *p)
{
    json_t *years = json_object(), *fig, *v;
    const char *id, *y;
    json_object_foreach(json_object_get(p->all, "figures"), id, fig)
    {
        json_object_foreach(json_object_get(fig, "by_year"), y, v)
        {
            json_object_set(years, y, json_true());
        }
    }
    fprintf(out, "<option value=\"0\"%s>全部 all</option>",
            p->o->year ? "" : " selected");
    const char **keys = calloc(json_object_size(years) + 1, sizeof *keys);
    size_t n = 0;
    json_object_foreach(years, y, v)
    {
        if (keys)
            keys[n++] = y;
    }
    for (size_t i = 0; i < n; i++) /* the keys are 4 digits: text order */
        for (size_t j = i + 1; j < n; j++)
            if (strcmp(keys[j], keys[i]) < 0) {
                const char *t = keys[i];
                keys[i] = keys[j];
                keys[j] = t;
            }
    char want[16];
    snprintf(want, sizeof want, "%d", p->o->year);
    for (size_t i = 0; i < n; i++) {
        fputs("<option value=\"", out);
        H(out, keys[i]);
        fprintf(out, "\"%s>", strcmp(keys[i], want) == 0 ? " selected" : "");
        H(out, keys[i]);
        fputs("</option>", out);
    }
    free(keys);
    json_decref(years);
}

/* The bar: node, year selector, language, downloads, last change. */
static void
s_top(void *ctx, FILE *out)
{
    s_page_t *p = ctx;
    node_t *node = serve_data_node(p->d);
    char q[64];
    snprintf(q, sizeof q, "year=%d", p->o->year);
    fputs("<nav class=\"bar\"><span>节点 <span class=\"en\">Node</span> <b>",
          out);
    H(out, node_id(node));
    fputs("</b> (", out);
    H(out, node_role(node));
    fputs(")</span>\n<form method=\"get\" action=\"./\"><label>年度 <span "
          "class=\"en\">Year</span> <select name=\"year\">",
          out);
    s_years(out, p);
    fprintf(out,
            "</select></label>%s <button type=\"submit\">查看 <span "
            "class=\"en\">Show</span></button></form>\n",
            p->o->en ? "<input type=\"hidden\" name=\"lang\" value=\"en\">"
                     : "");
    if (p->o->en)
        fprintf(out,
                "<span><a href=\"?year=%d\">中文</a> | <b>English</b></span>\n",
                p->o->year);
    else
        fprintf(out,
                "<span><b>中文</b> | <a href=\"?year=%d&amp;lang=en\">English"
                "</a></span>\n",
                p->o->year);
    fprintf(out,
            "<span>下载 <span class=\"en\">Download</span>: "
            "<a href=\"report.xlsx?%s\">Excel</a> <a href=\"report.csv?%s\">"
            "CSV</a> <a href=\"report.html?%s\">HTML</a> <a "
            "href=\"api/report.json?%s\">JSON</a> <a href=\"api/status.json\">"
            "状态 <span class=\"en\">status</span></a> <a "
            "href=\"metrics\">metrics</a></span>\n",
            q, q, q, q);
    fputs("<span id=\"generation\">版本 <span class=\"en\">generation"
          "</span> <code>",
          out);
    fprintf(out, "%.8s</code></span></nav>\n", p->gen);
}

/* How many alarms are raised about peer. */
static long long
s_peer_alarms(const json_t *status, const char *peer)
{
    size_t i;
    json_t *a;
    long long n = 0;
    json_array_foreach(json_object_get(status, "alarms"), i, a)
    {
        if (json_is_true(json_object_get(a, "raised")) &&
            !strcmp(report_str(a, "peer"), peer))
            n++;
    }
    return n;
}

/* The entries a peer lacks, over every log. */
static long long
s_peer_lag(const json_t *peer)
{
    const char *author;
    json_t *v;
    long long n = 0;
    json_object_foreach(json_object_get(peer, "lag"), author, v)
    {
        n += json_integer_value(v);
    }
    return n;
}

/* A link state (status_json.h) in Chinese. */
static const char *
s_link_zh(const char *link)
{
    if (!strcmp(link, "connected"))
        return "已连接";
    if (!strcmp(link, "not-connected"))
        return "未连接";
    if (!strcmp(link, "synced-once"))
        return "单次同步";
    if (!strcmp(link, "syncing-once"))
        return "单次同步中";
    return "从未连接";
}

/* One member's (or peer's) row: roster state from the report, the link
 * from the status. */
static void
s_member_row(FILE *out, const s_page_t *p, const char *id)
{
    json_t *m = json_object_get(json_object_get(p->report, "members"), id);
    json_t *peer = json_object_get(json_object_get(p->status, "peers"), id);
    char roster[96] = "-", lag[32] = "-", bad[48] = "-";
    if (m)
        report_roster_text(m, roster, sizeof roster);
    const char *link = peer ? report_str(peer, "link") : "";
    bool up = !strcmp(link, "connected");
    if (peer) {
        snprintf(lag, sizeof lag, "%lld", s_peer_lag(peer));
        snprintf(
            bad, sizeof bad, "%lld / %lld",
            (long long)json_integer_value(json_object_get(peer, "refused")),
            (long long)json_integer_value(json_object_get(peer, "malformed")));
    }
    long long alarms = s_peer_alarms(p->status, id);
    fputs("<tr data-member=\"", out);
    H(out, id);
    fputs("\"><td>", out);
    H(out, id);
    fputs("</td><td>", out);
    H(out, report_member_name(p->report, id));
    fputs("</td><td>", out);
    H(out, roster);
    fprintf(out, "</td><td class=\"%s\">%s <span class=\"en\">",
            up ? "ok" : "down", s_link_zh(peer ? link : ""));
    H(out, peer ? link : "never");
    fputs("</span></td><td>", out);
    H(out, peer && report_str(peer, "last_contact")[0]
               ? report_str(peer, "last_contact")
               : "-");
    fputs("</td><td class=\"n\">", out);
    H(out, lag);
    fputs("</td><td class=\"n\">", out);
    H(out, bad);
    fprintf(out, "</td><td class=\"n %s\">%lld</td></tr>\n",
            alarms ? "behind" : "", alarms);
}

/* The alarms raised. */
static void
s_alarms(FILE *out, const json_t *status)
{
    size_t i;
    json_t *a;
    long long n = json_integer_value(json_object_get(status, "alarms_raised"));
    fprintf(out,
            "<h3>告警 <span class=\"en\">Alarms raised</span>: %lld</h3>\n", n);
    if (n == 0)
        return;
    fputs("<table><thead><tr><th>时间 Time</th><th>类别 Kind</th><th>节点 "
          "Peer</th><th>日志 Log</th><th>说明 Text</th></tr></thead><tbody>\n",
          out);
    json_array_foreach(json_object_get(status, "alarms"), i, a)
    {
        if (!json_is_true(json_object_get(a, "raised")))
            continue;
        const char *cells[] = {"time", "kind", "peer", "author", "text"};
        fputs("<tr>", out);
        for (size_t k = 0; k < 5; k++) {
            fputs("<td>", out);
            H(out, report_str(a, cells[k]));
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
}

/* The members and their links (at a member: the coordinator), then the
 * alarms. */
static void
s_nodes(void *ctx, FILE *out)
{
    s_page_t *p = ctx;
    bool coord = node_is_coordinator(serve_data_node(p->d));
    const char *id;
    json_t *v;
    fputs(coord ? "<h2 id=\"members\">成员与连接 <span class=\"en\">Members "
                  "and their links</span></h2>\n"
                : "<h2 id=\"members\">与协调方的连接 <span class=\"en\">Link "
                  "to the coordinator</span></h2>\n",
          out);
    fputs("<table><thead><tr><th>成员 Member</th><th>名称 Name</th><th>名册 "
          "Roster</th><th>连接 Link</th><th>最近联系 Last contact</th>"
          "<th>滞后条目 Lag</th><th>拒绝/异常 Refused/malformed</th>"
          "<th>告警 Alarms</th></tr></thead><tbody>\n",
          out);
    if (coord)
        json_object_foreach(json_object_get(p->report, "members"), id, v)
        {
            s_member_row(out, p, id);
        }
    json_object_foreach(json_object_get(p->status, "peers"), id, v)
    {
        if (!coord ||
            !json_object_get(json_object_get(p->report, "members"), id))
            s_member_row(out, p, id);
    }
    fputs("</tbody></table>\n", out);
    if (!coord)
        fputs("<p class=\"meta\">本页为本成员自己的数据 <span class=\"en\">"
              "These are this member's own figures</span></p>\n",
              out);
    s_alarms(out, p->status);
}

int
serve_page_write(serve_data_t *d, const serve_page_opts_t *o, FILE *out)
{
    s_page_t p = {.d = d, .o = o};
    char head[512], attrs[96];
    int rc = serve_data_state(d, p.gen);
    if (!rc)
        rc = serve_data_report(d, o->year, &p.report);
    if (!rc)
        rc = serve_data_report(d, 0, &p.all);
    if (!rc)
        rc = serve_data_status(d, &p.status);
    if (rc)
        goto done;
    snprintf(head, sizeof head,
             "<meta name=\"vocfed-generation\" content=\"%s\">\n"
             "<script src=\"dashboard.js\" defer></script>\n%s",
             p.gen, s_css);
    snprintf(attrs, sizeof attrs, "class=\"lang-%s\" data-refresh=\"%u\"",
             o->en ? "en" : "zh", o->refresh_s);
    cmd_report_page_t page = {head, attrs, s_top, s_nodes, &p};
    rc = cmd_report_html_page(p.report, &page, out);
done:
    json_decref(p.report);
    json_decref(p.all);
    json_decref(p.status);
    return rc;
}
