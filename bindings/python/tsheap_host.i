/* tsheap_host.i - the Python host's typemaps for the generated tsheap.i.
 *
 * The generated interface names parameters by what the spec says of them;
 * this file says what each name means in Python:
 *   a tsheap_status result   None, or raises tsheap.Error("<function>: <strerror>")
 *   a void * result          the block, or raises tsheap.Error with tsheap_last_error()
 *   T **OUTPUT               returned: the state or the block
 *   tsheap_domain_stats *OUTPUT   returned as a dict
 *   T *TRANSFER              after a successful call the Python object holds NULL,
 *                            so freeing or ending it again cannot reach freed memory
 *   CALLBACK, CALLBACK_ARG   one Python callable, called as visitor(block, size);
 *                            a true result stops the visit, an exception stops it
 *                            and is raised
 * size_t arguments keep SWIG's checks: a negative number raises OverflowError,
 * a float or a string TypeError.
 */

%{
static PyObject *tsheap_py_error;   /* tsheap.Error, a subclass of RuntimeError */

static void tsheap_py_raise(const char *function, tsheap_status status)
{
  PyErr_Format(tsheap_py_error, "%s: %s", function, tsheap_strerror(status));
}

/* An output replaces the None of a status result; a second output makes a list.
 * Steals obj; NULL (an exception is set) when obj is NULL or the list fails. */
static PyObject *tsheap_py_output(PyObject *result, PyObject *obj)
{
  if (obj == NULL || result == NULL || result == Py_None) {
    Py_XDECREF(result);
    return obj;
  }
  if (!PyList_Check(result)) {
    PyObject *list = PyList_New(1);
    if (list == NULL) {
      Py_DECREF(result);
      Py_DECREF(obj);
      return NULL;
    }
    PyList_SET_ITEM(list, 0, result);
    result = list;
  }
  if (PyList_Append(result, obj) < 0) {
    Py_DECREF(result);
    result = NULL;
  }
  Py_DECREF(obj);
  return result;
}

/* The C visitor of state_visit: calls the Python callable that is its arg. */
static int tsheap_py_visit(void *block, size_t size, void *arg)
{
  PyObject *stop = PyObject_CallFunction((PyObject *)arg, "NK", SWIG_NewPointerObj(block, SWIGTYPE_p_void, 0),
                                         (unsigned long long)size);
  int truth;
  if (stop == NULL)
    return 1;   /* the wrapper raises the exception */
  truth = PyObject_IsTrue(stop);
  Py_DECREF(stop);
  return truth != 0;   /* -1 leaves an exception set, and stops too */
}
%}

%init %{
  tsheap_py_error = PyErr_NewException("tsheap.Error", PyExc_RuntimeError, NULL);
  if (tsheap_py_error == NULL)
    return NULL;
  Py_INCREF(tsheap_py_error);   /* one reference for the module to take, one for us */
  if (PyModule_AddObject(m, "Error", tsheap_py_error) < 0)
    return NULL;
%}

%pythoncode %{
Error = _tsheap.Error
%}

/* ---- results ---- */

%typemap(out) tsheap_status {
  if ($1 != TSHEAP_OK) {
    tsheap_py_raise("$symname", $1);
    SWIG_fail;
  }
  $result = SWIG_Py_Void();
}

/* last_error reports a status, it does not fail. */
%typemap(out) tsheap_status tsheap_last_error "$result = PyLong_FromLong((long)$1);"

/* Every void * result is an allocation: NULL means failure. */
%typemap(out) void * {
  if ($1 == NULL) {
    tsheap_py_raise("$symname", tsheap_last_error());
    SWIG_fail;
  }
  $result = SWIG_NewPointerObj($1, $descriptor(void *), 0);
}

/* ---- OUTPUT ---- */

%typemap(in, numinputs=0) SWIGTYPE **OUTPUT ($*1_ltype out = NULL) "$1 = &out;"
%typemap(argout) SWIGTYPE **OUTPUT {
  $result = tsheap_py_output($result, SWIG_NewPointerObj(out$argnum, $*descriptor, 0));
  if ($result == NULL)
    SWIG_fail;
}

%typemap(in, numinputs=0) tsheap_domain_stats *OUTPUT (tsheap_domain_stats stats) "$1 = &stats;"
%typemap(argout) tsheap_domain_stats *OUTPUT {
  $result = tsheap_py_output($result, Py_BuildValue("{s:K,s:K,s:K,s:K}",
      "live_blocks", (unsigned long long)stats$argnum.live_blocks,
      "live_bytes", (unsigned long long)stats$argnum.live_bytes,
      "allocations", (unsigned long long)stats$argnum.allocations,
      "threshold", (unsigned long long)stats$argnum.threshold));
  if ($result == NULL)
    SWIG_fail;
}

/* ---- TRANSFER ---- */

%typemap(argout) SWIGTYPE *TRANSFER "SWIG_ConvertPtr($input, NULL, 0, SWIG_POINTER_CLEAR);"

/* ---- CALLBACK ---- */

%typemap(in) (tsheap_visit_fn CALLBACK, void *CALLBACK_ARG) {
  if (!PyCallable_Check($input)) {
    PyErr_SetString(PyExc_TypeError, "$symname: the visitor must be callable");
    SWIG_fail;
  }
  $1 = tsheap_py_visit;
  $2 = $input;
}
%typemap(argout) (tsheap_visit_fn CALLBACK, void *CALLBACK_ARG) {
  if (PyErr_Occurred())
    SWIG_fail;
}
