// SPDX-License-Identifier: LGPL-2.1-or-later
/* Module images: in-kernel decompression and the ELF checks the kernel does before allocating. */
#include "shim.h"

#include <elf.h>
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static const unsigned char gz_magic[] = {0x1f, 0x8b};
static const unsigned char xz_magic[] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const unsigned char zst_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

struct growbuf {
    unsigned char* p;
    size_t n, cap;
};

static int grow(struct growbuf* g, size_t need) {
    if (g->n + need <= g->cap) return 0;
    size_t cap = g->cap ? g->cap : 65536;
    while (cap < g->n + need) cap *= 2;
    unsigned char* np = realloc(g->p, cap);
    if (!np) return -1;
    g->p = np;
    g->cap = cap;
    return 0;
}

static int gunzip(const unsigned char* in, size_t n, struct growbuf* g) {
    z_stream s = {0};
    if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) return -1;
    s.next_in = (unsigned char*)in;
    s.avail_in = (uInt)n;
    int r;
    do {
        if (grow(g, 65536) < 0) break;
        s.next_out = g->p + g->n;
        s.avail_out = 65536;
        r = inflate(&s, Z_NO_FLUSH);
        g->n += 65536 - s.avail_out;
    } while (r == Z_OK);
    inflateEnd(&s);
    return r == Z_STREAM_END ? 0 : -1;
}

static int unxz(const unsigned char* in, size_t n, struct growbuf* g) {
    lzma_stream s = LZMA_STREAM_INIT;
    if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK) return -1;
    s.next_in = in;
    s.avail_in = n;
    lzma_ret r;
    do {
        if (grow(g, 65536) < 0) break;
        s.next_out = g->p + g->n;
        s.avail_out = 65536;
        r = lzma_code(&s, LZMA_FINISH);
        g->n += 65536 - s.avail_out;
    } while (r == LZMA_OK);
    lzma_end(&s);
    return r == LZMA_STREAM_END ? 0 : -1;
}

static int unzstd(const unsigned char* in, size_t n, struct growbuf* g) {
    ZSTD_DStream* s = ZSTD_createDStream();
    if (!s) return -1;
    ZSTD_initDStream(s);
    ZSTD_inBuffer ib = {in, n, 0};
    size_t r = 1;
    while (r != 0) {
        if (grow(g, 65536) < 0) break;
        ZSTD_outBuffer ob = {g->p + g->n, 65536, 0};
        r = ZSTD_decompressStream(s, &ob, &ib);
        g->n += ob.pos;
        if (ZSTD_isError(r) || (ib.pos == ib.size && ob.pos == 0 && r != 0)) break;
    }
    ZSTD_freeDStream(s);
    return r == 0 ? 0 : -1;
}

int sk_decompress(const char* fmt, const unsigned char* in, size_t n, unsigned char** out, size_t* outn) {
    struct growbuf g = {0};
    int r;
    if (!strcmp(fmt, "gzip") && n >= sizeof gz_magic && !memcmp(in, gz_magic, sizeof gz_magic)) r = gunzip(in, n, &g);
    else if (!strcmp(fmt, "xz") && n >= sizeof xz_magic && !memcmp(in, xz_magic, sizeof xz_magic)) r = unxz(in, n, &g);
    else if (!strcmp(fmt, "zstd") && n >= sizeof zst_magic && !memcmp(in, zst_magic, sizeof zst_magic))
        r = unzstd(in, n, &g);
    else r = -1;
    if (r < 0) {
        free(g.p);
        return EINVAL;
    }
    *out = g.p;
    *outn = g.n;
    return 0;
}

/* ---- ELF ---- */
static const Elf64_Shdr* section(const unsigned char* buf, size_t n, const char* want) {
    const Elf64_Ehdr* eh = (const void*)buf;
    const Elf64_Shdr* sh = (const void*)(buf + eh->e_shoff);
    const Elf64_Shdr* strs = &sh[eh->e_shstrndx];
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_name >= strs->sh_size) continue;
        const char* nm = (const char*)buf + strs->sh_offset + sh[i].sh_name;
        size_t room = strs->sh_size - sh[i].sh_name;
        if (strnlen(nm, room) == strlen(want) && !strcmp(nm, want) && sh[i].sh_type != SHT_NOBITS &&
            sh[i].sh_offset <= n && sh[i].sh_size <= n - sh[i].sh_offset)
            return &sh[i];
    }
    return NULL;
}

int sk_parse_elf(const unsigned char* buf, size_t n, struct sk_image* img) {
    memset(img, 0, sizeof *img);
    const Elf64_Ehdr* eh = (const void*)buf;
    if (n < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_type != ET_REL || eh->e_shentsize != sizeof(Elf64_Shdr))
        return ENOEXEC;
    if (eh->e_shoff > n || (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > n - eh->e_shoff || eh->e_shstrndx >= eh->e_shnum)
        return ENOEXEC;
    const Elf64_Shdr* strs = &((const Elf64_Shdr*)(buf + eh->e_shoff))[eh->e_shstrndx];
    if (strs->sh_offset > n || strs->sh_size > n - strs->sh_offset) return ENOEXEC;
    const Elf64_Shdr* mi = section(buf, n, ".modinfo");
    const Elf64_Shdr* tm = section(buf, n, ".gnu.linkonce.this_module");
    if (mi) {
        img->modinfo = malloc(mi->sh_size + 1);
        if (!img->modinfo) return ENOMEM;
        memcpy(img->modinfo, buf + mi->sh_offset, mi->sh_size);
        img->modinfo[mi->sh_size] = '\0';
        img->modinfo_len = mi->sh_size;
    }
    /* x86_64 struct module: name[56] at offset 24 */
    if (tm && tm->sh_size >= 24 + 56)
        snprintf(img->name, sizeof img->name, "%.*s", 56, (const char*)buf + tm->sh_offset + 24);
    if (!img->name[0]) {
        const char* nm = sk_modinfo_next(img, "name", NULL);
        if (nm) snprintf(img->name, sizeof img->name, "%s", nm);
    }
    if (!img->name[0]) { /* no name anywhere: the kernel says "No module found in object" */
        free(img->modinfo);
        img->modinfo = NULL;
        return ENOEXEC;
    }
    return 0;
}

const char* sk_modinfo_next(const struct sk_image* img, const char* key, const char* cur) {
    if (!img->modinfo) return NULL;
    const char* p = cur ? cur + strlen(cur) + 1 : img->modinfo;
    const char* end = img->modinfo + img->modinfo_len;
    size_t kl = strlen(key);
    while (p < end) {
        while (p < end && *p == '\0') p++;
        if (p >= end) break;
        if (!strncmp(p, key, kl) && p[kl] == '=') return p + kl + 1;
        p += strlen(p) + 1;
    }
    return NULL;
}
