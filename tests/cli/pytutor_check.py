"""tests/cli/pytutor_check.py — holds a `stackheap run --pytutor` export to the encoding of
Python Tutor's C backend (opt-cpp-backend: its vg_to_opt_trace.py and the .golden traces of
its tests), field by field, so that Python Tutor's own front end (pytutor.ts, run with
lang: 'c') can draw it:

- the document is {"code": text, "trace": [entry...]}; an entry has line, event, func_name,
  globals, ordered_globals, stack_to_render, heap, stdout (exception_msg with an exception
  or instruction_limit_reached);
- events: the first entry is a "step_line", then "call" / "step_line" / "return" /
  "exception"; the last one is a "return", an "exception" or "instruction_limit_reached";
- a frame has func_name, frame_id, unique_hash, is_highlighted (only the top one),
  is_parent, is_zombie, parent_frame_id_list, encoded_locals and ordered_varnames (the
  same names, "__return__" last when there is one); globals and ordered_globals likewise
  (the same names, in order), their values encoded as locals are;
- values: ["C_DATA", addr, type, value], ["C_STRUCT", addr, tag, [field, value]...],
  ["C_ARRAY", addr, value...], ["C_MULTIDIMENSIONAL_ARRAY", addr, [dims], value...] (the
  elements flat, as many as the dimensions' product); addresses are "0x" hex strings; a
  type is a C type name without qualifiers ("long int", "unsigned char", "pointer"), a
  struct's name its tag alone; a char is one character, "\\0" or "???"; a pointer's value
  an address;
- every field and element has its own address: fields at or after their struct's, array
  elements at increasing addresses, and no two pointers of an entry at one address (the
  front end keys its arrows by address and stops with "Assertion Failure" on a second);
- heap: each block keyed by its address, a C_ARRAY at that address.

Use: validate(load(path)) raises AssertionError with a reason; the helpers below find
values for a test's own facts.
"""
import json
import re

ADDR = re.compile(r'^0x[0-9a-f]+$')
SPECIAL = ('<UNINITIALIZED>', '<UNALLOCATED>')
ENTRY_KEYS = {'line', 'event', 'func_name', 'globals', 'ordered_globals', 'stack_to_render',
              'heap', 'stdout'}
FRAME_KEYS = {'func_name', 'frame_id', 'unique_hash', 'is_highlighted', 'is_parent',
              'is_zombie', 'parent_frame_id_list', 'encoded_locals', 'ordered_varnames'}
EVENTS = {'step_line', 'call', 'return', 'exception', 'instruction_limit_reached'}


def load(path):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def addr(a):
    assert isinstance(a, str) and ADDR.match(a), 'not an address: %r' % (a,)
    return int(a, 16)


def check_value(v, pointers, where):
    assert isinstance(v, list) and v, '%s: not an encoded value: %r' % (where, v)
    kind = v[0]
    if kind == 'C_DATA':
        assert len(v) == 4, '%s: C_DATA has 4 items: %r' % (where, v)
        at = addr(v[1])
        typ, val = v[2], v[3]
        assert isinstance(typ, str) and typ, '%s: no type' % where
        assert not typ.startswith(('struct ', 'union ', 'enum ', 'const ', 'volatile ')), \
            '%s: type %r is not as the backend writes it' % (where, typ)
        assert not typ.endswith('*'), '%s: a pointer is typed "pointer", not %r' % (where, typ)
        if val in SPECIAL:
            pass
        elif typ == 'pointer':
            addr(val)
            assert at not in pointers, '%s: a second pointer at %s' % (where, v[1])
            pointers.add(at)
        elif typ == 'char':
            assert isinstance(val, str) and (len(val) == 1 or val in ('\\0', '???')), \
                '%s: a char is one character: %r' % (where, val)
        elif typ in ('float', 'double', 'f32', 'f64'):
            assert isinstance(val, (int, float)) and not isinstance(val, bool), \
                '%s: %r is not a number' % (where, val)
        else:
            assert isinstance(val, int) and not isinstance(val, bool), \
                '%s: %s value %r is not an integer' % (where, typ, val)
            if typ.startswith('unsigned') or 'unsigned' in typ or typ == 'size_t':
                assert val >= 0, '%s: unsigned %s is %d' % (where, typ, val)
            if typ == 'unsigned char':
                assert 0 <= val <= 255, '%s: a byte is %d' % (where, val)
        return at
    if kind == 'C_STRUCT':
        at = addr(v[1])
        assert isinstance(v[2], str) and not v[2].startswith(('struct ', 'union ')), \
            '%s: struct name %r' % (where, v[2])
        seen = set()
        for field in v[3:]:
            assert isinstance(field, list) and len(field) == 2 and isinstance(field[0], str), \
                '%s: a field is [name, value]: %r' % (where, field)
            fat = check_value(field[1], pointers, where + '.' + field[0])
            assert fat >= at, '%s.%s: at %x, before its struct at %x' % (where, field[0], fat, at)
            assert fat not in seen, '%s.%s: a second field at %x' % (where, field[0], fat)
            seen.add(fat)
        return at
    if kind == 'C_ARRAY':
        at = addr(v[1])
        prev = None
        for i, e in enumerate(v[2:]):
            eat = check_value(e, pointers, '%s[%d]' % (where, i))
            assert eat >= at, '%s[%d]: before its array' % (where, i)
            assert prev is None or eat > prev, '%s[%d]: not after the element before' % (where, i)
            prev = eat
        return at
    if kind == 'C_MULTIDIMENSIONAL_ARRAY':
        at = addr(v[1])
        dims = v[2]
        assert isinstance(dims, list) and len(dims) >= 2 and all(
            isinstance(n, int) and n > 0 for n in dims), '%s: dimensions %r' % (where, dims)
        count = 1
        for n in dims:
            count *= n
        assert len(v) - 3 == count, '%s: %d elements for %r' % (where, len(v) - 3, dims)
        prev = None
        for i, e in enumerate(v[3:]):
            eat = check_value(e, pointers, '%s[%d]' % (where, i))
            assert eat >= at and (prev is None or eat > prev), '%s[%d]: out of order' % (where, i)
            prev = eat
        return at
    raise AssertionError('%s: unknown value kind %r' % (where, kind))


def validate(doc):
    assert set(doc) >= {'code', 'trace'} and isinstance(doc['code'], str), 'not an OPT trace'
    tr = doc['trace']
    assert tr, 'an empty trace'
    nlines = doc['code'].count('\n') + 1
    for i, e in enumerate(tr):
        where = 'entry %d' % i
        assert ENTRY_KEYS <= set(e), '%s: missing %s' % (where, ENTRY_KEYS - set(e))
        assert e['event'] in EVENTS, '%s: event %r' % (where, e['event'])
        if e['event'] in ('exception', 'instruction_limit_reached'):
            assert isinstance(e.get('exception_msg'), str), '%s: no exception_msg' % where
        assert isinstance(e['line'], int) and 1 <= e['line'] <= nlines, \
            '%s: line %r is not in the code' % (where, e['line'])
        pointers = set()
        assert isinstance(e['globals'], dict) and e['ordered_globals'] == list(e['globals']), \
            '%s: ordered_globals %r' % (where, e['ordered_globals'])
        for name, v in e['globals'].items():
            check_value(v, pointers, '%s global %s' % (where, name))
        frames = e['stack_to_render']
        for k, f in enumerate(frames):
            fw = '%s %s' % (where, f.get('func_name'))
            assert FRAME_KEYS <= set(f), '%s: missing %s' % (fw, FRAME_KEYS - set(f))
            assert f['is_highlighted'] is (k == len(frames) - 1), '%s: is_highlighted' % fw
            assert f['unique_hash'] == '%s_f%s' % (f['func_name'], f['frame_id'])
            assert f['ordered_varnames'] == list(f['encoded_locals']), \
                '%s: ordered_varnames %r' % (fw, f['ordered_varnames'])
            if '__return__' in f['encoded_locals']:
                assert e['event'] == 'return' and k == len(frames) - 1, \
                    '%s: __return__ outside a return' % fw
                assert f['ordered_varnames'][-1] == '__return__'
            for name, v in f['encoded_locals'].items():
                check_value(v, pointers, '%s %s' % (fw, name))
        assert len({f['frame_id'] for f in frames}) == len(frames), '%s: frame ids repeat' % where
        for key, v in e['heap'].items():
            assert isinstance(v, list) and v[0] == 'C_ARRAY' and v[1] == key, \
                '%s: heap block %s is not a C_ARRAY at its key' % (where, key)
            check_value(v, pointers, '%s heap %s' % (where, key))
        if i > 0:
            assert e['stdout'].startswith(tr[i - 1]['stdout']), '%s: stdout is cumulative' % where
    assert tr[0]['event'] == 'step_line', 'the first entry is a step_line: %r' % tr[0]['event']
    assert tr[-1]['event'] in ('return', 'exception', 'instruction_limit_reached'), \
        'the last entry: %r' % tr[-1]['event']
    assert sum(e['event'] == 'instruction_limit_reached' for e in tr) <= 1
    return doc


def top(e):
    return e['stack_to_render'][-1]


def glob(e, name):
    return e['globals'].get(name)


def local(e, name, frame=-1):
    return e['stack_to_render'][frame]['encoded_locals'].get(name)


def field(v, name):
    assert v[0] == 'C_STRUCT', v
    return next(x for n, x in v[3:] if n == name)


def code_line(doc, line):
    return doc['code'].split('\n')[line - 1]
