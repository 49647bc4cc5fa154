/**
 * A pickle reader that executes nothing. A pickle is a program for Python's unpickler: GLOBAL imports any
 * name and REDUCE calls it, which is how a checkpoint runs code when torch.load reads it without
 * weights_only. This reader, like torch's own weights-only unpickler, knows the opcodes torch.save writes
 * (protocol 2, and the protocol 4 forms plain pickle.dump writes), resolves a name only if it is on a
 * short allow-list of what state dicts are made of, and interprets each allowed call itself: nothing is
 * ever imported or called. Any other name stops the read with one line naming it.
 *
 * Every resource is bounded before it is used: the bytes (the caller's), the memo, the MARK depth, the
 * operations, the tensors; values are plain data, and the walk that flattens them has a depth limit and
 * stops at a cycle.
 */
import { NetcensusError } from '../../errors.js';
import { terminalText as shown } from '../../format/escape.js';

/** A storage a tensor views, as torch.save's persistent id names it (its data lives elsewhere). */
export interface PyStorage {
  t: 'storage';
  key: string;
  /** The storage class's dtype; undefined for UntypedStorage (bytes; the tensor says its dtype). */
  dtype: string | undefined;
  /** Elements of `dtype`, or bytes for an untyped storage. */
  size: number;
  location: string;
}

/** A tensor rebuilt symbolically: its storage (none on the meta device), view and dtype. */
export interface PyTensor {
  t: 'tensor';
  storage: PyStorage | null;
  offset: number;
  size: number[];
  stride: number[];
  dtype: string;
  parameter: boolean;
}

export interface PyGlobal {
  t: 'global';
  name: string;
}
export interface PyTuple {
  t: 'tuple';
  items: PyValue[];
}
export interface PyList {
  t: 'list';
  items: PyValue[];
}
export interface PyDict {
  t: 'dict';
  map: Map<string | number | boolean | null, PyValue>;
}
export type PyValue =
  null | boolean | number | bigint | string | Uint8Array | PyTuple | PyList | PyDict | PyGlobal | PyStorage | PyTensor;

/** Torch's storage classes and dtypes, in safetensors' names (one vocabulary for every format). */
export const STORAGE_DTYPES: Record<string, string> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  ComplexFloatStorage: 'C64',
  ComplexDoubleStorage: 'C128',
};

export const TORCH_DTYPES: Record<string, string> = {
  float32: 'F32',
  float: 'F32',
  float64: 'F64',
  double: 'F64',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  short: 'I16',
  int8: 'I8',
  uint8: 'U8',
  uint16: 'U16',
  uint32: 'U32',
  uint64: 'U64',
  bool: 'BOOL',
  complex64: 'C64',
  cfloat: 'C64',
  complex128: 'C128',
  cdouble: 'C128',
  float8_e4m3fn: 'F8_E4M3',
  float8_e5m2: 'F8_E5M2',
  float8_e4m3fnuz: 'F8_E4M3FNUZ',
  float8_e5m2fnuz: 'F8_E5M2FNUZ',
  float8_e8m0fnu: 'F8_E8M0',
};

/** The tensor rebuild functions whose arguments this reader interprets, and the containers it builds. */
const REBUILDS = new Set([
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._tensor._rebuild_from_type_v2',
]);
const CONTAINERS = new Set(['collections.OrderedDict', 'torch.Size', 'torch.nn.parameter.Parameter', 'torch.Tensor']);

/** Python 2 names protocol 2 writes, as Python 3 reads them (pickle's own compatibility mapping, the part state dicts use). */
const RENAMED: Record<string, string> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** Whether torch.save's pickles may name it: a rebuild, a container, a storage class, a dtype. */
export function allowedGlobal(name: string): boolean {
  if (REBUILDS.has(name) || CONTAINERS.has(name)) return true;
  const m = /^torch\.(?:storage\.)?(\w+)$/.exec(name);
  return m !== null && (m[1]! in STORAGE_DTYPES || m[1] === 'UntypedStorage' || m[1]! in TORCH_DTYPES);
}

/** Why a name is refused: a function loading would call, or a class (a whole model or another object). */
export class RefusedGlobal extends NetcensusError {
  constructor(
    readonly global: string,
    what: string,
  ) {
    super(what);
  }
}

const CODE_MODULES =
  /^(os|posix|nt|sys|subprocess|builtins|shutil|socket|runpy|importlib|pickle|codecs|_codecs|io|webbrowser|pty|ctypes|operator|functools|types|marshal|code|commands|platform|multiprocessing|asyncio|http|urllib|requests)(\.|$)/;

function refusal(where: string, name: string): RefusedGlobal {
  const cls = name.split('.').pop()!;
  if (!CODE_MODULES.test(name) && (/^[A-Z]/.test(cls) || name.startsWith('__main__.')))
    return new RefusedGlobal(
      name,
      `${where} names the class ${shown(name)}: a whole model (or another object) saved with torch.save(model), which only running its code could rebuild; netcensus runs no pickle code: save model.state_dict() instead, or export ONNX`,
    );
  return new RefusedGlobal(
    name,
    `${where} names ${shown(name)}, which unpickling would call: netcensus runs no pickle code; it reads state dicts (torch.save(model.state_dict())) and safetensors`,
  );
}

export interface PickleLimits {
  memo: number;
  marks: number;
  tensors: number;
  ops: number;
}
const LIMITS: PickleLimits = { memo: 1_000_000, marks: 1_000, tensors: 1_000_000, ops: 100_000_000 };

export interface PickleResult {
  value: PyValue;
  /** Where the next pickle starts (torch.save's legacy format is several in a row). */
  end: number;
}

const intOf = (v: PyValue, what: string, fail: (m: string) => never): number => {
  const n = typeof v === 'bigint' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || (typeof v === 'bigint' && BigInt(n) !== v))
    return fail(`${what} is not a size (${describe(v)})`);
  return n;
};

const describe = (v: PyValue): string =>
  v === null
    ? 'None'
    : typeof v === 'object' && !(v instanceof Uint8Array)
      ? v.t === 'global'
        ? v.name
        : v.t
      : typeof v === 'string'
        ? 'a string'
        : typeof v;

/**
 * Reads one pickle from `bytes` at `start`. `where` names it in messages ("data.pkl in the zip");
 * `persistent` turns a persistent id (torch.save's storage reference) into a storage.
 */
export function readPickle(
  bytes: Uint8Array,
  where: string,
  persistent: (pid: PyValue, fail: (m: string) => never) => PyStorage,
  start = 0,
  limits: PickleLimits = LIMITS,
): PickleResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  let ops = 0;
  let tensors = 0;
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();
  const fail = (m: string): never => {
    throw new NetcensusError(`${where}: ${m} (at byte ${pos})`);
  };
  const need = (n: number): number => {
    if (n < 0 || pos + n > buf.length) fail('the pickle ends early');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => buf[need(1)]!;
  const pop = (): PyValue => (stack.length ? stack.pop()! : fail('the pickle pops an empty stack'));
  const top = (): PyValue => (stack.length ? stack[stack.length - 1]! : fail('the pickle reads an empty stack'));
  const popMark = (): PyValue[] => {
    const items = stack;
    stack = metastack.pop() ?? fail('the pickle closes a MARK it never opened');
    return items;
  };
  const text = (n: number): string => {
    const at = need(n);
    return buf.toString('utf8', at, at + n);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 1024) fail('a GLOBAL name is not a line');
    const s = buf.toString('utf8', pos, end);
    pos = end + 1;
    return s;
  };
  const put = (index: number): void => {
    if (index > limits.memo || (memo.size >= limits.memo && !memo.has(index)))
      fail(`the pickle's memo grows past ${limits.memo} entries`);
    memo.set(index, top());
  };
  const global = (module: string, name: string): PyValue => {
    const full = `${RENAMED[module] ?? module}.${name}`;
    if (!allowedGlobal(full)) throw refusal(where, full);
    return { t: 'global', name: full };
  };
  const container = (v: PyValue, kind: 'list' | 'dict', op: string): PyList | PyDict => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v.t !== kind)
      return fail(`${op} on ${describe(v)}, not a ${kind}`);
    return v as PyList | PyDict;
  };
  const setItem = (d: PyDict, k: PyValue, v: PyValue): void => {
    if (k !== null && typeof k === 'object') fail(`a dict key that is ${describe(k)}, not a string or a number`);
    // A bigint key is kept as its decimal text: one key type for Map lookups.
    d.map.set(typeof k === 'bigint' ? k.toString() : (k as string | number | boolean | null), v);
  };
  const tensor = (t: Omit<PyTensor, 't'>): PyTensor => {
    if (++tensors > limits.tensors) fail(`more than ${limits.tensors} tensors`);
    return { t: 'tensor', ...t };
  };
  const ints = (v: PyValue, what: string): number[] => {
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || v.t !== 'tuple')
      return fail(`${what} is ${describe(v)}, not a tuple`);
    if (v.items.length > 64) fail(`${what} has ${v.items.length} dimensions`);
    return v.items.map((x) => intOf(x, what, fail));
  };
  const storageArg = (v: PyValue): PyStorage =>
    v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && v.t === 'storage'
      ? v
      : fail(`a tensor's storage is ${describe(v)}`);
  const dtypeArg = (v: PyValue): string => {
    const name = v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && v.t === 'global' ? v.name : '';
    return TORCH_DTYPES[name.replace(/^torch\./, '')] ?? fail(`a tensor's dtype is ${describe(v)}`);
  };
  const asTensor = (v: PyValue): PyTensor =>
    v !== null && typeof v === 'object' && !(v instanceof Uint8Array) && v.t === 'tensor'
      ? v
      : fail(`a parameter's data is ${describe(v)}, not a tensor`);

  /** An allowed call, interpreted: each rebuild's arguments as torch/_utils.py defines them. */
  const call = (fn: string, args: PyValue[]): PyValue => {
    switch (fn) {
      case 'collections.OrderedDict': {
        const d: PyDict = { t: 'dict', map: new Map() };
        if (args.length > 0) fail('OrderedDict is called with arguments netcensus does not read');
        return d;
      }
      case 'torch.Size':
        return { t: 'tuple', items: ints(args[0] ?? null, 'torch.Size').map((n) => n) };
      case 'torch._utils._rebuild_tensor':
      case 'torch._utils._rebuild_tensor_v2':
      case 'torch._utils._rebuild_tensor_v3': {
        if (args.length < 4) fail(`${fn} is called with ${args.length} arguments`);
        const storage = storageArg(args[0]!);
        const dtype = fn.endsWith('_v3') ? dtypeArg(args[6] ?? null) : storage.dtype;
        if (dtype === undefined) return fail(`${fn} rebuilds a tensor on an untyped storage without a dtype`);
        return tensor({
          storage,
          offset: intOf(args[1]!, 'a storage offset', fail),
          size: ints(args[2]!, 'a tensor size'),
          stride: ints(args[3]!, 'a tensor stride'),
          dtype,
          parameter: false,
        });
      }
      case 'torch._utils._rebuild_meta_tensor_no_storage': {
        const size = ints(args[1] ?? null, 'a tensor size');
        return tensor({
          storage: null,
          offset: 0,
          size,
          stride: ints(args[2] ?? null, 'a tensor stride'),
          dtype: dtypeArg(args[0] ?? null),
          parameter: false,
        });
      }
      case 'torch._utils._rebuild_parameter':
      case 'torch._utils._rebuild_parameter_with_state':
        return { ...asTensor(args[0] ?? null), parameter: true };
      case 'torch._tensor._rebuild_from_type_v2': {
        // (func, type, args, state): a tensor with Python attributes; func must be a rebuild, type a tensor type.
        const [func, type, inner] = args;
        const name = (v: PyValue | undefined) =>
          v && typeof v === 'object' && !(v instanceof Uint8Array) && v.t === 'global' ? v.name : '';
        if (!REBUILDS.has(name(func)) || !['torch.Tensor', 'torch.nn.parameter.Parameter'].includes(name(type)))
          fail(`_rebuild_from_type_v2 rebuilds ${name(type) || describe(type ?? null)}, not a tensor`);
        if (!inner || typeof inner !== 'object' || inner instanceof Uint8Array || inner.t !== 'tuple')
          return fail('_rebuild_from_type_v2 without its arguments');
        const t = asTensor(call(name(func), inner.items));
        return name(type) === 'torch.nn.parameter.Parameter' ? { ...t, parameter: true } : t;
      }
      default:
        return fail(`${fn} is called, which netcensus does not interpret`);
    }
  };

  for (;;) {
    if (++ops > limits.ops) fail(`more than ${limits.ops} pickle operations`);
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) fail('a pickle protocol above 5');
        break;
      case 0x95: // FRAME: a length hint; the bytes follow inline
        need(8);
        break;
      case 0x2e: // STOP
        if (metastack.length) fail('the pickle stops inside a MARK');
        return { value: pop(), end: pos };
      case 0x28: // MARK
        if (metastack.length >= limits.marks) fail(`MARKs nest deeper than ${limits.marks}`);
        metastack.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({ t: 'dict', map: new Map() });
        break;
      case 0x5d: // EMPTY_LIST
        stack.push({ t: 'list', items: [] });
        break;
      case 0x29: // EMPTY_TUPLE
        stack.push({ t: 'tuple', items: [] });
        break;
      case 0x74: {
        // TUPLE (popMark replaces the stack: the items first, then the push)
        const items = popMark();
        stack.push({ t: 'tuple', items });
        break;
      }
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const n = op - 0x84;
        if (stack.length < n) fail('a tuple of more items than the stack holds');
        stack.push({ t: 'tuple', items: stack.splice(stack.length - n, n) });
        break;
      }
      case 0x6c: {
        // LIST
        const items = popMark();
        stack.push({ t: 'list', items });
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        const d: PyDict = { t: 'dict', map: new Map() };
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        stack.push(d);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        (container(top(), 'list', 'APPEND') as PyList).items.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const list = container(top(), 'list', 'APPENDS') as PyList;
        for (const v of items) list.items.push(v);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        setItem(container(top(), 'dict', 'SETITEM') as PyDict, k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = container(top(), 'dict', 'SETITEMS') as PyDict;
        if (items.length % 2) fail('SETITEMS with a key and no value');
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4a: // BININT
        stack.push(buf.readInt32LE(need(4)));
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(buf.readUInt16LE(need(2)));
        break;
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const n = op === 0x8a ? u8() : buf.readUInt32LE(need(4));
        if (n > 64) fail(`an integer of ${n} bytes`);
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]!);
        if (n > 0 && buf[at + n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
        stack.push(Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v);
        break;
      }
      case 0x47: // BINFLOAT
        stack.push(buf.readDoubleBE(need(8)));
        break;
      case 0x58: // BINUNICODE
        stack.push(text(buf.readUInt32LE(need(4))));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: {
        // BINUNICODE8
        const n = Number(buf.readBigUInt64LE(need(8)));
        stack.push(text(n));
        break;
      }
      case 0x55: // SHORT_BINSTRING: Python 2 str, read as latin-1 text as torch.load's default encoding does
      case 0x54: {
        // BINSTRING
        const n = op === 0x55 ? u8() : buf.readInt32LE(need(4));
        const at = need(n);
        stack.push(buf.toString('latin1', at, at + n));
        break;
      }
      case 0x43: // SHORT_BINBYTES
      case 0x42: {
        // BINBYTES
        const n = op === 0x43 ? u8() : buf.readUInt32LE(need(4));
        const at = need(n);
        stack.push(buf.subarray(at, at + n));
        break;
      }
      case 0x71: // BINPUT
        put(u8());
        break;
      case 0x72: // LONG_BINPUT
        put(buf.readUInt32LE(need(4)));
        break;
      case 0x94: // MEMOIZE
        put(memo.size);
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? u8() : buf.readUInt32LE(need(4));
        if (!memo.has(i)) fail(`the pickle reads memo entry ${i}, which it never wrote`);
        stack.push(memo.get(i)!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        stack.push(global(module, line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL of names that are not strings');
        stack.push(global(module as string, name as string));
        break;
      }
      case 0x69: {
        // INST: names a class inline and instantiates it
        const module = line();
        throw refusal(where, `${RENAMED[module] ?? module}.${line()}`);
      }
      case 0x51: // BINPERSID
        stack.push(persistent(pop(), fail));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (fn === null || typeof fn !== 'object' || fn instanceof Uint8Array || fn.t !== 'global')
          fail(`REDUCE calls ${describe(fn)}`);
        if (args === null || typeof args !== 'object' || args instanceof Uint8Array || args.t !== 'tuple')
          fail('REDUCE without an argument tuple');
        stack.push(call((fn as PyGlobal).name, (args as PyTuple).items));
        break;
      }
      case 0x62: {
        // BUILD: an OrderedDict's attributes (a state dict's _metadata), a parameter's state; nothing else
        pop();
        const inst = top();
        if (
          inst === null ||
          typeof inst !== 'object' ||
          inst instanceof Uint8Array ||
          !['dict', 'tensor'].includes(inst.t)
        )
          fail(`BUILD sets the state of ${describe(inst)}`);
        break;
      }
      default:
        fail(
          `pickle opcode 0x${op.toString(16).padStart(2, '0')}${op > 0x20 && op < 0x7f ? ` ("${String.fromCharCode(op)}")` : ''}, which netcensus does not read`,
        );
    }
  }
}

/** A value's tensors by path (dict keys and list indices joined by "."), and what else it holds. */
export interface Flattened {
  tensors: Array<{ name: string; tensor: PyTensor }>;
  /** Paths of values that are not tensors or containers (an epoch, a learning rate). */
  others: string[];
}

/** Walks a value iteratively, at most `maxDepth` containers deep; a container met twice is walked once. */
export function flatten(value: PyValue, where: string, maxDepth = 32): Flattened {
  const out: Flattened = { tensors: [], others: [] };
  const seen = new Set<object>();
  const todo: Array<{ v: PyValue; path: string; depth: number }> = [{ v: value, path: '', depth: 0 }];
  while (todo.length) {
    const { v, path, depth } = todo.pop()!;
    if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
      if (v.t === 'tensor') {
        out.tensors.push({ name: path, tensor: v });
        continue;
      }
      if (v.t === 'dict' || v.t === 'list' || v.t === 'tuple') {
        if (seen.has(v)) continue;
        seen.add(v);
        if (depth >= maxDepth) throw new NetcensusError(`${where}: containers nest deeper than ${maxDepth}`);
        const children: Array<[string, PyValue]> =
          v.t === 'dict' ? [...v.map].map(([k, x]) => [String(k), x]) : v.items.map((x, i) => [String(i), x]);
        // Pushed in reverse: the stack pops them in the file's order.
        for (let i = children.length - 1; i >= 0; i--) {
          const [k, x] = children[i]!;
          todo.push({ v: x, path: path === '' ? k : `${path}.${k}`, depth: depth + 1 });
        }
        continue;
      }
    }
    out.others.push(path);
  }
  return out;
}
