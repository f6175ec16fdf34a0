// SPDX-License-Identifier: LGPL-2.1-or-later
/* Module parameters: the kernel's argument splitting and per-type validation. Unknown
 * parameters are ignored (the kernel only warns); a bad value for a known one is EINVAL. */
#include "shim.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct param {
    char name[128];
    char type[64];
    char value[1024];
    bool set;
};

static bool name_eq(const char* a, const char* b) {
    for (; *a && *b; a++, b++) {
        char x = *a == '-' ? '_' : *a, y = *b == '-' ? '_' : *b;
        if (x != y) return false;
    }
    return *a == *b;
}

/* kstrto*: optional sign (signed only), base prefix, a single trailing newline allowed */
static int num(const char* v, bool is_signed, long long lo, unsigned long long hi, char* out, size_t n) {
    if (!v || !*v || isspace((unsigned char)*v)) return EINVAL;
    char* end;
    errno = 0;
    if (is_signed) {
        long long x = strtoll(v, &end, 0);
        if (errno || end == v || (*end && strcmp(end, "\n")) || x < lo || (x > 0 && (unsigned long long)x > hi))
            return EINVAL;
        snprintf(out, n, "%lld", x);
    } else {
        if (*v == '-') return EINVAL;
        unsigned long long x = strtoull(v, &end, 0);
        if (errno || end == v || (*end && strcmp(end, "\n")) || x > hi) return EINVAL;
        snprintf(out, n, "%llu", x);
    }
    return 0;
}

static int boolval(const char* v, bool* out) {
    if (!v) { /* a bare bool parameter means true */
        *out = true;
        return 0;
    }
    switch (v[0]) {
        case 'y':
        case 'Y':
        case '1': *out = true; return 0;
        case 'n':
        case 'N':
        case '0': *out = false; return 0;
        case 'o':
        case 'O':
            if (v[1] == 'n' || v[1] == 'N') {
                *out = true;
                return 0;
            }
            if (v[1] == 'f' || v[1] == 'F') {
                *out = false;
                return 0;
            }
    }
    return EINVAL;
}

static int one(const char* type, const char* v, char* out, size_t n) {
    bool b;
    if (!strcmp(type, "int")) return num(v, true, INT_MIN, INT_MAX, out, n);
    if (!strcmp(type, "uint") || !strcmp(type, "hexint")) return num(v, false, 0, UINT_MAX, out, n);
    if (!strcmp(type, "long")) return num(v, true, LONG_MIN, LONG_MAX, out, n);
    if (!strcmp(type, "ulong") || !strcmp(type, "ullong")) return num(v, false, 0, ULLONG_MAX, out, n);
    if (!strcmp(type, "short")) return num(v, true, SHRT_MIN, SHRT_MAX, out, n);
    if (!strcmp(type, "ushort")) return num(v, false, 0, USHRT_MAX, out, n);
    if (!strcmp(type, "byte")) return num(v, false, 0, UCHAR_MAX, out, n);
    if (!strcmp(type, "bool") || !strcmp(type, "invbool")) {
        if (boolval(v, &b)) return EINVAL;
        snprintf(out, n, "%c", (b ^ (type[0] == 'i')) ? 'Y' : 'N');
        return 0;
    }
    if (!v) /* charp, string and anything else need a value */
        return EINVAL;
    snprintf(out, n, "%s", v);
    return 0;
}

static int set(struct param* p, const char* v) {
    if (!strncmp(p->type, "array of ", 9)) {
        if (!v) return EINVAL;
        char copy[1024], *save = NULL, elem[256];
        snprintf(copy, sizeof copy, "%s", v);
        p->value[0] = '\0';
        for (char* t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            if (one(p->type + 9, t, elem, sizeof elem)) return EINVAL;
            size_t l = strlen(p->value);
            snprintf(p->value + l, sizeof p->value - l, "%s%s", l ? "," : "", elem);
        }
    } else if (one(p->type, v, p->value, sizeof p->value)) {
        return EINVAL;
    }
    p->set = true;
    return 0;
}

static const char* default_value(const char* type) {
    if (!strcmp(type, "charp")) return "(null)";
    if (!strcmp(type, "bool")) return "N";
    if (!strcmp(type, "invbool")) return "Y";
    if (!strncmp(type, "array of ", 9) || !strcmp(type, "string")) return "";
    return "0";
}

/* The kernel's next_arg(): quotes group, are dropped around the value and the whole word. */
static char* next_arg(char* args, char** param, char** val) {
    size_t i, equals = 0;
    bool in_quote = false, quoted = false;
    if (*args == '"') {
        args++;
        in_quote = quoted = true;
    }
    for (i = 0; args[i]; i++) {
        if (isspace((unsigned char)args[i]) && !in_quote) break;
        if (!equals && args[i] == '=') equals = i;
        if (args[i] == '"') in_quote = !in_quote;
    }
    *param = args;
    *val = NULL;
    if (equals) {
        args[equals] = '\0';
        *val = args + equals + 1;
        if (**val == '"') {
            (*val)++;
            if (i > 0 && args[i - 1] == '"') args[i - 1] = '\0';
        }
    }
    if (quoted && i > 0 && args[i - 1] == '"') args[i - 1] = '\0';
    char* next = args + i;
    if (*next) {
        *next++ = '\0';
    }
    while (isspace((unsigned char)*next)) next++;
    return next;
}

int sk_params_apply(const struct sk_image* img, const char* params, const char* dir) {
    struct param ps[128];
    int np = 0;
    for (const char* t = sk_modinfo_next(img, "parmtype", NULL); t && np < 128;
         t = sk_modinfo_next(img, "parmtype", t)) {
        const char* colon = strchr(t, ':');
        if (!colon) continue;
        memset(&ps[np], 0, sizeof ps[np]);
        snprintf(ps[np].name, sizeof ps[np].name, "%.*s", (int)(colon - t), t);
        snprintf(ps[np].type, sizeof ps[np].type, "%s", colon + 1);
        np++;
    }
    char* copy = strdup(params ? params : "");
    if (!copy) return ENOMEM;
    char* a = copy;
    while (isspace((unsigned char)*a)) a++;
    int err = 0;
    while (*a && !err) {
        char *name, *val;
        a = next_arg(a, &name, &val);
        for (int i = 0; i < np; i++)
            if (name_eq(ps[i].name, name)) {
                err = set(&ps[i], val);
                break;
            }
    }
    free(copy);
    if (err || !dir) return err;
    char p[4096], v[1100];
    snprintf(p, sizeof p, "%s/parameters", dir);
    sk_real.mkdir(p, 0755);
    for (int i = 0; i < np; i++) {
        snprintf(p, sizeof p, "%s/parameters/%s", dir, ps[i].name);
        snprintf(v, sizeof v, "%s\n", ps[i].set ? ps[i].value : default_value(ps[i].type));
        sk_write_file(p, v);
    }
    return 0;
}
