/*
 * Compiled loops for pseudonymising identifiers (klantladder.siphash, klantladder.privacy).
 *
 * Optional: when this module is not built (no C compiler at install time), the same results come
 * from the NumPy implementations, only more slowly. The tests check that both agree.
 *
 *   siphash24(offsets, offset_bytes, data, k0, k1, out)
 *       SipHash-2-4 (Aumasson & Bernstein 2012) of every value of an Arrow string/binary array,
 *       given its offsets buffer (int32 or int64), its data buffer and the key as two
 *       little-endian 64-bit halves; writes one uint64 per value into ``out``.
 *   pseudonym_text(hashes, out)
 *       "p_" + 16 lower-case hex digits per uint64 hash, written back to back into ``out``
 *       (18 bytes per hash).
 *   factorize_u64(values, codes, uniques) -> int
 *       codes and distinct values of uint64 values in order of first appearance (as
 *       pandas.factorize); returns the number of distinct values.
 *   packed_counts(codes, arrays, bits, total)
 *       per code, the number of true rows of each boolean array (a tuple of uint8/bool buffers),
 *       packed: array ``i`` adds ``1 << (bits * i)`` to ``total[code]`` (int64).
 *   counting_order(codes, k, order)
 *       the stable order of int64 codes in [0, k) (a counting sort: rows by code, then in row
 *       order), written into ``order``.
 *
 * Every loop runs without the interpreter lock.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                  \
    do {                                                                          \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                 \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                    \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                    \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                 \
    } while (0)

static uint64_t load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static uint64_t siphash24_one(const uint8_t *in, size_t len, uint64_t k0, uint64_t k1) {
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const uint8_t *end = in + (len - (len % 8));
    uint64_t m;
    for (; in != end; in += 8) {
        m = load_le64(in);
        v3 ^= m;
        SIPROUND; SIPROUND;
        v0 ^= m;
    }
    uint64_t b = ((uint64_t)len) << 56;
    switch (len & 7) {
        case 7: b |= ((uint64_t)in[6]) << 48; /* fall through */
        case 6: b |= ((uint64_t)in[5]) << 40; /* fall through */
        case 5: b |= ((uint64_t)in[4]) << 32; /* fall through */
        case 4: b |= ((uint64_t)in[3]) << 24; /* fall through */
        case 3: b |= ((uint64_t)in[2]) << 16; /* fall through */
        case 2: b |= ((uint64_t)in[1]) << 8;  /* fall through */
        case 1: b |= ((uint64_t)in[0]); break;
        case 0: break;
    }
    v3 ^= b;
    SIPROUND; SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND; SIPROUND; SIPROUND; SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static PyObject *py_siphash24(PyObject *self, PyObject *args) {
    Py_buffer offsets, data, out;
    int width;
    unsigned long long k0, k1;
    if (!PyArg_ParseTuple(args, "y*iy*KKw*", &offsets, &width, &data, &k0, &k1, &out)) return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = out.len / 8;
    if ((width != 4 && width != 8) || offsets.len < (n + 1) * width) {
        PyErr_SetString(PyExc_ValueError, "offsets do not match the output");
        goto done;
    }
    const uint8_t *bytes = (const uint8_t *)data.buf;
    uint64_t *h = (uint64_t *)out.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    if (width == 4) {
        const int32_t *o = (const int32_t *)offsets.buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (o[i + 1] < o[i] || o[i + 1] > data.len) { bad = 1; break; }
            h[i] = siphash24_one(bytes + o[i], (size_t)(o[i + 1] - o[i]), k0, k1);
        }
    } else {
        const int64_t *o = (const int64_t *)offsets.buf;
        for (Py_ssize_t i = 0; i < n; i++) {
            if (o[i + 1] < o[i] || o[i + 1] > data.len) { bad = 1; break; }
            h[i] = siphash24_one(bytes + o[i], (size_t)(o[i + 1] - o[i]), k0, k1);
        }
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "offsets outside the data buffer");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&data);
    PyBuffer_Release(&out);
    return result;
}

static PyObject *py_pseudonym_text(PyObject *self, PyObject *args) {
    Py_buffer hashes, out;
    if (!PyArg_ParseTuple(args, "y*w*", &hashes, &out)) return NULL;
    Py_ssize_t n = hashes.len / 8;
    if (out.len < n * 18) {
        PyBuffer_Release(&hashes);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "output too small");
        return NULL;
    }
    static const char hex[] = "0123456789abcdef";
    const uint64_t *h = (const uint64_t *)hashes.buf;
    char *o = (char *)out.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t v = h[i];
        char *p = o + 18 * i;
        p[0] = 'p';
        p[1] = '_';
        for (int j = 17; j >= 2; j--) {
            p[j] = hex[v & 15];
            v >>= 4;
        }
    }
    Py_END_ALLOW_THREADS
    PyBuffer_Release(&hashes);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

/* Open addressing on a table that grows with the number of distinct values (kept at most half
 * full), so that it stays small enough for the processor's caches when values repeat a lot. A slot
 * holds a value and 1 + its code (0: empty), so a lookup touches one place in memory. */
typedef struct {
    uint64_t value;
    int64_t code; /* 1 + the code; 0: empty */
} slot_t;

static size_t slot_of(uint64_t x, size_t mask) {
    return (size_t)(((x ^ (x >> 29)) * 0xbf58476d1ce4e5b9ULL) >> 20) & mask;
}

static PyObject *py_factorize_u64(PyObject *self, PyObject *args) {
    Py_buffer values, codes, uniques;
    if (!PyArg_ParseTuple(args, "y*w*w*", &values, &codes, &uniques)) return NULL;
    Py_ssize_t n = values.len / 8;
    PyObject *result = NULL;
    if (codes.len < n * 8 || uniques.len < n * 8) {
        PyErr_SetString(PyExc_ValueError, "outputs too small");
        goto done;
    }
    size_t size = 1 << 12;
    slot_t *slots = (slot_t *)calloc(size, sizeof(slot_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const uint64_t *v = (const uint64_t *)values.buf;
    int64_t *c = (int64_t *)codes.buf;
    uint64_t *u = (uint64_t *)uniques.buf;
    int64_t count = 0;
    int nomem = 0;
    Py_BEGIN_ALLOW_THREADS
    size_t mask = size - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t x = v[i];
        size_t j = slot_of(x, mask);
        for (;;) {
            slot_t *s = &slots[j];
            if (s->code == 0) {
                s->value = x;
                s->code = count + 1;
                u[count] = x;
                c[i] = count++;
                break;
            }
            if (s->value == x) {
                c[i] = s->code - 1;
                break;
            }
            j = (j + 1) & mask;
        }
        if ((size_t)count * 2 > size) { /* grow: every distinct value into a table twice the size */
            size_t bigger = size * 2;
            slot_t *grown = (slot_t *)calloc(bigger, sizeof(slot_t));
            if (grown == NULL) { nomem = 1; break; }
            size_t m = bigger - 1;
            for (int64_t k = 0; k < count; k++) {
                size_t q = slot_of(u[k], m);
                while (grown[q].code != 0) q = (q + 1) & m;
                grown[q].value = u[k];
                grown[q].code = k + 1;
            }
            free(slots);
            slots = grown;
            size = bigger;
            mask = m;
        }
    }
    Py_END_ALLOW_THREADS
    free(slots);
    if (nomem) {
        PyErr_NoMemory();
        goto done;
    }
    result = PyLong_FromLongLong(count);
done:
    PyBuffer_Release(&values);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&uniques);
    return result;
}

static PyObject *py_counting_order(PyObject *self, PyObject *args) {
    Py_buffer codes, order;
    Py_ssize_t k;
    if (!PyArg_ParseTuple(args, "y*nw*", &codes, &k, &order)) return NULL;
    Py_ssize_t n = codes.len / 8;
    PyObject *result = NULL;
    int64_t *next = NULL;
    if (order.len < n * 8 || k < 0) {
        PyErr_SetString(PyExc_ValueError, "output too small");
        goto done;
    }
    next = (int64_t *)calloc((size_t)k + 1, sizeof(int64_t));
    if (next == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int64_t *c = (const int64_t *)codes.buf;
    int64_t *o = (int64_t *)order.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        if (c[i] < 0 || c[i] >= k) { bad = 1; break; }
        next[c[i] + 1]++;
    }
    if (!bad) {
        for (Py_ssize_t j = 1; j <= k; j++) next[j] += next[j - 1];
        for (Py_ssize_t i = 0; i < n; i++) o[next[c[i]]++] = i;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "a code outside [0, k)");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    free(next);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&order);
    return result;
}

static PyObject *py_packed_counts(PyObject *self, PyObject *args) {
    Py_buffer codes, total;
    PyObject *arrays;
    int bits;
    if (!PyArg_ParseTuple(args, "y*O!iw*", &codes, &PyTuple_Type, &arrays, &bits, &total)) return NULL;
    Py_ssize_t n = codes.len / 8, m = PyTuple_GET_SIZE(arrays), k = total.len / 8;
    PyObject *result = NULL;
    Py_buffer views[16];
    Py_ssize_t got = 0;
    if (m > 16 || bits < 1 || bits * m > 63) {
        PyErr_SetString(PyExc_ValueError, "at most 16 arrays, bits * arrays at most 63");
        goto done;
    }
    for (; got < m; got++) {
        if (PyObject_GetBuffer(PyTuple_GET_ITEM(arrays, got), &views[got], PyBUF_SIMPLE) < 0) goto done;
        if (views[got].len != n) {
            got++;
            PyErr_SetString(PyExc_ValueError, "every array needs one byte per row");
            goto done;
        }
    }
    const int64_t *c = (const int64_t *)codes.buf;
    int64_t *t = (int64_t *)total.buf;
    int bad = 0;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t w = 0;
        for (Py_ssize_t j = 0; j < m; j++)
            if (((const uint8_t *)views[j].buf)[i]) w += ((int64_t)1) << (bits * j);
        if (c[i] < 0 || c[i] >= k) { bad = 1; break; }
        t[c[i]] += w;
    }
    Py_END_ALLOW_THREADS
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "a code outside the totals");
        goto done;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (Py_ssize_t j = 0; j < got; j++) PyBuffer_Release(&views[j]);
    PyBuffer_Release(&codes);
    PyBuffer_Release(&total);
    return result;
}

static PyMethodDef methods[] = {
    {"siphash24", py_siphash24, METH_VARARGS, "SipHash-2-4 of every value of an Arrow string array."},
    {"pseudonym_text", py_pseudonym_text, METH_VARARGS, "'p_' + 16 hex digits per uint64 hash."},
    {"factorize_u64", py_factorize_u64, METH_VARARGS, "Codes and distinct values of uint64 values."},
    {"packed_counts", py_packed_counts, METH_VARARGS, "Per code, packed counts of true rows."},
    {"counting_order", py_counting_order, METH_VARARGS, "Stable order of int64 codes in [0, k)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_native", NULL, -1, methods};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
