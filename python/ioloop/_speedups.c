/* _speedups.c: the hot paths of ioloop.EventLoop in C
 *
 * Copyright 2026 The ioloop authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * LoopCore is the first base of ioloop.EventLoop (python/ioloop/_events.py),
 * before the pure-Python implementation it speeds up.  It keeps the loop's
 * hot attributes in C slots (asyncio's BaseEventLoop sets them as usual,
 * through the member descriptors) and gives C versions of call_soon(),
 * call_later(), call_at(), the drain of the ready queue and the runs of due
 * timers and of ready file descriptors.  The objects made are asyncio's own
 * Handle and TimerHandle, built without their __init__ as the Python code
 * builds them outside debug mode; in debug mode every method calls the
 * Python implementation, which checks threads and records tracebacks.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#include <errno.h>
#include <time.h>

#include <ioloop/ioloop.h>

/* The loop's attributes kept in C slots, each with its Python name. */
#define LOOP_CORE_SLOTS(X) \
  X (ready, "_ready") \
  X (closed, "_closed") \
  X (debug, "_debug") \
  X (stopping, "_stopping") \
  X (drain_scheduled, "_drain_scheduled") \
  X (wake, "_wake") \
  X (thread_id, "_thread_id") \
  X (io_loop, "_io_loop") \
  X (timer_heap, "_timer_heap") \
  X (timer_when, "_timer_when") \
  X (timer_io, "_timer_io")

#define DECLARE_SLOT(field, name) PyObject *field;

typedef struct
{
  PyObject_HEAD
  LOOP_CORE_SLOTS (DECLARE_SLOT)
  /* Cancelled timers still in the heap: a C integer, since every cancel
   * and every pop of a cancelled timer counts. */
  Py_ssize_t timer_cancelled_count;
} LoopCore;

/* What _setup() was given and found: asyncio's classes and the offsets of
 * their slots, the Python implementations for debug mode. */
static PyTypeObject *handle_type;
static PyTypeObject *timer_handle_type;
static PyObject *handle_run;            /* Handle._run, to see it patched */
static PyObject *report_exception;      /* _report_handle_exception(h, exc) */
static PyObject *seq_counter;           /* the itertools.count of the heap */
static PyObject *py_call_soon, *py_call_soon_private, *py_call_later,
  *py_call_at, *py_run_ready, *py_run_handles;
static PyObject *get_running_loop, *set_running_loop;
static PyObject *heappush, *heappop;
static PyTypeObject *deque_type;
static PyObject *deque_append, *deque_popleft;
static PyObject *str_run, *str_scheduled;
static PyObject *py_timer_handle_cancelled;
/* asyncio's rule for purging cancelled timers from the heap. */
static Py_ssize_t min_cancelled_timers;
static double max_cancelled_fraction;

static Py_ssize_t off_callback, off_args, off_cancelled, off_loop,
  off_source_traceback, off_repr, off_context, off_when, off_scheduled;

#define SLOT(obj, off) (*(PyObject **) ((char *) (obj) + (off)))

static int
is_setup (void)
{
  if (handle_type == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError,
                       "ioloop._speedups._setup() has not been called");
      return 0;
    }
  return 1;
}

/* A member of LoopCore, or AttributeError as for an unset attribute. */
static PyObject *
member (LoopCore *self, PyObject *value, const char *name)
{
  if (value == NULL)
    PyErr_Format (PyExc_AttributeError,
                  "'%.100s' object has no attribute '%s'",
                  Py_TYPE (self)->tp_name, name);
  return value;
}

#define MEMBER(self, field, name) member ((self), (self)->field, (name))

static int
truth (PyObject *value)
{
  if (value == Py_True)
    return 1;
  if (value == Py_False || value == Py_None)
    return 0;
  return PyObject_IsTrue (value);
}

static void
set_member (PyObject **field, PyObject *value)
{
  Py_XSETREF (*field, Py_NewRef (value));
}

/* ---- calling the Python implementation (debug mode) ------------------- */

static PyObject *
call_python (PyObject *func, PyObject *self, PyObject *const *args,
             Py_ssize_t nargs, PyObject *kwnames)
{
  PyObject *small[8];
  PyObject **stack = small;
  Py_ssize_t nkw = kwnames ? PyTuple_GET_SIZE (kwnames) : 0;
  Py_ssize_t total = 1 + nargs + nkw;
  PyObject *result;

  if (total > (Py_ssize_t) (sizeof (small) / sizeof (small[0])))
    {
      stack = PyMem_Malloc (total * sizeof (PyObject *));
      if (stack == NULL)
        return PyErr_NoMemory ();
    }
  stack[0] = self;
  memcpy (stack + 1, args, (nargs + nkw) * sizeof (PyObject *));
  result = PyObject_Vectorcall (func, stack, 1 + nargs, kwnames);
  if (stack != small)
    PyMem_Free (stack);
  return result;
}

/* ---- arguments ------------------------------------------------------- */

/* The keyword-only context= of call_soon()/call_later()/call_at(). */
static int
parse_context (const char *method, PyObject *const *kwargs,
               PyObject *kwnames, PyObject **context)
{
  Py_ssize_t i, n;

  *context = Py_None;
  if (kwnames == NULL)
    return 0;
  n = PyTuple_GET_SIZE (kwnames);
  for (i = 0; i < n; i++)
    {
      PyObject *name = PyTuple_GET_ITEM (kwnames, i);
      if (!PyUnicode_Check (name)
          || PyUnicode_CompareWithASCIIString (name, "context") != 0)
        {
          PyErr_Format (PyExc_TypeError,
                        "%s() got an unexpected keyword argument '%S'",
                        method, name);
          return -1;
        }
      *context = kwargs[i];
    }
  return 0;
}

static PyObject *
new_tuple (PyObject *const *items, Py_ssize_t n)
{
  PyObject *tuple = PyTuple_New (n);
  Py_ssize_t i;

  if (tuple == NULL)
    return NULL;
  for (i = 0; i < n; i++)
    PyTuple_SET_ITEM (tuple, i, Py_NewRef (items[i]));
  return tuple;
}

/* ---- handles ---------------------------------------------------------- */

/* A Handle (or TimerHandle) with the slots Handle.__init__ sets outside
 * debug mode; steals args. */
static PyObject *
new_handle (PyTypeObject *type, PyObject *callback, PyObject *args,
            PyObject *loop, PyObject *context)
{
  PyObject *handle;

  if (args == NULL)
    return NULL;
  if (context == Py_None)
    {
      context = PyContext_CopyCurrent ();
      if (context == NULL)
        {
          Py_DECREF (args);
          return NULL;
        }
    }
  else
    Py_INCREF (context);
  handle = type->tp_alloc (type, 0);
  if (handle == NULL)
    {
      Py_DECREF (args);
      Py_DECREF (context);
      return NULL;
    }
  SLOT (handle, off_callback) = Py_NewRef (callback);
  SLOT (handle, off_args) = args;
  SLOT (handle, off_cancelled) = Py_NewRef (Py_False);
  SLOT (handle, off_loop) = Py_NewRef (loop);
  SLOT (handle, off_source_traceback) = Py_NewRef (Py_None);
  SLOT (handle, off_repr) = Py_NewRef (Py_None);
  SLOT (handle, off_context) = context;
  return handle;
}

static int
is_stock_handle (PyObject *handle)
{
  return Py_IS_TYPE (handle, handle_type)
         || Py_IS_TYPE (handle, timer_handle_type);
}

/* handle._cancelled as a truth value, -1 on error. */
static int
handle_cancelled (PyObject *handle)
{
  PyObject *value;
  int result;

  if (is_stock_handle (handle) && SLOT (handle, off_cancelled) != NULL)
    return truth (SLOT (handle, off_cancelled));
  value = PyObject_GetAttrString (handle, "_cancelled");
  if (value == NULL)
    return -1;
  result = PyObject_IsTrue (value);
  Py_DECREF (value);
  return result;
}

/* Call func (handle, exc), or func () when handle is NULL, where exc is the
 * exception set now, made the exception being handled as in an except
 * clause (what func reads from sys.exc_info()).  0 if func returned. */
static int
call_in_except (PyObject *func, PyObject *handle)
{
  PyObject *type, *value, *tb, *previous, *result;

  PyErr_Fetch (&type, &value, &tb);
  PyErr_NormalizeException (&type, &value, &tb);
  if (tb != NULL)
    PyException_SetTraceback (value, tb);
  previous = PyErr_GetHandledException ();
  PyErr_SetHandledException (value);
  if (handle != NULL)
    result = PyObject_CallFunctionObjArgs (func, handle, value, NULL);
  else
    result = PyObject_CallNoArgs (func);
  PyErr_SetHandledException (previous);
  Py_XDECREF (previous);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (tb);
  if (result == NULL)
    return -1;
  Py_DECREF (result);
  return 0;
}

/* Handle._run's except clause: the report of the exception set now. */
static int
report (PyObject *handle)
{
  return call_in_except (report_exception, handle);
}

/* What handle._run() does for asyncio's own handles, without its frame:
 * 0, or -1 with KeyboardInterrupt/SystemExit (or what the report raised)
 * set. */
static int
run_handle (PyObject *handle)
{
  PyObject *context, *callback, *args, *result;

  if (!is_stock_handle (handle)
      || _PyType_Lookup (handle_type, str_run) != handle_run)
    {
      result = PyObject_CallMethod (handle, "_run", NULL);
      if (result == NULL)
        return -1;
      Py_DECREF (result);
      return 0;
    }
  context = SLOT (handle, off_context);
  callback = SLOT (handle, off_callback);
  args = SLOT (handle, off_args);
  if (context != NULL && callback != NULL && args != NULL
      && PyContext_CheckExact (context) && PyTuple_CheckExact (args))
    {
      /* Held: the callback may clear the handle's slots. */
      Py_INCREF (context);
      Py_INCREF (callback);
      Py_INCREF (args);
      if (PyContext_Enter (context) < 0)
        result = NULL;
      else
        {
          result = PyObject_Vectorcall (callback, &PyTuple_GET_ITEM (args, 0),
                                        PyTuple_GET_SIZE (args), NULL);
          if (PyContext_Exit (context) < 0)
            Py_CLEAR (result);
        }
      Py_DECREF (context);
      Py_DECREF (callback);
      Py_DECREF (args);
    }
  else
    {
      /* Anything else as Handle._run takes it:
       * self._context.run(self._callback, *self._args). */
      PyObject *run = NULL, *call_args = NULL, *tuple = NULL, *head = NULL;

      result = NULL;
      context = PyObject_GetAttrString (handle, "_context");
      callback = context ? PyObject_GetAttrString (handle, "_callback") : NULL;
      args = callback ? PyObject_GetAttrString (handle, "_args") : NULL;
      if (args != NULL)
        run = PyObject_GetAttrString (context, "run");
      if (run != NULL)
        tuple = PySequence_Tuple (args);
      if (tuple != NULL)
        head = PyTuple_Pack (1, callback);
      if (head != NULL)
        call_args = PySequence_Concat (head, tuple);
      if (call_args != NULL)
        result = PyObject_Call (run, call_args, NULL);
      Py_XDECREF (context);
      Py_XDECREF (callback);
      Py_XDECREF (args);
      Py_XDECREF (run);
      Py_XDECREF (tuple);
      Py_XDECREF (head);
      Py_XDECREF (call_args);
    }
  if (result != NULL)
    {
      Py_DECREF (result);
      return 0;
    }
  if (PyErr_ExceptionMatches (PyExc_KeyboardInterrupt)
      || PyErr_ExceptionMatches (PyExc_SystemExit))
    return -1;
  return report (handle);
}

/* ---- the loop's helpers ---------------------------------------------- */

static int
check_open (LoopCore *self)
{
  int closed;

  if (MEMBER (self, closed, "_closed") == NULL)
    return -1;
  closed = truth (self->closed);
  if (closed < 0)
    return -1;
  if (closed)
    {
      PyErr_SetString (PyExc_RuntimeError, "Event loop is closed");
      return -1;
    }
  return 0;
}

/* -1 on error, else self._debug's truth. */
static int
debug_mode (LoopCore *self)
{
  if (MEMBER (self, debug, "_debug") == NULL)
    return -1;
  return truth (self->debug);
}

static int
ready_append (LoopCore *self, PyObject *handle)
{
  PyObject *ready = MEMBER (self, ready, "_ready");
  PyObject *result;

  if (ready == NULL)
    return -1;
  if (Py_IS_TYPE (ready, deque_type))
    {
      PyObject *stack[2] = { ready, handle };
      result = PyObject_Vectorcall (deque_append, stack, 2, NULL);
    }
  else
    result = PyObject_CallMethod (ready, "append", "O", handle);
  if (result == NULL)
    return -1;
  Py_DECREF (result);
  return 0;
}

static int
schedule_drain (LoopCore *self)
{
  PyObject *result;
  int scheduled;

  if (MEMBER (self, drain_scheduled, "_drain_scheduled") == NULL)
    return -1;
  scheduled = truth (self->drain_scheduled);
  if (scheduled)
    return scheduled < 0 ? -1 : 0;
  set_member (&self->drain_scheduled, Py_True);
  if (MEMBER (self, wake, "_wake") == NULL)
    return -1;
  result = PyObject_CallNoArgs (self->wake);
  if (result == NULL)
    return -1;
  Py_DECREF (result);
  return 0;
}

/* The running loop set while the Io.Loop runs handles outside
 * run_forever(): *previous gets the loop to put back, NULL if none. */
static int
enter_running (LoopCore *self, PyObject **previous)
{
  PyObject *running;

  *previous = NULL;
  if (MEMBER (self, thread_id, "_thread_id") == NULL)
    return -1;
  if (self->thread_id != Py_None)
    return 0;
  running = PyObject_CallNoArgs (get_running_loop);
  if (running == NULL)
    return -1;
  if (running == (PyObject *) self)
    {
      Py_DECREF (running);
      return 0;
    }
  PyObject *result = PyObject_CallOneArg (set_running_loop, (PyObject *) self);
  if (result == NULL)
    {
      Py_DECREF (running);
      return -1;
    }
  Py_DECREF (result);
  *previous = running;
  return 0;
}

/* Put the previous running loop back, keeping any exception set. */
static int
leave_running (PyObject *previous)
{
  PyObject *type, *value, *tb, *result;

  if (previous == NULL)
    return 0;
  PyErr_Fetch (&type, &value, &tb);
  result = PyObject_CallOneArg (set_running_loop, previous);
  Py_DECREF (previous);
  if (result == NULL)
    {
      Py_XDECREF (type);
      Py_XDECREF (value);
      Py_XDECREF (tb);
      return -1;
    }
  Py_DECREF (result);
  PyErr_Restore (type, value, tb);
  return type != NULL ? -1 : 0;
}

/* The except clause of _run_ready/_run_handles: hand the exception set
 * (KeyboardInterrupt, SystemExit, or anything unexpected) to
 * io_loop.start() through self._io_loop._keep_exception(), which reads it
 * from sys.exc_info().  0 if it was kept. */
static int
keep_exception (LoopCore *self)
{
  PyObject *type, *value, *tb, *keep = NULL;
  int result;

  /* No lookup with the exception set: it could replace it. */
  PyErr_Fetch (&type, &value, &tb);
  if (MEMBER (self, io_loop, "_io_loop") != NULL)
    keep = PyObject_GetAttrString (self->io_loop, "_keep_exception");
  if (keep == NULL)
    {
      Py_XDECREF (type);
      Py_XDECREF (value);
      Py_XDECREF (tb);
      return -1;
    }
  PyErr_Restore (type, value, tb);
  result = call_in_except (keep, NULL);
  Py_DECREF (keep);
  return result;
}

/* A truth value of a method's result, -1 on error. */
static int
call_truth (PyObject *obj, const char *method)
{
  PyObject *result = PyObject_CallMethod (obj, method, NULL);
  int value;

  if (result == NULL)
    return -1;
  value = PyObject_IsTrue (result);
  Py_DECREF (result);
  return value;
}

/* ---- LoopCore's methods --------------------------------------------- */

PyDoc_STRVAR (call_soon_doc,
"call_soon(callback, *args, context=None)\n--\n\n"
"Arrange for ``callback(*args)`` to be called on the next iteration, in\n"
"the order of the calls; returns an :class:`asyncio.Handle`.");

static PyObject *
core_call_soon (LoopCore *self, PyObject *const *args, Py_ssize_t nargs,
                PyObject *kwnames)
{
  PyObject *context, *handle;
  int debug;

  if (!is_setup ())
    return NULL;
  if (parse_context ("call_soon", args + nargs, kwnames, &context) < 0)
    return NULL;
  if (nargs < 1)
    {
      PyErr_SetString (PyExc_TypeError,
                       "call_soon() missing 1 required positional argument: 'callback'");
      return NULL;
    }
  if (check_open (self) < 0 || (debug = debug_mode (self)) < 0)
    return NULL;
  if (debug)
    return call_python (py_call_soon, (PyObject *) self, args, nargs, kwnames);
  handle = new_handle (handle_type, args[0], new_tuple (args + 1, nargs - 1),
                       (PyObject *) self, context);
  if (handle == NULL)
    return NULL;
  if (ready_append (self, handle) < 0 || schedule_drain (self) < 0)
    {
      Py_DECREF (handle);
      return NULL;
    }
  return handle;
}

static PyObject *
core_call_soon_private (LoopCore *self, PyObject *const *args, Py_ssize_t nargs)
{
  PyObject *handle;
  int debug;

  if (!is_setup ())
    return NULL;
  if (nargs != 3)
    {
      PyErr_Format (PyExc_TypeError,
                    "_call_soon() takes 3 arguments (%zd given)", nargs);
      return NULL;
    }
  if ((debug = debug_mode (self)) < 0)
    return NULL;
  if (debug)
    return call_python (py_call_soon_private, (PyObject *) self, args, nargs, NULL);
  handle = new_handle (handle_type, args[0], Py_NewRef (args[1]),
                       (PyObject *) self, args[2]);
  if (handle == NULL)
    return NULL;
  if (ready_append (self, handle) < 0 || schedule_drain (self) < 0)
    {
      Py_DECREF (handle);
      return NULL;
    }
  return handle;
}

PyDoc_STRVAR (run_ready_doc,
"_run_ready()\n--\n\n"
"The function of the Io.Async: run the handles that are ready.");

static PyObject *
core_run_ready (LoopCore *self, PyObject *unused)
{
  PyObject *ready, *previous;
  Py_ssize_t ntodo, i;
  int debug, failed = 0, stopping;

  if (!is_setup ())
    return NULL;
  if ((debug = debug_mode (self)) < 0)
    return NULL;
  if (debug)
    return PyObject_CallOneArg (py_run_ready, (PyObject *) self);
  /* Cleared before counting: a handle added from now on (by the handles run
   * below or by another thread) sends the Io.Async again for the next
   * iteration. */
  set_member (&self->drain_scheduled, Py_False);
  if ((ready = MEMBER (self, ready, "_ready")) == NULL)
    return NULL;
  Py_INCREF (ready);
  ntodo = PyObject_Size (ready);
  if (ntodo < 0 || enter_running (self, &previous) < 0)
    {
      Py_DECREF (ready);
      return NULL;
    }
  for (i = 0; i < ntodo; i++)
    {
      PyObject *handle;
      int cancelled;

      if (Py_IS_TYPE (ready, deque_type))
        handle = PyObject_Vectorcall (deque_popleft, &ready, 1, NULL);
      else
        handle = PyObject_CallMethod (ready, "popleft", NULL);
      if (handle == NULL)
        {
          failed = 1;
          break;
        }
      cancelled = handle_cancelled (handle);
      if (cancelled == 0)
        cancelled = run_handle (handle);
      else if (cancelled > 0)
        cancelled = 0;
      Py_DECREF (handle);
      if (cancelled < 0)
        {
          failed = 1;
          break;
        }
    }
  if (failed)
    {
      /* KeyboardInterrupt or SystemExit (the handles report the rest):
       * io_loop.start() raises it after stopping. */
      int left = PyObject_IsTrue (ready);
      if (left > 0)
        {
          PyObject *type, *value, *tb, *result;
          PyErr_Fetch (&type, &value, &tb);
          result = PyObject_CallMethod ((PyObject *) self, "_schedule_drain", NULL);
          if (result == NULL)
            {
              Py_XDECREF (type);
              Py_XDECREF (value);
              Py_XDECREF (tb);
            }
          else
            {
              Py_DECREF (result);
              PyErr_Restore (type, value, tb);
            }
        }
      else if (left < 0)
        PyErr_Clear ();
      failed = keep_exception (self) < 0;
    }
  Py_DECREF (ready);
  if (leave_running (previous) < 0 || failed)
    return NULL;
  if (MEMBER (self, stopping, "_stopping") == NULL
      || (stopping = truth (self->stopping)) < 0)
    return NULL;
  if (stopping)
    {
      int running;

      /* Not when GLib or io_loop.iteration() drives: stopping a loop that
       * does not run would make its next start() return at once. */
      if (MEMBER (self, io_loop, "_io_loop") == NULL
          || (running = call_truth (self->io_loop, "is_running")) < 0)
        return NULL;
      if (running && call_truth (self->io_loop, "stop") < 0)
        return NULL;
      if (MEMBER (self, thread_id, "_thread_id") == NULL)
        return NULL;
      if (self->thread_id == Py_None)
        set_member (&self->stopping, Py_False);
    }
  Py_RETURN_NONE;
}

/* _run_handles() outside debug mode; borrows handles. */
static int
run_handles (LoopCore *self, PyObject *handles)
{
  PyObject *seq, *previous;
  Py_ssize_t n, i;
  int failed = 0;

  seq = PySequence_Fast (handles, "handles must be a sequence");
  if (seq == NULL)
    return -1;
  if (enter_running (self, &previous) < 0)
    {
      Py_DECREF (seq);
      return -1;
    }
  n = PySequence_Fast_GET_SIZE (seq);
  for (i = 0; i < n; i++)
    {
      PyObject *handle = Py_NewRef (PySequence_Fast_GET_ITEM (seq, i));
      int cancelled = handle_cancelled (handle);

      if (cancelled == 0)
        cancelled = run_handle (handle);
      else if (cancelled > 0)
        cancelled = 0;
      Py_DECREF (handle);
      if (cancelled < 0)
        {
          failed = 1;
          break;
        }
      /* A handle may have changed the list. */
      n = PySequence_Fast_GET_SIZE (seq);
    }
  if (failed)
    {
      PyObject *type, *value, *tb;

      PyErr_Fetch (&type, &value, &tb);
      if (i + 1 < PySequence_Fast_GET_SIZE (seq))
        {
          /* The handles not run yet go first in the ready queue. */
          PyObject *rest = PyList_GetSlice (seq, i + 1, PY_SSIZE_T_MAX), *r;
          int ok = 0;

          if (!PyList_CheckExact (seq))
            {
              Py_XDECREF (rest);
              rest = PyTuple_GetSlice (seq, i + 1, PY_SSIZE_T_MAX);
              if (rest != NULL)
                Py_SETREF (rest, PySequence_List (rest));
            }
          if (rest != NULL && PyList_Reverse (rest) == 0
              && MEMBER (self, ready, "_ready") != NULL)
            {
              r = PyObject_CallMethod (self->ready, "extendleft", "O", rest);
              if (r != NULL)
                {
                  Py_DECREF (r);
                  r = PyObject_CallMethod ((PyObject *) self, "_schedule_drain", NULL);
                  if (r != NULL)
                    {
                      Py_DECREF (r);
                      ok = 1;
                    }
                }
            }
          Py_XDECREF (rest);
          if (!ok)
            {
              Py_XDECREF (type);
              Py_XDECREF (value);
              Py_XDECREF (tb);
              type = value = tb = NULL;
            }
        }
      if (type != NULL)
        {
          PyErr_Restore (type, value, tb);
          failed = keep_exception (self) < 0;
        }
    }
  Py_DECREF (seq);
  if (leave_running (previous) < 0 || failed)
    return -1;
  return 0;
}

PyDoc_STRVAR (run_handles_doc,
"_run_handles(handles)\n--\n\n"
"Run the handles of ``handles`` that are not cancelled, for the Io.Loop.");

static PyObject *
core_run_handles (LoopCore *self, PyObject *handles)
{
  int debug;

  if (!is_setup () || (debug = debug_mode (self)) < 0)
    return NULL;
  if (debug)
    return PyObject_CallFunctionObjArgs (py_run_handles, self, handles, NULL);
  if (run_handles (self, handles) < 0)
    return NULL;
  Py_RETURN_NONE;
}

/* ---- timers ----------------------------------------------------------- */

/* time.monotonic(), computed as it does it. */
static double
monotonic (void)
{
  struct timespec ts;
  long long ns;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  ns = (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
  if (ns % 1000000000LL == 0)
    return (double) (ns / 1000000000LL);
  return (double) ns / 1e9;
}

/* The entries of the timer heap are (when, seq, TimerHandle) tuples, as
 * the Python implementation makes them, of a tuple subtype that compares
 * float deadlines as C doubles: heapq compares entries some twenty times
 * per push and pop, and tuple's own comparison costs two rich comparisons
 * a time. */
static PyObject *
entry_richcompare (PyObject *a, PyObject *b, int op)
{
  if (op == Py_LT && PyTuple_Check (b) && PyTuple_GET_SIZE (a) == 3
      && PyTuple_GET_SIZE (b) == 3)
    {
      PyObject *wa = PyTuple_GET_ITEM (a, 0), *wb = PyTuple_GET_ITEM (b, 0);

      if (PyFloat_CheckExact (wa) && PyFloat_CheckExact (wb))
        {
          double da = PyFloat_AS_DOUBLE (wa), db = PyFloat_AS_DOUBLE (wb);

          if (da < db)
            Py_RETURN_TRUE;
          if (da > db)
            Py_RETURN_FALSE;
          if (da == db)
            return PyObject_RichCompare (PyTuple_GET_ITEM (a, 1),
                                         PyTuple_GET_ITEM (b, 1), Py_LT);
        }
    }
  return PyTuple_Type.tp_richcompare (a, b, op);
}

static PyTypeObject TimerEntry_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "ioloop._speedups.TimerEntry",
  .tp_flags = Py_TPFLAGS_DEFAULT,
  .tp_doc = "An entry (when, seq, TimerHandle) of the timer heap.",
  .tp_richcompare = entry_richcompare,
  .tp_base = &PyTuple_Type,
};

static PyObject *
new_entry (PyObject *when, PyObject *seq, PyObject *timer)
{
  PyObject *entry = TimerEntry_Type.tp_alloc (&TimerEntry_Type, 3);

  if (entry == NULL)
    return NULL;
  PyTuple_SET_ITEM (entry, 0, Py_NewRef (when));
  PyTuple_SET_ITEM (entry, 1, Py_NewRef (seq));
  PyTuple_SET_ITEM (entry, 2, Py_NewRef (timer));
  return entry;
}

/* a < b for loop times, -1 on error. */
static int
time_less (PyObject *a, PyObject *b)
{
  if (PyFloat_CheckExact (a) && PyFloat_CheckExact (b))
    return PyFloat_AS_DOUBLE (a) < PyFloat_AS_DOUBLE (b);
  return PyObject_RichCompareBool (a, b, Py_LT);
}

static PyObject *
add_timer (LoopCore *self, PyObject *when, PyObject *const *args,
           Py_ssize_t nargs, PyObject *context)
{
  PyObject *timer, *seq, *entry, *result, *stack[2];
  int earlier;

  if (check_open (self) < 0)
    return NULL;
  timer = new_handle (timer_handle_type, args[0], new_tuple (args + 1, nargs - 1),
                      (PyObject *) self, context);
  if (timer == NULL)
    return NULL;
  SLOT (timer, off_when) = Py_NewRef (when);
  SLOT (timer, off_scheduled) = Py_NewRef (Py_False);
  seq = Py_TYPE (seq_counter)->tp_iternext (seq_counter);
  if (seq == NULL)
    goto error;
  entry = new_entry (when, seq, timer);
  Py_DECREF (seq);
  if (entry == NULL || MEMBER (self, timer_heap, "_timer_heap") == NULL)
    {
      Py_XDECREF (entry);
      goto error;
    }
  stack[0] = self->timer_heap;
  stack[1] = entry;
  result = PyObject_Vectorcall (heappush, stack, 2, NULL);
  Py_DECREF (entry);
  if (result == NULL)
    goto error;
  Py_DECREF (result);
  Py_SETREF (SLOT (timer, off_scheduled), Py_NewRef (Py_True));
  if (MEMBER (self, timer_when, "_timer_when") == NULL)
    goto error;
  if (self->timer_when == Py_None)
    earlier = 1;
  else
    {
      PyObject *armed = Py_NewRef (self->timer_when);
      earlier = time_less (when, armed);
      Py_DECREF (armed);
    }
  if (earlier < 0)
    goto error;
  if (earlier)
    {
      result = PyObject_CallMethod ((PyObject *) self, "_arm_timer", "O", when);
      if (result == NULL)
        goto error;
      Py_DECREF (result);
    }
  return timer;

error:
  Py_DECREF (timer);
  return NULL;
}

/* What call_later() and call_at() check before their first argument, a
 * time, is read: 1 with *result set when debug mode ran the Python
 * implementation (or it failed), 0 to go on in C. */
static int
begin_timer_call (LoopCore *self, const char *method, const char *time_name,
                  PyObject *py_func, PyObject *const *args, Py_ssize_t nargs,
                  PyObject *kwnames, PyObject **context, PyObject **result)
{
  int debug;

  *result = NULL;
  if (!is_setup ()
      || parse_context (method, args + nargs, kwnames, context) < 0)
    return 1;
  if (nargs < 2)
    {
      if (nargs == 1)
        PyErr_Format (PyExc_TypeError,
                      "%s() missing 1 required positional argument: 'callback'",
                      method);
      else
        PyErr_Format (PyExc_TypeError,
                      "%s() missing 2 required positional arguments: '%s' and 'callback'",
                      method, time_name);
      return 1;
    }
  if ((debug = debug_mode (self)) < 0)
    return 1;
  if (debug)
    {
      *result = call_python (py_func, (PyObject *) self, args, nargs, kwnames);
      return 1;
    }
  if (args[0] == Py_None)
    {
      PyErr_Format (PyExc_TypeError, "%s must not be None", time_name);
      return 1;
    }
  return 0;
}

PyDoc_STRVAR (call_later_doc,
"call_later(delay, callback, *args, context=None)\n--\n\n"
"Arrange for ``callback(*args)`` to be called after ``delay`` seconds;\n"
"returns an :class:`asyncio.TimerHandle`.");

static PyObject *
core_call_later (LoopCore *self, PyObject *const *args, Py_ssize_t nargs,
                 PyObject *kwnames)
{
  PyObject *context, *when, *timer;

  if (begin_timer_call (self, "call_later", "delay", py_call_later,
                        args, nargs, kwnames, &context, &timer))
    return timer;
  if (PyFloat_CheckExact (args[0]))
    when = PyFloat_FromDouble (monotonic () + PyFloat_AS_DOUBLE (args[0]));
  else
    {
      PyObject *now = PyFloat_FromDouble (monotonic ());
      if (now == NULL)
        return NULL;
      when = PyNumber_Add (now, args[0]);
      Py_DECREF (now);
    }
  if (when == NULL)
    return NULL;
  timer = add_timer (self, when, args + 1, nargs - 1, context);
  Py_DECREF (when);
  return timer;
}

PyDoc_STRVAR (call_at_doc,
"call_at(when, callback, *args, context=None)\n--\n\n"
"Arrange for ``callback(*args)`` to be called at loop time ``when``;\n"
"returns an :class:`asyncio.TimerHandle`.");

static PyObject *
core_call_at (LoopCore *self, PyObject *const *args, Py_ssize_t nargs,
              PyObject *kwnames)
{
  PyObject *context, *timer;

  if (begin_timer_call (self, "call_at", "when", py_call_at,
                        args, nargs, kwnames, &context, &timer))
    return timer;
  return add_timer (self, args[0], args + 1, nargs - 1, context);
}

/* heap[0] of the timer heap, borrowed; NULL (no error) if empty. */
static PyObject *
heap_top (PyObject *heap)
{
  if (PyList_CheckExact (heap))
    {
      if (PyList_GET_SIZE (heap) == 0)
        return NULL;
      PyObject *top = PyList_GET_ITEM (heap, 0);
      if (PyTuple_Check (top) && PyTuple_GET_SIZE (top) == 3)
        return top;
    }
  PyErr_SetString (PyExc_TypeError,
                   "the timer heap must be a list of (when, seq, TimerHandle)");
  return NULL;
}

/* timer._scheduled = value */
static int
set_scheduled (PyObject *timer, PyObject *value)
{
  if (Py_IS_TYPE (timer, timer_handle_type))
    {
      Py_XSETREF (SLOT (timer, off_scheduled), Py_NewRef (value));
      return 0;
    }
  return PyObject_SetAttr (timer, str_scheduled, value);
}

/* timer._scheduled as a truth value, -1 on error. */
static int
get_scheduled (PyObject *timer)
{
  PyObject *value;
  int result;

  if (Py_IS_TYPE (timer, timer_handle_type) && SLOT (timer, off_scheduled) != NULL)
    return truth (SLOT (timer, off_scheduled));
  value = PyObject_GetAttr (timer, str_scheduled);
  if (value == NULL)
    return -1;
  result = PyObject_IsTrue (value);
  Py_DECREF (value);
  return result;
}

/* Pop the heap's earliest timer, mark it unscheduled; new reference. */
static PyObject *
pop_timer (PyObject *heap)
{
  PyObject *entry, *timer;

  entry = PyObject_Vectorcall (heappop, &heap, 1, NULL);
  if (entry == NULL)
    return NULL;
  timer = Py_NewRef (PyTuple_GET_ITEM (entry, 2));
  Py_DECREF (entry);
  if (set_scheduled (timer, Py_False) < 0)
    Py_CLEAR (timer);
  return timer;
}

static int
uncount_cancelled (LoopCore *self)
{
  self->timer_cancelled_count--;
  return 0;
}

PyDoc_STRVAR (timer_handle_cancelled_doc,
"_timer_handle_cancelled(handle)\n--\n\n"
"Count a scheduled timer being cancelled; purge the heap when cancelled\n"
"timers are most of it.");

static PyObject *
core_timer_handle_cancelled (LoopCore *self, PyObject *handle)
{
  Py_ssize_t count = self->timer_cancelled_count + 1;
  int scheduled;

  if (!is_setup ())
    return NULL;
  if ((scheduled = get_scheduled (handle)) < 0)
    return NULL;
  if (!scheduled)
    Py_RETURN_NONE;
  if (MEMBER (self, timer_heap, "_timer_heap") == NULL)
    return NULL;
  if (count > min_cancelled_timers && PyList_CheckExact (self->timer_heap)
      && count > PyList_GET_SIZE (self->timer_heap) * max_cancelled_fraction)
    /* The purge is rare: the Python implementation counts and purges. */
    return PyObject_CallFunctionObjArgs (py_timer_handle_cancelled, self, handle, NULL);
  self->timer_cancelled_count = count;
  Py_RETURN_NONE;
}

PyDoc_STRVAR (run_timers_doc,
"_run_timers(unused)\n--\n\n"
"The function of the Io.Loop timeout: run the due timers.");

static PyObject *
core_run_timers (LoopCore *self, PyObject *unused)
{
  PyObject *heap = NULL, *due = NULL, *resolution, *end = NULL, *top;
  int closed;

  if (!is_setup ())
    return NULL;
  set_member (&self->timer_io, Py_None);
  set_member (&self->timer_when, Py_None);
  if (MEMBER (self, timer_heap, "_timer_heap") == NULL)
    return NULL;
  heap = Py_NewRef (self->timer_heap);
  resolution = PyObject_GetAttrString ((PyObject *) self, "_clock_resolution");
  if (resolution == NULL)
    goto error;
  if (PyFloat_CheckExact (resolution))
    end = PyFloat_FromDouble (monotonic () + PyFloat_AS_DOUBLE (resolution));
  else
    {
      PyObject *now = PyFloat_FromDouble (monotonic ());
      if (now != NULL)
        end = PyNumber_Add (now, resolution);
      Py_XDECREF (now);
    }
  Py_DECREF (resolution);
  if (end == NULL || (due = PyList_New (0)) == NULL)
    goto error;
  while ((top = heap_top (heap)) != NULL)
    {
      PyObject *when = PyTuple_GET_ITEM (top, 0), *timer;
      int is_due, cancelled;

      if (PyFloat_CheckExact (when) && PyFloat_CheckExact (end))
        is_due = PyFloat_AS_DOUBLE (when) <= PyFloat_AS_DOUBLE (end);
      else
        {
          Py_INCREF (when);
          is_due = PyObject_RichCompareBool (when, end, Py_LE);
          Py_DECREF (when);
        }
      if (is_due <= 0)
        {
          if (is_due < 0)
            goto error;
          break;
        }
      if ((timer = pop_timer (heap)) == NULL)
        goto error;
      cancelled = handle_cancelled (timer);
      if (cancelled > 0)
        cancelled = uncount_cancelled (self);
      else if (cancelled == 0)
        cancelled = PyList_Append (due, timer);
      Py_DECREF (timer);
      if (cancelled < 0)
        goto error;
    }
  if (PyErr_Occurred ())
    goto error;
  if (PyList_GET_SIZE (due) > 0)
    {
      int debug = debug_mode (self);
      if (debug < 0)
        goto error;
      if (debug)
        {
          PyObject *r = PyObject_CallFunctionObjArgs (py_run_handles, self, due, NULL);
          if (r == NULL)
            goto error;
          Py_DECREF (r);
        }
      else if (run_handles (self, due) < 0)
        goto error;
    }
  if (MEMBER (self, closed, "_closed") == NULL
      || (closed = truth (self->closed)) < 0)
    goto error;
  if (closed)
    goto done;
  while ((top = heap_top (heap)) != NULL)
    {
      PyObject *timer;
      int cancelled = handle_cancelled (PyTuple_GET_ITEM (top, 2));

      if (cancelled <= 0)
        {
          if (cancelled < 0)
            goto error;
          break;
        }
      if ((timer = pop_timer (heap)) == NULL)
        goto error;
      Py_DECREF (timer);
      if (uncount_cancelled (self) < 0)
        goto error;
    }
  if (PyErr_Occurred ())
    goto error;
  if (top != NULL)
    {
      PyObject *when = Py_NewRef (PyTuple_GET_ITEM (top, 0)), *r;
      int earlier;

      if (MEMBER (self, timer_when, "_timer_when") == NULL)
        earlier = -1;
      else if (self->timer_when == Py_None)
        earlier = 1;
      else
        {
          PyObject *armed = Py_NewRef (self->timer_when);
          earlier = time_less (when, armed);
          Py_DECREF (armed);
        }
      if (earlier > 0)
        {
          r = PyObject_CallMethod ((PyObject *) self, "_arm_timer", "O", when);
          if (r == NULL)
            earlier = -1;
          else
            Py_DECREF (r);
        }
      Py_DECREF (when);
      if (earlier < 0)
        goto error;
    }
done:
  Py_DECREF (heap);
  Py_DECREF (end);
  Py_DECREF (due);
  Py_RETURN_NONE;

error:
  Py_XDECREF (heap);
  Py_XDECREF (end);
  Py_XDECREF (due);
  return NULL;
}

/* ---- the type --------------------------------------------------------- */

#define VISIT_SLOT(field, name) Py_VISIT (self->field);
#define CLEAR_SLOT(field, name) Py_CLEAR (self->field);

static int
core_traverse (LoopCore *self, visitproc visit, void *arg)
{
  LOOP_CORE_SLOTS (VISIT_SLOT)
  return 0;
}

static int
core_clear (LoopCore *self)
{
  LOOP_CORE_SLOTS (CLEAR_SLOT)
  return 0;
}

static void
core_dealloc (LoopCore *self)
{
  PyObject_GC_UnTrack (self);
  core_clear (self);
  Py_TYPE (self)->tp_free ((PyObject *) self);
}

#define MEMBER_DEF(field, name) \
  { name, T_OBJECT_EX, offsetof (LoopCore, field), 0, NULL },

static PyMemberDef core_members[] = {
  LOOP_CORE_SLOTS (MEMBER_DEF)
  { "_timer_cancelled_count", T_PYSSIZET, offsetof (LoopCore, timer_cancelled_count), 0, NULL },
  { NULL }
};

static PyMethodDef core_methods[] = {
  { "call_soon", (PyCFunction) (void (*) (void)) core_call_soon,
    METH_FASTCALL | METH_KEYWORDS, call_soon_doc },
  { "_call_soon", (PyCFunction) (void (*) (void)) core_call_soon_private,
    METH_FASTCALL, NULL },
  { "call_later", (PyCFunction) (void (*) (void)) core_call_later,
    METH_FASTCALL | METH_KEYWORDS, call_later_doc },
  { "call_at", (PyCFunction) (void (*) (void)) core_call_at,
    METH_FASTCALL | METH_KEYWORDS, call_at_doc },
  { "_run_ready", (PyCFunction) core_run_ready, METH_NOARGS, run_ready_doc },
  { "_run_handles", (PyCFunction) core_run_handles, METH_O, run_handles_doc },
  { "_run_timers", (PyCFunction) core_run_timers, METH_O, run_timers_doc },
  { "_timer_handle_cancelled", (PyCFunction) core_timer_handle_cancelled, METH_O,
    timer_handle_cancelled_doc },
  { NULL }
};

PyDoc_STRVAR (core_doc,
"The C base of ioloop.EventLoop: its hot attributes and paths.");

static PyTypeObject LoopCore_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "ioloop._speedups.LoopCore",
  .tp_basicsize = sizeof (LoopCore),
  .tp_dealloc = (destructor) core_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
  .tp_doc = core_doc,
  .tp_traverse = (traverseproc) core_traverse,
  .tp_clear = (inquiry) core_clear,
  .tp_methods = core_methods,
  .tp_members = core_members,
  .tp_new = PyType_GenericNew,
};

/* ---- the native socket transport: SocketCore -------------------------- */

/* The C part of ioloop._transports.SocketTransport: an IoStream on the
 * transport's socket, whose chunk reader calls the protocol's
 * data_received() (or get_buffer()/buffer_updated()) straight from the
 * Io.Loop's handler, and write(), which hands the data to
 * io_stream_write(): on the socket at once when nothing is queued.  The
 * rest of asyncio's transport (closing, flow control, errors) is Python,
 * called from here only when something changes.
 *
 * The stream owns the socket's fd: the Python socket is detached as soon
 * as the stream closes it, so that its close() can never close a reused
 * fd.  IoStream's callbacks run from the Io.Loop with the GIL released
 * (PyGObject releases it around Io.Loop.start()): each takes it. */

typedef struct
{
  PyObject_HEAD
  IoStream *stream;
  PyObject *loop;               /* the EventLoop, a LoopCore */
  PyObject *transport;          /* until release() */
  PyObject *sock;               /* until the stream closed the fd */
  PyObject *data_received;      /* NULL for a BufferedProtocol */
  PyObject *get_buffer;
  PyObject *buffer_updated;
  PyObject *context;            /* the callbacks', copied when reading starts */
  int closing;
  int eof;
  int conn_lost;
  int sendfile_busy;
  int reading;                  /* wanted: not paused */
  int chunks;                   /* the stream's chunk reader is on */
  GBytes *pending;              /* read, not taken yet: before any more */
  int depth;                    /* callbacks of this core running */
  gulong drain_handler;         /* notify::write-buffer-full, while full */
} SocketCore;

static PyTypeObject SocketCore_Type;
static PyObject *asyncio_logger;
static long log_threshold_for_connlost_writes = 5;

typedef struct
{
  PyGILState_STATE gil;
  PyObject *previous_loop;
  PyObject *context;            /* entered */
} CallbackState;

/* Take the GIL and, for the outermost callback, enter the running loop
 * and the context of the protocol's callbacks. */
static void
callback_enter (SocketCore *self, CallbackState *state)
{
  state->gil = PyGILState_Ensure ();
  state->previous_loop = NULL;
  state->context = NULL;
  /* The callback may release the transport, and with it this core. */
  Py_INCREF (self);
  if (self->depth++ > 0)
    return;
  if (enter_running ((LoopCore *) self->loop, &state->previous_loop) < 0)
    {
      PyErr_WriteUnraisable (self->loop);
      state->previous_loop = NULL;
    }
  if (self->context != NULL)
    {
      if (PyContext_Enter (self->context) < 0)
        PyErr_Clear ();
      else
        state->context = Py_NewRef (self->context);
    }
}

/* Whether the event loop is closed: then nothing of it may run (the
 * Io.Loop closing closes the streams it did not close). */
static int
loop_closed (SocketCore *self)
{
  PyObject *closed = ((LoopCore *) self->loop)->closed;

  return closed != NULL && truth (closed) == 1;
}

static void
callback_leave (SocketCore *self, CallbackState *state)
{
  if (state->context != NULL)
    {
      if (PyContext_Exit (state->context) < 0)
        PyErr_WriteUnraisable (state->context);
      Py_DECREF (state->context);
    }
  if (--self->depth == 0 && leave_running (state->previous_loop) < 0)
    PyErr_WriteUnraisable (self->loop);
  Py_DECREF (self);
  PyGILState_Release (state->gil);
}

/* The exception set now, raised by a protocol callback: what asyncio's
 * transport does with it.  KeyboardInterrupt and SystemExit go to
 * io_loop.start(); the rest to transport._fatal_error(exc, message), or
 * (message NULL: raised by the transport itself) sys.unraisablehook. */
static void
callback_failed (SocketCore *self, const char *message)
{
  PyObject *type, *value, *tb, *result;

  if (PyErr_ExceptionMatches (PyExc_KeyboardInterrupt)
      || PyErr_ExceptionMatches (PyExc_SystemExit))
    {
      if (keep_exception ((LoopCore *) self->loop) < 0)
        PyErr_WriteUnraisable (self->loop);
      return;
    }
  if (message == NULL || self->transport == NULL)
    {
      PyErr_WriteUnraisable (self->transport ? self->transport : Py_None);
      return;
    }
  PyErr_Fetch (&type, &value, &tb);
  PyErr_NormalizeException (&type, &value, &tb);
  if (tb != NULL)
    PyException_SetTraceback (value, tb);
  result = PyObject_CallMethod (self->transport, "_fatal_error", "Os", value, message);
  Py_XDECREF (type);
  Py_XDECREF (value);
  Py_XDECREF (tb);
  if (result == NULL)
    callback_failed (self, NULL);
  Py_XDECREF (result);
}

/* Call transport.<name>(arg) (no argument when arg is NULL). */
static void
call_transport (SocketCore *self, const char *name, PyObject *arg)
{
  PyObject *transport = self->transport, *result;

  if (transport == NULL)
    return;
  Py_INCREF (transport);
  if (arg != NULL)
    result = PyObject_CallMethod (transport, name, "O", arg);
  else
    result = PyObject_CallMethod (transport, name, NULL);
  Py_DECREF (transport);
  if (result == NULL)
    callback_failed (self, NULL);
  Py_XDECREF (result);
}

/* The OSError of an IoStream's GError: the errno it was made of when its
 * code and message tell it (IoStream's messages end with strerror()). */
static PyObject *
exception_from_error (const GError *error)
{
  static const int errnos[] = {
    ECONNRESET, EPIPE, ETIMEDOUT, ECONNREFUSED, ECONNABORTED, EHOSTUNREACH,
    ENETUNREACH, ENETDOWN, ENETRESET, ENOTCONN, ESHUTDOWN, EHOSTDOWN,
    EACCES, EPERM, ENOBUFS, ENOMEM, EIO, EBADF, EINVAL, EMSGSIZE,
  };
  gsize i;

  if (error->domain == G_IO_ERROR)
    for (i = 0; i < G_N_ELEMENTS (errnos); i++)
      if ((gint) g_io_error_from_errno (errnos[i]) == error->code
          && g_str_has_suffix (error->message, g_strerror (errnos[i])))
        return PyObject_CallFunction (PyExc_OSError, "is", errnos[i],
                                      g_strerror (errnos[i]));
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED))
    return PyObject_CallFunction (PyExc_ConnectionError, "s", error->message);
  return PyObject_CallFunction (PyExc_OSError, "s", error->message);
}

static void
decref_notify (gpointer data)
{
  PyGILState_STATE gil = PyGILState_Ensure ();

  Py_DECREF ((PyObject *) data);
  PyGILState_Release (gil);
}

/* The stream has closed the fd: the socket object must not close it. */
static void
detach_sock (SocketCore *self)
{
  PyObject *sock = self->sock, *result;

  if (sock == NULL)
    return;
  self->sock = NULL;
  result = PyObject_CallMethod (sock, "detach", NULL);
  if (result == NULL)
    PyErr_WriteUnraisable (sock);
  Py_XDECREF (result);
  Py_DECREF (sock);
}

static void
after_stream_call (SocketCore *self)
{
  if (self->stream != NULL && io_stream_is_closed (self->stream))
    detach_sock (self);
}

/* Hands data[offset..] to the protocol.  What a BufferedProtocol that
 * paused reading on the way has not taken yet waits in self->pending for
 * resume_reading(). */
static void
deliver (SocketCore *self, GBytes *data, gsize offset)
{
  gsize size;
  const char *base = g_bytes_get_data (data, &size);
  PyObject *result;

  while (offset < size && !self->conn_lost)
    {
      PyObject *get_buffer, *updated, *buf, *n_obj;
      Py_buffer view;
      gsize n;

      if (offset > 0 && !self->reading)
        {
          self->pending = g_bytes_new_from_bytes (data, offset, size - offset);
          return;
        }
      if (self->data_received != NULL)
        {
          PyObject *func = Py_NewRef (self->data_received);
          PyObject *bytes = PyBytes_FromStringAndSize (base + offset, size - offset);

          result = bytes ? PyObject_CallOneArg (func, bytes) : NULL;
          Py_XDECREF (bytes);
          Py_DECREF (func);
          if (result == NULL)
            callback_failed (self, "Fatal error: protocol.data_received() call failed.");
          Py_XDECREF (result);
          return;
        }
      if (self->get_buffer == NULL)
        return;
      /* A BufferedProtocol: as many buffers as the chunk needs. */
      get_buffer = Py_NewRef (self->get_buffer);
      updated = Py_NewRef (self->buffer_updated);
      buf = PyObject_CallFunction (get_buffer, "n", (Py_ssize_t) -1);
      Py_DECREF (get_buffer);
      if (buf != NULL && PyObject_GetBuffer (buf, &view, PyBUF_WRITABLE) == 0)
        {
          if (view.len <= 0)
            {
              PyBuffer_Release (&view);
              PyErr_SetString (PyExc_RuntimeError, "get_buffer() returned an empty buffer");
            }
        }
      if (buf == NULL || PyErr_Occurred ())
        {
          Py_XDECREF (buf);
          Py_DECREF (updated);
          callback_failed (self, "Fatal error: protocol.get_buffer() call failed.");
          return;
        }
      n = MIN ((gsize) view.len, size - offset);
      memcpy (view.buf, base + offset, n);
      PyBuffer_Release (&view);
      Py_DECREF (buf);
      offset += n;
      n_obj = PyLong_FromSize_t (n);
      result = n_obj ? PyObject_CallOneArg (updated, n_obj) : NULL;
      Py_XDECREF (n_obj);
      Py_DECREF (updated);
      if (result == NULL)
        {
          callback_failed (self, "Fatal error: protocol.buffer_updated() call failed.");
          return;
        }
      Py_DECREF (result);
    }
}

static void
chunk_cb (IoStream *stream, GBytes *data, const GError *error, gpointer user_data)
{
  SocketCore *self = user_data;
  CallbackState state;

  callback_enter (self, &state);
  if (loop_closed (self))
    self->reading = self->chunks = data != NULL;
  else if (data != NULL)
    deliver (self, data, 0);
  else
    {
      /* The chunk reader ends here. */
      self->reading = 0;
      self->chunks = 0;
      if (error != NULL)
        {
          PyObject *exc = exception_from_error (error);

          if (exc != NULL && self->transport != NULL && !self->conn_lost)
            {
              PyObject *result = PyObject_CallMethod (self->transport, "_fatal_error", "Os",
                                                      exc, "Fatal read error on socket transport");
              if (result == NULL)
                callback_failed (self, NULL);
              Py_XDECREF (result);
            }
          else if (exc == NULL)
            callback_failed (self, NULL);
          Py_XDECREF (exc);
        }
      else if (!self->conn_lost)
        call_transport (self, "_read_ready__on_eof", NULL);
    }
  callback_leave (self, &state);
}

static void
close_cb (IoStream *stream, const GError *error, gpointer user_data)
{
  SocketCore *self = user_data;
  CallbackState state;
  PyObject *exc;

  callback_enter (self, &state);
  detach_sock (self);
  if (self->transport != NULL && !self->conn_lost && !loop_closed (self))
    {
      exc = error != NULL ? exception_from_error (error) : Py_NewRef (Py_None);
      if (exc == NULL)
        callback_failed (self, NULL);
      else
        call_transport (self, "_stream_closed", exc);
      Py_XDECREF (exc);
    }
  callback_leave (self, &state);
}

static void
drain_stop (SocketCore *self)
{
  if (self->drain_handler != 0)
    {
      g_signal_handler_disconnect (self->stream, self->drain_handler);
      self->drain_handler = 0;
    }
}

static void
drain_cb (GObject *object, GParamSpec *pspec, gpointer user_data)
{
  SocketCore *self = user_data;
  CallbackState state;

  if (io_stream_get_write_buffer_full (self->stream))
    return;
  callback_enter (self, &state);
  drain_stop (self);
  if (!io_stream_is_closed (self->stream) && !self->conn_lost && !loop_closed (self))
    call_transport (self, "_maybe_resume_protocol", NULL);
  callback_leave (self, &state);
}

/* Told when the write buffer gets back to its low mark, while it is above. */
static void
drain_watch (SocketCore *self)
{
  if (self->drain_handler == 0 && io_stream_get_write_buffer_full (self->stream))
    self->drain_handler = g_signal_connect (self->stream, "notify::write-buffer-full",
                                            G_CALLBACK (drain_cb), self);
}

static int
check_stream (SocketCore *self)
{
  if (self->stream == NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "the transport's stream is gone");
      return 0;
    }
  return 1;
}

static int
socket_core_init (SocketCore *self, PyObject *args, PyObject *kwargs)
{
  PyObject *loop, *capsule, *sock, *transport, *fileno;
  GError *error = NULL;
  IoLoop *io_loop;
  IoStream *stream;
  int fd;

  if (!PyArg_ParseTuple (args, "O!OOO:SocketCore", &LoopCore_Type, &loop, &capsule,
                         &sock, &transport))
    return -1;
  if (self->stream != NULL)
    {
      PyErr_SetString (PyExc_RuntimeError, "SocketCore is already set up");
      return -1;
    }
  io_loop = PyCapsule_GetPointer (capsule, NULL);
  if (io_loop == NULL)
    return -1;
  if (!IO_IS_LOOP (io_loop))
    {
      PyErr_SetString (PyExc_TypeError, "not the capsule of an Io.Loop");
      return -1;
    }
  fileno = PyObject_CallMethod (sock, "fileno", NULL);
  if (fileno == NULL)
    return -1;
  fd = PyLong_AsLong (fileno);
  Py_DECREF (fileno);
  if (fd == -1 && PyErr_Occurred ())
    return -1;
  stream = io_stream_new (io_loop, fd, &error);
  if (stream == NULL)
    {
      PyErr_SetString (PyExc_OSError, error->message);
      g_error_free (error);
      return -1;
    }
  io_stream_set_close_on_eof (stream, FALSE);
  self->stream = stream;
  Py_XSETREF (self->loop, Py_NewRef (loop));
  Py_XSETREF (self->sock, Py_NewRef (sock));
  Py_XSETREF (self->transport, Py_NewRef (transport));
  io_stream_set_close_callback (stream, close_cb, self, NULL);
  return 0;
}

static PyObject *
socket_core_set_protocol (SocketCore *self, PyObject *const *args, Py_ssize_t nargs)
{
  PyObject *protocol;
  int buffered;

  if (nargs != 2)
    {
      PyErr_SetString (PyExc_TypeError, "set_protocol(protocol, buffered)");
      return NULL;
    }
  protocol = args[0];
  if ((buffered = PyObject_IsTrue (args[1])) < 0)
    return NULL;
  Py_CLEAR (self->data_received);
  Py_CLEAR (self->get_buffer);
  Py_CLEAR (self->buffer_updated);
  if (buffered)
    {
      if ((self->get_buffer = PyObject_GetAttrString (protocol, "get_buffer")) == NULL
          || (self->buffer_updated = PyObject_GetAttrString (protocol, "buffer_updated")) == NULL)
        return NULL;
    }
  else if ((self->data_received = PyObject_GetAttrString (protocol, "data_received")) == NULL)
    return NULL;
  Py_RETURN_NONE;
}

static void
start_chunks (SocketCore *self)
{
  self->chunks = 1;
  io_stream_read_chunks (self->stream, chunk_cb, Py_NewRef (self), decref_notify);
}

static PyObject *
socket_core_start_reading (SocketCore *self, PyObject *unused)
{
  if (!check_stream (self))
    return NULL;
  /* A closed stream still gives what it read, and its end. */
  if (self->reading)
    Py_RETURN_NONE;
  Py_XSETREF (self->context, PyContext_CopyCurrent ());
  if (self->context == NULL)
    return NULL;
  self->reading = 1;
  if (self->pending != NULL)
    {
      /* From the loop, as data comes: what was left first. */
      PyObject *r = PyObject_CallMethod (self->loop, "call_soon", "N",
                                         PyObject_GetAttrString ((PyObject *) self,
                                                                 "_deliver_pending"));
      if (r == NULL)
        return NULL;
      Py_DECREF (r);
    }
  else if (!self->chunks)
    start_chunks (self);
  Py_RETURN_NONE;
}

static PyObject *
socket_core_deliver_pending (SocketCore *self, PyObject *unused)
{
  CallbackState state;
  GBytes *pending;

  if (!self->reading || self->pending == NULL || self->stream == NULL)
    Py_RETURN_NONE;
  callback_enter (self, &state);
  pending = g_steal_pointer (&self->pending);
  deliver (self, pending, 0);
  g_bytes_unref (pending);
  if (self->reading && self->pending == NULL && !self->chunks && !self->conn_lost)
    start_chunks (self);
  callback_leave (self, &state);
  Py_RETURN_NONE;
}

static PyObject *
socket_core_stop_reading (SocketCore *self, PyObject *unused)
{
  self->reading = 0;
  if (self->chunks && self->stream != NULL)
    {
      self->chunks = 0;
      io_stream_cancel_read (self->stream);
    }
  Py_RETURN_NONE;
}

static PyObject *
socket_core_write (SocketCore *self, PyObject *data)
{
  GBytes *bytes;
  Py_buffer view;
  int full;

  if (!PyBytes_Check (data) && !PyByteArray_Check (data) && !PyMemoryView_Check (data))
    return PyErr_Format (PyExc_TypeError,
                         "data argument must be a bytes-like object, not '%.100s'",
                         Py_TYPE (data)->tp_name);
  if (self->eof)
    {
      PyErr_SetString (PyExc_RuntimeError, "Cannot call write() after write_eof()");
      return NULL;
    }
  if (self->sendfile_busy)
    {
      PyErr_SetString (PyExc_RuntimeError, "unable to write; sendfile is in progress");
      return NULL;
    }
  if (PyBytes_Check (data))
    {
      if (PyBytes_GET_SIZE (data) == 0)
        Py_RETURN_NONE;
    }
  else if (PyObject_Length (data) == 0)
    Py_RETURN_NONE;
  if (!self->conn_lost && (self->stream == NULL || io_stream_is_closed (self->stream)))
    {
      /* The stream closed without the transport: its Io.Loop closed. */
      PyObject *r = self->transport != NULL
        ? PyObject_CallMethod (self->transport, "_write_to_closed_stream", NULL)
        : Py_NewRef (Py_None);

      if (r == NULL)
        return NULL;
      Py_DECREF (r);
      Py_RETURN_NONE;
    }
  if (self->conn_lost)
    {
      if (self->conn_lost >= log_threshold_for_connlost_writes && asyncio_logger != NULL)
        {
          PyObject *r = PyObject_CallMethod (asyncio_logger, "warning", "s",
                                             "socket.send() raised exception.");
          if (r == NULL)
            return NULL;
          Py_DECREF (r);
        }
      self->conn_lost++;
      Py_RETURN_NONE;
    }
  if (PyBytes_Check (data))
    /* Immutable: queued by reference if it must wait. */
    bytes = g_bytes_new_with_free_func (PyBytes_AS_STRING (data), PyBytes_GET_SIZE (data),
                                        decref_notify, Py_NewRef (data));
  else
    {
      if (PyObject_GetBuffer (data, &view, PyBUF_SIMPLE) < 0)
        return NULL;
      bytes = g_bytes_new (view.buf, view.len);
      PyBuffer_Release (&view);
    }
  io_stream_write (self->stream, bytes, NULL);
  g_bytes_unref (bytes);
  after_stream_call (self);
  full = self->drain_handler == 0 && io_stream_get_write_buffer_full (self->stream);
  if (full)
    {
      PyObject *r;

      drain_watch (self);
      r = PyObject_CallMethod (self->transport, "_maybe_pause_protocol", NULL);
      if (r == NULL)
        return NULL;
      Py_DECREF (r);
    }
  Py_RETURN_NONE;
}

static PyObject *
socket_core_shutdown_write (SocketCore *self, PyObject *unused)
{
  GError *error = NULL;

  if (!check_stream (self))
    return NULL;
  if (!io_stream_shutdown_write (self->stream, &error))
    {
      PyObject *exc = exception_from_error (error);

      g_error_free (error);
      if (exc != NULL)
        {
          PyErr_SetObject ((PyObject *) Py_TYPE (exc), exc);
          Py_DECREF (exc);
        }
      return NULL;
    }
  Py_RETURN_NONE;
}

static PyObject *
socket_core_get_write_buffer_size (SocketCore *self, PyObject *unused)
{
  return PyLong_FromSize_t (self->stream ? io_stream_get_write_buffer_size (self->stream) : 0);
}

static PyObject *
socket_core_set_write_buffer_limits (SocketCore *self, PyObject *args)
{
  Py_ssize_t high, low;

  if (!PyArg_ParseTuple (args, "nn:set_write_buffer_limits", &high, &low))
    return NULL;
  if (!check_stream (self))
    return NULL;
  if (low < 0 || high < low)
    {
      PyErr_SetString (PyExc_ValueError, "high must be >= low must be >= 0");
      return NULL;
    }
  io_stream_set_write_buffer_limits (self->stream, high, low);
  drain_watch (self);
  Py_RETURN_NONE;
}

typedef struct
{
  SocketCore *core;
  PyObject *callback;
} FlushData;

static void
flush_cb (IoStream *stream, const GError *error, gpointer user_data)
{
  FlushData *fd = user_data;
  CallbackState state;
  PyObject *exc, *result;

  callback_enter (fd->core, &state);
  if (loop_closed (fd->core))
    {
      callback_leave (fd->core, &state);
      return;
    }
  exc = error != NULL ? exception_from_error (error) : Py_NewRef (Py_None);
  result = exc ? PyObject_CallOneArg (fd->callback, exc) : NULL;
  Py_XDECREF (exc);
  if (result == NULL)
    callback_failed (fd->core, NULL);
  Py_XDECREF (result);
  callback_leave (fd->core, &state);
}

static void
flush_data_free (gpointer data)
{
  FlushData *fd = data;
  PyGILState_STATE gil = PyGILState_Ensure ();

  Py_DECREF (fd->core);
  Py_DECREF (fd->callback);
  PyGILState_Release (gil);
  g_free (fd);
}

static PyObject *
socket_core_flush (SocketCore *self, PyObject *callback)
{
  FlushData *fd;

  if (!check_stream (self))
    return NULL;
  fd = g_new (FlushData, 1);
  fd->core = (SocketCore *) Py_NewRef (self);
  fd->callback = Py_NewRef (callback);
  io_stream_flush (self->stream, flush_cb, fd, flush_data_free);
  Py_RETURN_NONE;
}

static PyObject *
socket_core_close (SocketCore *self, PyObject *unused)
{
  PyObject *r = socket_core_stop_reading (self, NULL);

  Py_XDECREF (r);
  g_clear_pointer (&self->pending, g_bytes_unref);
  if (self->stream != NULL)
    {
      drain_stop (self);
      io_stream_close (self->stream);
    }
  detach_sock (self);
  Py_RETURN_NONE;
}

static int socket_core_clear (SocketCore *self);

/* Closed, and the cycle with the transport and the protocol broken. */
static PyObject *
socket_core_release (SocketCore *self, PyObject *unused)
{
  PyObject *r = socket_core_close (self, NULL);

  Py_XDECREF (r);
  socket_core_clear (self);
  Py_RETURN_NONE;
}

static PyObject *
socket_core_is_closing (SocketCore *self, PyObject *unused)
{
  return PyBool_FromLong (self->closing);
}

static PyObject *
socket_core_is_reading (SocketCore *self, PyObject *unused)
{
  return PyBool_FromLong (self->reading);
}

static int
socket_core_traverse (SocketCore *self, visitproc visit, void *arg)
{
  Py_VISIT (self->loop);
  Py_VISIT (self->transport);
  Py_VISIT (self->sock);
  Py_VISIT (self->data_received);
  Py_VISIT (self->get_buffer);
  Py_VISIT (self->buffer_updated);
  Py_VISIT (self->context);
  return 0;
}

static int
socket_core_clear (SocketCore *self)
{
  Py_CLEAR (self->transport);
  Py_CLEAR (self->data_received);
  Py_CLEAR (self->get_buffer);
  Py_CLEAR (self->buffer_updated);
  Py_CLEAR (self->context);
  return 0;
}

static void
socket_core_dealloc (SocketCore *self)
{
  PyObject_GC_UnTrack (self);
  if (self->stream != NULL)
    {
      /* A read in progress holds a reference: none is. */
      io_stream_set_close_callback (self->stream, NULL, NULL, NULL);
      drain_stop (self);
      if (!io_stream_is_closed (self->stream))
        io_stream_close (self->stream);
      g_clear_object (&self->stream);
    }
  detach_sock (self);
  g_clear_pointer (&self->pending, g_bytes_unref);
  socket_core_clear (self);
  Py_CLEAR (self->loop);
  Py_TYPE (self)->tp_free ((PyObject *) self);
}

static PyMemberDef socket_core_members[] = {
  { "closing", T_INT, offsetof (SocketCore, closing), 0, NULL },
  { "eof", T_INT, offsetof (SocketCore, eof), 0, NULL },
  { "conn_lost", T_INT, offsetof (SocketCore, conn_lost), 0, NULL },
  { "sendfile_busy", T_INT, offsetof (SocketCore, sendfile_busy), 0, NULL },
  { NULL }
};

static PyMethodDef socket_core_methods[] = {
  { "set_protocol", (PyCFunction) (void (*) (void)) socket_core_set_protocol, METH_FASTCALL, NULL },
  { "start_reading", (PyCFunction) socket_core_start_reading, METH_NOARGS, NULL },
  { "stop_reading", (PyCFunction) socket_core_stop_reading, METH_NOARGS, NULL },
  { "_deliver_pending", (PyCFunction) socket_core_deliver_pending, METH_NOARGS, NULL },
  { "is_reading", (PyCFunction) socket_core_is_reading, METH_NOARGS, NULL },
  { "is_closing", (PyCFunction) socket_core_is_closing, METH_NOARGS,
    "is_closing(): asyncio's transport.is_closing()." },
  { "write", (PyCFunction) socket_core_write, METH_O,
    "write(data): asyncio's transport.write()." },
  { "shutdown_write", (PyCFunction) socket_core_shutdown_write, METH_NOARGS, NULL },
  { "get_write_buffer_size", (PyCFunction) socket_core_get_write_buffer_size, METH_NOARGS, NULL },
  { "set_write_buffer_limits", (PyCFunction) socket_core_set_write_buffer_limits, METH_VARARGS, NULL },
  { "flush", (PyCFunction) socket_core_flush, METH_O, NULL },
  { "close", (PyCFunction) socket_core_close, METH_NOARGS, NULL },
  { "release", (PyCFunction) socket_core_release, METH_NOARGS, NULL },
  { NULL }
};

PyDoc_STRVAR (socket_core_doc,
"SocketCore(loop, io_loop_capsule, sock, transport): the IoStream and hot\n"
"paths of ioloop's native socket transport.");

static PyTypeObject SocketCore_Type = {
  PyVarObject_HEAD_INIT (NULL, 0)
  .tp_name = "ioloop._speedups.SocketCore",
  .tp_basicsize = sizeof (SocketCore),
  .tp_dealloc = (destructor) socket_core_dealloc,
  .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
  .tp_doc = socket_core_doc,
  .tp_traverse = (traverseproc) socket_core_traverse,
  .tp_clear = (inquiry) socket_core_clear,
  .tp_methods = socket_core_methods,
  .tp_members = socket_core_members,
  .tp_init = (initproc) socket_core_init,
  .tp_new = PyType_GenericNew,
};

/* ---- _setup() --------------------------------------------------------- */

/* The offset of the object slot `name` that `type` defines itself. */
static int
slot_offset (PyTypeObject *type, const char *name, Py_ssize_t *offset)
{
  PyObject *descr = PyDict_GetItemString (type->tp_dict, name);
  PyMemberDef *def;

  if (descr == NULL || !Py_IS_TYPE (descr, &PyMemberDescr_Type))
    {
      PyErr_Format (PyExc_TypeError, "%s.%s is not a slot", type->tp_name, name);
      return -1;
    }
  def = ((PyMemberDescrObject *) descr)->d_member;
  if (def->type != T_OBJECT_EX || (def->flags & READONLY))
    {
      PyErr_Format (PyExc_TypeError, "%s.%s is not an object slot",
                    type->tp_name, name);
      return -1;
    }
  *offset = def->offset;
  return 0;
}

static PyObject *
import_attr (const char *module, const char *name)
{
  PyObject *mod = PyImport_ImportModule (module), *attr;

  if (mod == NULL)
    return NULL;
  attr = PyObject_GetAttrString (mod, name);
  Py_DECREF (mod);
  return attr;
}

static int
fallback (PyObject *cls, const char *name, PyObject **func)
{
  Py_XSETREF (*func, PyObject_GetAttrString (cls, name));
  return *func != NULL ? 0 : -1;
}

PyDoc_STRVAR (setup_doc,
"_setup(handle_type, timer_handle_type, python_loop, report, counter)\n--\n\n"
"Give LoopCore asyncio's Handle and TimerHandle (whose slots it fills),\n"
"the pure-Python loop class whose methods debug mode runs, the function\n"
"that reports a handle's exception, and the counter of the timer heap.\n"
"Raises TypeError if the handles' slots are not those it knows.");

static PyObject *
speedups_setup (PyObject *module, PyObject *args)
{
  PyTypeObject *htype, *ttype;
  PyObject *cls, *report, *counter;

  if (!PyArg_ParseTuple (args, "O!O!O!OO:_setup", &PyType_Type, &htype,
                         &PyType_Type, &ttype, &PyType_Type, &cls,
                         &report, &counter))
    return NULL;
  if (!PyType_IsSubtype (ttype, htype))
    {
      PyErr_SetString (PyExc_TypeError, "the timer handle type must subclass the handle type");
      return NULL;
    }
  if (!PyCallable_Check (report) || Py_TYPE (counter)->tp_iternext == NULL)
    {
      PyErr_SetString (PyExc_TypeError, "report must be callable and counter an iterator");
      return NULL;
    }
  if (slot_offset (htype, "_callback", &off_callback) < 0
      || slot_offset (htype, "_args", &off_args) < 0
      || slot_offset (htype, "_cancelled", &off_cancelled) < 0
      || slot_offset (htype, "_loop", &off_loop) < 0
      || slot_offset (htype, "_source_traceback", &off_source_traceback) < 0
      || slot_offset (htype, "_repr", &off_repr) < 0
      || slot_offset (htype, "_context", &off_context) < 0
      || slot_offset (ttype, "_when", &off_when) < 0
      || slot_offset (ttype, "_scheduled", &off_scheduled) < 0)
    return NULL;
  if (fallback (cls, "call_soon", &py_call_soon) < 0
      || fallback (cls, "_call_soon", &py_call_soon_private) < 0
      || fallback (cls, "call_later", &py_call_later) < 0
      || fallback (cls, "call_at", &py_call_at) < 0
      || fallback (cls, "_run_ready", &py_run_ready) < 0
      || fallback (cls, "_run_handles", &py_run_handles) < 0
      || fallback (cls, "_timer_handle_cancelled", &py_timer_handle_cancelled) < 0
      || fallback ((PyObject *) htype, "_run", &handle_run) < 0)
    return NULL;
  Py_XSETREF (report_exception, Py_NewRef (report));
  Py_XSETREF (seq_counter, Py_NewRef (counter));
  Py_XSETREF (timer_handle_type, (PyTypeObject *) Py_NewRef (ttype));
  Py_XSETREF (handle_type, (PyTypeObject *) Py_NewRef (htype));
  Py_RETURN_NONE;
}

static PyMethodDef speedups_methods[] = {
  { "_setup", speedups_setup, METH_VARARGS, setup_doc },
  { NULL }
};

PyDoc_STRVAR (speedups_doc,
"C hot paths of ioloop.EventLoop (set IOLOOP_NO_SPEEDUPS=1 to run without).");

static struct PyModuleDef speedups_module = {
  PyModuleDef_HEAD_INIT,
  .m_name = "ioloop._speedups",
  .m_doc = speedups_doc,
  .m_size = -1,
  .m_methods = speedups_methods,
};

PyMODINIT_FUNC PyInit__speedups (void);

PyMODINIT_FUNC
PyInit__speedups (void)
{
  PyObject *module, *min_timers = NULL, *fraction = NULL;

  if ((get_running_loop = import_attr ("asyncio.events", "_get_running_loop")) == NULL
      || (set_running_loop = import_attr ("asyncio.events", "_set_running_loop")) == NULL
      || (heappush = import_attr ("heapq", "heappush")) == NULL
      || (heappop = import_attr ("heapq", "heappop")) == NULL
      || (deque_type = (PyTypeObject *) import_attr ("collections", "deque")) == NULL
      || (deque_append = PyObject_GetAttrString ((PyObject *) deque_type, "append")) == NULL
      || (deque_popleft = PyObject_GetAttrString ((PyObject *) deque_type, "popleft")) == NULL
      || (str_run = PyUnicode_InternFromString ("_run")) == NULL
      || (str_scheduled = PyUnicode_InternFromString ("_scheduled")) == NULL
      || (min_timers = import_attr ("asyncio.base_events", "_MIN_SCHEDULED_TIMER_HANDLES")) == NULL
      || (fraction = import_attr ("asyncio.base_events", "_MIN_CANCELLED_TIMER_HANDLES_FRACTION")) == NULL)
    goto error;
  min_cancelled_timers = PyLong_AsSsize_t (min_timers);
  max_cancelled_fraction = PyFloat_AsDouble (fraction);
  Py_CLEAR (min_timers);
  Py_CLEAR (fraction);
  if (PyErr_Occurred ())
    return NULL;
  if (PyType_Ready (&LoopCore_Type) < 0 || PyType_Ready (&TimerEntry_Type) < 0
      || PyType_Ready (&SocketCore_Type) < 0)
    return NULL;
  if ((asyncio_logger = import_attr ("asyncio.log", "logger")) == NULL)
    return NULL;
  else
    {
      PyObject *threshold = import_attr ("asyncio.constants", "LOG_THRESHOLD_FOR_CONNLOST_WRITES");

      if (threshold == NULL)
        return NULL;
      log_threshold_for_connlost_writes = PyLong_AsLong (threshold);
      Py_DECREF (threshold);
      if (PyErr_Occurred ())
        return NULL;
    }
  module = PyModule_Create (&speedups_module);
  if (module == NULL)
    return NULL;
  if (PyModule_AddObjectRef (module, "LoopCore", (PyObject *) &LoopCore_Type) < 0
      || PyModule_AddObjectRef (module, "SocketCore", (PyObject *) &SocketCore_Type) < 0)
    {
      Py_DECREF (module);
      return NULL;
    }
  return module;

error:
  Py_XDECREF (min_timers);
  Py_XDECREF (fraction);
  return NULL;
}
