// A pickle interpreter that executes nothing. Pickles are programs: GLOBAL names any Python
// callable and REDUCE / NEWOBJ call it, which is how a malicious file runs code. Here a global is
// only a name; a call runs one of OUR functions looked up by that name in the caller's table
// (torch's tensor rebuilders, OrderedDict), and any other call is either refused with an error
// naming the file and the global, or kept as an inert record of what was asked (never run).
// Dicts come back as Maps, lists and sets as arrays, tuples as PickleTuple.

export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get path(): string {
    return `${this.module}.${this.name}`;
  }
}

export class PickleTuple {
  constructor(readonly items: unknown[]) {}
}

/** What a call of a global outside the table would have built: a record, never called. BUILD sets `state`. */
export class InertObject {
  state: unknown = undefined;
  constructor(
    readonly global: PickleGlobal,
    readonly args: unknown,
  ) {}
}

/**
 * Bounds on what a pickle may build, so a small file cannot make the reader exhaust memory:
 * the values on the stack and memo at once, and the items put into lists, dicts and sets in
 * all. A checkpoint's pickle (thousands of tensors, training extras) stays far below them.
 */
export const pickleLimits = { stack: 1_000_000, memo: 1_000_000, items: 4_000_000 };

export interface PickleInterpretation {
  /** Our functions for the globals the file may call (REDUCE) or instantiate (NEWOBJ), by `module.name`. */
  calls: ReadonlyMap<string, (args: unknown[], global: PickleGlobal) => unknown>;
  /** 'refuse': a call of any other global stops reading; 'inert': it becomes an InertObject. */
  otherCalls: 'refuse' | 'inert';
  /** BINPERSID: the value an out-of-band reference (torch's storages) stands for. */
  persistentLoad(id: unknown): unknown;
}

/** The error thrown for a file we refuse: the file, what it asks for, and the way out. */
export function pickleRefusal(what: string, detail: string): Error {
  return new Error(
    `${what}: refused to load — ${detail}. Only tensors, dicts, lists, strings and numbers are read (nothing is executed); convert the file to .safetensors if it holds something else`,
  );
}

/** Runs the pickle as data and returns its top-level value; `what` names the file in errors. */
export function readPickle(bytes: Buffer, what: string, interpretation: PickleInterpretation): unknown {
  const fail = (problem: string): never => {
    throw new Error(`${what}: ${problem}`);
  };
  const refuse = (detail: string): never => {
    throw pickleRefusal(what, detail);
  };
  const stack: unknown[] = [];
  const marks: number[] = [];
  const memo = new Map<number, unknown>();
  let itemCount = 0;
  let p = 0;
  const implausible = (detail: string): never => {
    throw new Error(`${what}: not a plausible embedding or checkpoint — its pickle ${detail}; it was refused without reading further (the file is damaged, or built to exhaust memory)`);
  };
  const counted = (n: number): void => {
    itemCount += n;
    if (itemCount > pickleLimits.items) implausible(`puts more than ${pickleLimits.items.toLocaleString('en')} items into lists and dicts`);
  };
  const need = (n: number): void => {
    if (p + n > bytes.length) fail('the pickle is truncated — the file is damaged');
  };
  const pop = (): unknown => {
    if (stack.length <= (marks.length ? marks[marks.length - 1] : 0)) fail(`damaged pickle (stack underflow at byte ${p - 1})`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`damaged pickle (empty stack at byte ${p - 1})`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const at = marks.pop();
    if (at === undefined) return fail('damaged pickle (no MARK)');
    return stack.splice(at);
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, p);
    if (end < 0) fail('damaged pickle (unterminated line)');
    const line = bytes.toString('latin1', p, end);
    p = end + 1;
    return line;
  };
  const call = (callable: unknown, args: unknown, verb: 'calls' | 'creates'): unknown => {
    if (!(callable instanceof PickleGlobal)) return refuse(`a call of something that is not a global (at byte ${p - 1})`);
    const ours = interpretation.calls.get(callable.path);
    if (ours) return ours(args instanceof PickleTuple ? args.items : Array.isArray(args) ? args : [args], callable);
    if (interpretation.otherCalls === 'inert') return new InertObject(callable, args);
    return refuse(`the file ${verb} ${callable.path}`);
  };
  const setItems = (items: unknown[]): void => {
    const target = top();
    counted(items.length / 2);
    if (target instanceof Map) for (let i = 0; i + 1 < items.length; i += 2) target.set(items[i], items[i + 1]);
    // a dict subclass we keep inert takes its items nowhere: nothing of it is used
    else if (!(target instanceof InertObject)) fail('damaged pickle (SETITEM on something that is not a dict)');
  };
  const appendItems = (items: unknown[]): void => {
    const target = top();
    counted(items.length);
    if (Array.isArray(target)) for (const item of items) target.push(item);
    else if (!(target instanceof InertObject)) fail('damaged pickle (APPEND to something that is not a list)');
  };
  const sized = (lengthBytes: 1 | 4 | 8): [number, number] => {
    need(lengthBytes);
    const length = lengthBytes === 1 ? bytes[p] : lengthBytes === 4 ? bytes.readUInt32LE(p) : Number(bytes.readBigUInt64LE(p));
    p += lengthBytes;
    need(length);
    const start = p;
    p += length;
    return [start, p];
  };
  for (;;) {
    if (stack.length > pickleLimits.stack) implausible(`holds more than ${pickleLimits.stack.toLocaleString('en')} values at once (at byte ${p})`);
    if (memo.size > pickleLimits.memo) implausible(`memoises more than ${pickleLimits.memo.toLocaleString('en')} values`);
    need(1);
    const op = bytes[p++];
    switch (op) {
      case 0x80: need(1); p += 1; break; // PROTO
      case 0x95: need(8); p += 8; break; // FRAME: framing only, the opcodes follow inline
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) fail('damaged pickle (the stack does not hold one value at STOP)');
        return stack[0];
      case 0x28: marks.push(stack.length); break; // MARK
      case 0x30: // POP (of a MARK when nothing is above it, as Python does)
        if (marks.length && stack.length === marks[marks.length - 1]) marks.pop();
        else pop();
        break;
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x29: stack.push(new PickleTuple([])); break; // EMPTY_TUPLE
      case 0x6c: stack.push(popMark()); break; // LIST
      case 0x91: stack.push(popMark()); break; // FROZENSET
      case 0x74: stack.push(new PickleTuple(popMark())); break; // TUPLE
      case 0x85: case 0x86: case 0x87: { // TUPLE1..3
        const n = op - 0x84;
        if (stack.length - n < (marks.length ? marks[marks.length - 1] : 0)) fail(`damaged pickle (stack underflow at byte ${p - 1})`);
        stack.push(new PickleTuple(stack.splice(stack.length - n, n)));
        break;
      }
      case 0x71: need(1); memo.set(bytes[p++], top()); break; // BINPUT
      case 0x72: need(4); memo.set(bytes.readUInt32LE(p), top()); p += 4; break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const wide = op === 0x6a;
        need(wide ? 4 : 1);
        const key = wide ? bytes.readUInt32LE(p) : bytes[p];
        p += wide ? 4 : 1;
        if (!memo.has(key)) fail(`damaged pickle (memo ${key} is read before it is written)`);
        stack.push(memo.get(key));
        break;
      }
      case 0x4b: need(1); stack.push(bytes[p++]); break; // BININT1
      case 0x4d: need(2); stack.push(bytes.readUInt16LE(p)); p += 2; break; // BININT2
      case 0x4a: need(4); stack.push(bytes.readInt32LE(p)); p += 4; break; // BININT
      case 0x8a: { // LONG1: little-endian two's complement of n bytes
        need(1);
        const n = bytes[p++];
        need(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[p + i]);
        if (n > 0 && bytes[p + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
        p += n;
        stack.push(Number(value));
        break;
      }
      case 0x47: need(8); stack.push(bytes.readDoubleBE(p)); p += 8; break; // BINFLOAT
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x8c: stack.push(bytes.toString('utf8', ...sized(1))); break; // SHORT_BINUNICODE
      case 0x58: stack.push(bytes.toString('utf8', ...sized(4))); break; // BINUNICODE
      case 0x8d: stack.push(bytes.toString('utf8', ...sized(8))); break; // BINUNICODE8
      case 0x55: stack.push(bytes.toString('latin1', ...sized(1))); break; // SHORT_BINSTRING
      case 0x54: stack.push(bytes.toString('latin1', ...sized(4))); break; // BINSTRING
      case 0x43: stack.push(Buffer.from(bytes.subarray(...sized(1)))); break; // SHORT_BINBYTES
      case 0x42: stack.push(Buffer.from(bytes.subarray(...sized(4)))); break; // BINBYTES
      case 0x63: { // GLOBAL "module\nname\n": only a name; nothing is imported
        const module = readLine();
        stack.push(new PickleGlobal(module, readLine()));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof name !== 'string' || typeof module !== 'string') fail('damaged pickle (STACK_GLOBAL without two strings)');
        stack.push(new PickleGlobal(module as string, name as string));
        break;
      }
      case 0x51: stack.push(interpretation.persistentLoad(pop())); break; // BINPERSID
      case 0x52: { const args = pop(); stack.push(call(pop(), args, 'calls')); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args, 'creates')); break; } // NEWOBJ
      case 0x62: { // BUILD: the state is recorded on inert objects, dropped elsewhere (no __setstate__ runs)
        const state = pop();
        const target = top();
        if (target instanceof InertObject) target.state = state;
        else if (typeof target !== 'object' || target === null) fail('damaged pickle (BUILD on a plain value)');
        break;
      }
      case 0x73: { const value = pop(); const key = pop(); setItems([key, value]); break; } // SETITEM
      case 0x75: setItems(popMark()); break; // SETITEMS
      case 0x61: appendItems([pop()]); break; // APPEND
      case 0x65: case 0x90: appendItems(popMark()); break; // APPENDS, ADDITEMS
      default:
        fail(`pickle opcode 0x${op.toString(16)} at byte ${p - 1} is not supported by the safe reader (nothing in the file is executed); convert the file to .safetensors`);
    }
  }
}
