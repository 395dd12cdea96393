/* vocfed: the one parser of endpoints (endpoint.h). */
#include "node/endpoint.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define S_SCHEME "tcp://"
#define S_FORM "expected tcp://HOST:PORT, e.g. tcp://192.0.2.7:7700"

/* Writes the reason into why (if any); returns VOCFED_EINVALID. */
__attribute__((format(printf, 3, 4))) static int
s_refuse(char *why, size_t cap, const char *fmt, ...)
{
    if (why && cap) {
        va_list ap;
        va_start(ap, fmt);
        (void)vsnprintf(why, cap, fmt, ap); /* cut to fit: said in .h */
        va_end(ap);
    }
    return VOCFED_EINVALID;
}

static bool
s_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* A host name or IPv4 address: letters, digits, '.', '-', '_'. */
static bool
s_name_valid(const char *h, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!s_alnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
            return false;
    return true;
}

/* The port: 1 to 5 decimal digits, no sign, 1..65535. */
static int
s_port(const char *p, unsigned *out, char *why, size_t cap)
{
    size_t n = strlen(p);
    if (n == 0)
        return s_refuse(why, cap, "no port after the ':'; " S_FORM);
    unsigned long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return s_refuse(why, cap,
                            "the port '%s' is not a number from 1 to 65535", p);
        if (v <= 65535)
            v = v * 10 + (unsigned long)(p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return s_refuse(why, cap, "the port %s is out of range (1 to 65535)",
                        p);
    *out = (unsigned)v;
    return VOCFED_OK;
}

/* No scheme, or another one: say what was meant when it is clear. */
static int
s_no_scheme(const char *s, char *why, size_t cap)
{
    const char *sep = strstr(s, "://");
    if (sep)
        return s_refuse(why, cap,
                        "the scheme '%.*s://' is not supported; " S_FORM,
                        (int)(sep - s > 16 ? 16 : sep - s), s);
    const char *colon = strrchr(s, ':');
    if (colon && colon != s && colon[1] != '\0' && strlen(s) < 200)
        return s_refuse(why, cap, S_FORM " (did you mean tcp://%s?)", s);
    return s_refuse(why, cap, S_FORM);
}

int
node_endpoint_check(const char *s, node_endpoint_use_t use, unsigned *port,
                    char *why, size_t cap)
{
    size_t len = strlen(s);
    if (len == 0)
        return s_refuse(why, cap, "empty; " S_FORM);
    if (len >= NODE_ENDPOINT_MAX)
        return s_refuse(why, cap, "longer than %d bytes",
                        NODE_ENDPOINT_MAX - 1);
    if (strncmp(s, S_SCHEME, strlen(S_SCHEME)) != 0)
        return s_no_scheme(s, why, cap);
    const char *host = s + strlen(S_SCHEME);
    const char *end = host[0] == '[' ? strchr(host, ']') : host;
    const char *colon = end ? strrchr(end, ':') : NULL;
    if (!colon)
        return s_refuse(why, cap, "no ':PORT' after the host; " S_FORM);
    size_t hlen = (size_t)(colon - host);
    if (hlen == 0)
        return s_refuse(why, cap, "no host before ':PORT'; " S_FORM);
    unsigned p = 0;
    int rc = s_port(colon + 1, &p, why, cap);
    if (rc)
        return rc;
    if (hlen == 1 && host[0] == '*') {
        if (use != NODE_ENDPOINT_BIND)
            return s_refuse(why, cap,
                            "'*' (every interface) is for listening; give "
                            "the coordinator's address or name");
    } else if (host[0] == '[') {
        /* The sockets are not opened with ZMQ_IPV6: ZeroMQ would say
         * "No such device" at bind or connect. */
        return s_refuse(why, cap,
                        "IPv6 addresses are not supported; give an IPv4 "
                        "address or a host name");
    } else if (!s_name_valid(host, hlen)) {
        return s_refuse(why, cap,
                        "the host '%.*s' is not a name or an IPv4 address "
                        "(letters, digits, '.', '-', '_'); " S_FORM,
                        (int)(hlen > 64 ? 64 : hlen), host);
    }
    if (port)
        *port = p;
    return VOCFED_OK;
}
