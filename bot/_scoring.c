/* The hot loop of a search, in C: summing a question's postings into scores, choosing the k
 * best, and finding which of the question's terms each of them holds.
 *
 * Optional: bot/index.py does the same with numpy when this module was not built (no C
 * compiler), and tests check that the two agree to the last bit. Sums are added in question
 * order, as rank-bm25 adds its per-term scores, so the scores equal its `get_scores`.
 *
 * The arrays come through the buffer protocol (numpy arrays, array.array), so building this
 * needs only Python's headers, not numpy's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

#define MAX_TERMS 64 /* a term is one bit of a 64-bit mask */

typedef struct {
    double score;
    int32_t doc;
} Entry;

/* Whether a ranks below b: a lower score, or an equal score later in reading order. */
static int
worse(const Entry *a, const Entry *b)
{
    return a->score < b->score || (a->score == b->score && a->doc > b->doc);
}

/* A heap of the k best so far, the worst of them on top. */
static void
sift_down(Entry *heap, Py_ssize_t size, Py_ssize_t i)
{
    for (;;) {
        Py_ssize_t child = 2 * i + 1;
        if (child >= size)
            return;
        if (child + 1 < size && worse(&heap[child + 1], &heap[child]))
            child++;
        if (!worse(&heap[child], &heap[i]))
            return;
        Entry tmp = heap[i];
        heap[i] = heap[child];
        heap[child] = tmp;
        i = child;
    }
}

static void
sift_up(Entry *heap, Py_ssize_t i)
{
    while (i > 0) {
        Py_ssize_t parent = (i - 1) / 2;
        if (!worse(&heap[i], &heap[parent]))
            return;
        Entry tmp = heap[i];
        heap[i] = heap[parent];
        heap[parent] = tmp;
        i = parent;
    }
}

static int
get_buffer(PyObject *obj, Py_buffer *view, Py_ssize_t itemsize, int writable, const char *name)
{
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) < 0)
        return -1;
    if (view->itemsize != itemsize || view->ndim != 1) {
        PyErr_Format(PyExc_TypeError, "%s: expected a one-dimensional array of %zd-byte items",
                     name, itemsize);
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* Where sorted[lo:hi] holds doc, or -1. */
static Py_ssize_t
find(const int32_t *sorted, Py_ssize_t lo, Py_ssize_t hi, int32_t doc)
{
    Py_ssize_t stop = hi;
    while (lo < hi) {
        Py_ssize_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < doc)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < stop && sorted[lo] == doc ? lo : -1;
}

PyDoc_STRVAR(search_doc,
"search(indptr, indices, data, text_bits, fact_bits, rows, weights, tokens, k, scratch)\n"
"--\n\n"
"The k best passages for the terms `rows` (matrix rows, in question order) weighted by\n"
"`weights`, best first and equal scores in reading order: a list of (passage, score,\n"
"the `tokens` it holds, those its own text holds, its fact bits), the token sets frozensets.\n"
"`scratch` is one float64 per passage, all zero; it is left all zero.");

/* The frozenset of the tokens whose bits are set in mask, made once per mask and call. */
typedef struct {
    uint64_t mask;
    PyObject *set;
} Named;

static PyObject *
named(Named *cache, Py_ssize_t *cached, uint64_t mask, PyObject *tokens)
{
    for (Py_ssize_t i = 0; i < *cached; i++)
        if (cache[i].mask == mask) {
            Py_INCREF(cache[i].set);
            return cache[i].set;
        }
    PyObject *members = PyList_New(0);
    if (members == NULL)
        return NULL;
    for (Py_ssize_t t = 0; t < PySequence_Fast_GET_SIZE(tokens); t++)
        if ((mask >> t) & 1 && PyList_Append(members, PySequence_Fast_GET_ITEM(tokens, t)) < 0) {
            Py_DECREF(members);
            return NULL;
        }
    PyObject *set = PyFrozenSet_New(members);
    Py_DECREF(members);
    if (set == NULL)
        return NULL;
    cache[*cached].mask = mask;
    cache[*cached].set = set;
    (*cached)++;
    Py_INCREF(set);
    return set;
}

static PyObject *
search(PyObject *self, PyObject *args)
{
    PyObject *o_indptr, *o_indices, *o_data, *o_bits, *o_facts, *o_rows, *o_weights, *o_tokens;
    PyObject *o_scratch;
    Py_ssize_t k;
    (void)self;
    if (!PyArg_ParseTuple(args, "OOOOOOOOnO", &o_indptr, &o_indices, &o_data, &o_bits, &o_facts,
                          &o_rows, &o_weights, &o_tokens, &k, &o_scratch))
        return NULL;

    enum { INDPTR, INDICES, DATA, BITS, FACTS, SCRATCH, ARRAYS };
    static const struct {
        Py_ssize_t itemsize;
        int writable;
        const char *name;
    } expect[ARRAYS] = {{4, 0, "indptr"}, {4, 0, "indices"}, {8, 0, "data"},
                        {1, 0, "text_bits"}, {1, 0, "fact_bits"}, {8, 1, "scratch"}};
    PyObject *given[ARRAYS] = {o_indptr, o_indices, o_data, o_bits, o_facts, o_scratch};
    Py_buffer views[ARRAYS];
    int have = 0;
    PyObject *result = NULL, *tokens = NULL;
    Entry *heap = NULL;
    Named *cache = NULL;
    Py_ssize_t cached = 0;
    Py_ssize_t starts[MAX_TERMS], stops[MAX_TERMS];
    double weights[MAX_TERMS];

    for (; have < ARRAYS; have++)
        if (get_buffer(given[have], &views[have], expect[have].itemsize, expect[have].writable,
                       expect[have].name) < 0)
            goto done;
    const int32_t *indptr = views[INDPTR].buf, *indices = views[INDICES].buf;
    const double *data = views[DATA].buf;
    const uint8_t *bits = views[BITS].buf, *facts = views[FACTS].buf;
    double *scratch = views[SCRATCH].buf;
    Py_ssize_t n_rows = views[INDPTR].len / 4 - 1, nnz = views[INDICES].len / 4;
    Py_ssize_t n = views[SCRATCH].len / 8;
    if (n_rows < 0 || views[DATA].len / 8 != nnz || views[BITS].len * 8 < nnz
        || views[FACTS].len != n) {
        PyErr_SetString(PyExc_ValueError, "the index's arrays do not fit together");
        goto done;
    }

    PyObject *rows = PySequence_Fast(o_rows, "rows must be a sequence");
    if (rows == NULL)
        goto done;
    PyObject *ws = PySequence_Fast(o_weights, "weights must be a sequence");
    if (ws == NULL) {
        Py_DECREF(rows);
        goto done;
    }
    tokens = PySequence_Fast(o_tokens, "tokens must be a sequence");
    Py_ssize_t terms = PySequence_Fast_GET_SIZE(rows);
    if (tokens == NULL || terms > MAX_TERMS || PySequence_Fast_GET_SIZE(ws) != terms
        || PySequence_Fast_GET_SIZE(tokens) != terms) {
        if (tokens != NULL)
            PyErr_Format(PyExc_ValueError, "at most %d terms, each with a weight and a token",
                         MAX_TERMS);
        Py_DECREF(rows);
        Py_DECREF(ws);
        goto done;
    }
    for (Py_ssize_t t = 0; t < terms; t++) {
        Py_ssize_t row = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(rows, t));
        weights[t] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(ws, t));
        if (PyErr_Occurred())
            break;
        if (row < 0 || row >= n_rows) {
            PyErr_SetString(PyExc_IndexError, "a term's row is outside the index");
            break;
        }
        starts[t] = indptr[row];
        stops[t] = indptr[row + 1];
        if (starts[t] < 0 || starts[t] > stops[t] || stops[t] > nnz) {
            PyErr_SetString(PyExc_ValueError, "the index's row pointers are damaged");
            break;
        }
    }
    Py_DECREF(rows);
    Py_DECREF(ws);
    if (PyErr_Occurred())
        goto done;

    /* Sum in question order: term by term, as rank-bm25 does. A weight of 1 adds the stored
     * weight itself (x * 1.0 is x, but a compiler could fuse a product into the addition). */
    Py_ssize_t done_terms = 0, done_postings = 0;
    for (Py_ssize_t t = 0; t < terms; t++, done_terms++) {
        double w = weights[t];
        Py_ssize_t p = starts[t];
        if (w == 1.0) {
            for (; p < stops[t] && (uint32_t)indices[p] < (uint32_t)n; p++)
                scratch[indices[p]] += data[p];
        } else {
            for (; p < stops[t] && (uint32_t)indices[p] < (uint32_t)n; p++)
                scratch[indices[p]] += data[p] * w;
        }
        if (p < stops[t]) { /* a damaged index: never write outside the scratch */
            done_postings = p;
            PyErr_SetString(PyExc_ValueError, "a posting names a passage outside the index");
            goto clear;
        }
    }

    /* Each touched passage once: its score is read, then cleared, so later postings of it
     * find 0 and the scratch is left as it came. Scores are positive: 0 is never one. */
    if (k < 0)
        k = 0;
    if (k > n) /* never more than there are passages, whatever k was asked */
        k = n;
    heap = PyMem_Malloc(sizeof(Entry) * (size_t)(k > 0 ? k : 1));
    if (heap == NULL) {
        PyErr_NoMemory();
        done_postings = 0;
        goto clear;
    }
    Py_ssize_t size = 0;
    for (Py_ssize_t t = 0; t < terms; t++) {
        for (Py_ssize_t p = starts[t]; p < stops[t]; p++) {
            int32_t doc = indices[p];
            double score = scratch[doc];
            if (score == 0.0)
                continue;
            scratch[doc] = 0.0;
            Entry e = {score, doc};
            if (size < k) {
                heap[size] = e;
                sift_up(heap, size++);
            } else if (k > 0 && worse(&heap[0], &e)) {
                heap[0] = e;
                sift_down(heap, size, 0);
            }
        }
    }

    /* Best first: pop the worst to the back. */
    for (Py_ssize_t end = size - 1; end > 0; end--) {
        Entry tmp = heap[0];
        heap[0] = heap[end];
        heap[end] = tmp;
        sift_down(heap, end, 0);
    }

    cache = PyMem_Malloc(sizeof(Named) * (size_t)(2 * size + 1));
    result = cache ? PyList_New(size) : PyErr_NoMemory();
    for (Py_ssize_t i = 0; result != NULL && i < size; i++) {
        uint64_t found = 0, text = 0;
        for (Py_ssize_t t = 0; t < terms; t++) {
            Py_ssize_t at = find(indices, starts[t], stops[t], heap[i].doc);
            if (at < 0)
                continue;
            found |= (uint64_t)1 << t;
            if ((bits[at >> 3] >> (7 - (at & 7))) & 1)
                text |= (uint64_t)1 << t;
        }
        PyObject *held = named(cache, &cached, found, tokens);
        PyObject *own = held ? named(cache, &cached, text, tokens) : NULL;
        PyObject *hit = own ? Py_BuildValue("(idOOi)", heap[i].doc, heap[i].score, held, own,
                                            (int)facts[heap[i].doc]) : NULL;
        Py_XDECREF(held);
        Py_XDECREF(own);
        if (hit == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, hit);
    }
    goto done;

clear:
    /* Leave the scratch all zero, as it came, up to where the sums stopped. */
    for (Py_ssize_t t = 0; t <= done_terms && t < terms; t++) {
        Py_ssize_t stop = t < done_terms ? stops[t] : done_postings;
        for (Py_ssize_t p = starts[t]; p < stop; p++)
            if ((uint32_t)indices[p] < (uint32_t)n)
                scratch[indices[p]] = 0.0;
    }
done:
    PyMem_Free(heap);
    for (Py_ssize_t i = 0; i < cached; i++)
        Py_DECREF(cache[i].set);
    PyMem_Free(cache);
    Py_XDECREF(tokens);
    while (have > 0)
        PyBuffer_Release(&views[--have]);
    return result;
}

static PyMethodDef methods[] = {
    {"search", search, METH_VARARGS, search_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_scoring",
    "The hot loop of a search in C; bot/index.py falls back to numpy without it.", -1, methods,
};

PyMODINIT_FUNC
PyInit__scoring(void)
{
    PyObject *m = PyModule_Create(&module);
    /* bot/index.py uses this loop only when it was built from the source it expects: raise
     * this with every change of search()'s arguments or results. */
    if (m != NULL && PyModule_AddIntConstant(m, "VERSION", 1) < 0)
        Py_CLEAR(m);
    return m;
}
