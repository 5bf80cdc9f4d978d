// The graph builder: values with a dtype and a static shape, nodes in creation (= topological)
// order, initialisers inline or pointing into an external file. Op constructors check shapes
// eagerly so a mistake surfaces where the graph is built, not inside ONNX Runtime.
import { DType, encodeTensorBytes } from './dtype';
import { ShapeError, broadcastShapes, convOutputSize, normaliseAxis, shapeText, sizeOf } from './shapeInference';

export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'string'; value: string };

export interface Node {
  readonly opType: string;
  readonly name: string;
  /** `undefined` is an omitted optional input (serialised as ''). */
  readonly inputs: readonly (Value | undefined)[];
  readonly outputs: readonly Value[];
  readonly attributes: Readonly<Record<string, Attribute>>;
}

export type ValueSource =
  | { kind: 'input' }
  | { kind: 'node'; node: Node; index: number }
  | { kind: 'constant'; bytes: Uint8Array; numbers: readonly number[] }
  | { kind: 'external'; location: string; offset: number; length: number };

export class Value {
  constructor(
    readonly graph: Graph,
    public name: string,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly source: ValueSource,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The node producing this value, if any. */
  get producer(): Node | undefined {
    return this.source.kind === 'node' ? this.source.node : undefined;
  }

  toString(): string {
    return `${this.name}:${this.dtype}${shapeText(this.shape)}`;
  }
}

export interface ConvOptions {
  strides?: number[];
  /** ONNX order: all begins then all ends, e.g. [top, left, bottom, right]. */
  pads?: number[];
  dilations?: number[];
  group?: number;
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: number[];
}

export interface ExternalTensorSpec {
  dtype: DType;
  shape: readonly number[];
  /** File name relative to the folder of the .onnx (ORT refuses absolute paths and `..`). */
  location: string;
  offset: number;
  length: number;
}

const constantCacheLimit = 64;

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly initializers: Value[] = [];
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Value>();
  private counter = 0;

  constructor(readonly name = 'graph') {}

  // ---------- values ----------

  private uniqueName(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, dtype: DType, shape: readonly number[]): Value {
    if (this.names.has(name)) throw new Error(`graph input '${name}': the name is already used`);
    checkShape('input', shape);
    const v = new Value(this, this.uniqueName(name), dtype, [...shape], { kind: 'input' });
    this.inputs.push(v);
    return v;
  }

  /** Marks `value` as a graph output. A produced value is renamed; an input/initialiser gets an Identity. */
  output(value: Value, name?: string): Value {
    this.assertOwn('output', value);
    let out = value;
    if (name !== undefined && name !== value.name) {
      if (this.names.has(name)) throw new Error(`graph output '${name}': the name is already used`);
      if (value.source.kind === 'node' && !this.outputs.includes(value)) {
        this.names.delete(value.name);
        value.name = this.uniqueName(name);
      } else {
        out = this.addNode('Identity', [value], [{ dtype: value.dtype, shape: value.shape }], {}, name)[0];
      }
    } else if (this.outputs.includes(value)) {
      return value;
    }
    this.outputs.push(out);
    return out;
  }

  /** An inline initialiser. Small constants are shared, so repeated scalars cost nothing. */
  constant(values: ArrayLike<number>, shape: readonly number[], dtype: DType, name?: string): Value {
    checkShape('constant', shape);
    if (values.length !== sizeOf(shape)) {
      throw new ShapeError('constant', `${values.length} values given for shape ${shapeText(shape)}`);
    }
    const small = values.length <= constantCacheLimit;
    const numbers = small ? Array.from(values) : [];
    const key = small && name === undefined ? `${dtype}|${shape.join(',')}|${numbers.join(',')}` : undefined;
    const cached = key ? this.constantCache.get(key) : undefined;
    if (cached) return cached;
    const v = new Value(this, this.uniqueName(name ?? `const_${this.initializers.length}`), dtype, [...shape], {
      kind: 'constant',
      bytes: encodeTensorBytes(values, dtype),
      numbers,
    });
    this.initializers.push(v);
    if (key) this.constantCache.set(key, v);
    return v;
  }

  scalar(x: number, dtype: DType): Value {
    return this.constant([x], [], dtype);
  }

  /** int64 vector constant, the form ONNX wants for shapes, axes, starts/ends. */
  ints(values: readonly number[]): Value {
    return this.constant(values, [values.length], 'int64');
  }

  /** An initialiser read from `location` (relative to the .onnx) at a byte offset: nothing is copied. */
  externalTensor(name: string, spec: ExternalTensorSpec): Value {
    checkShape('externalTensor', spec.shape);
    const expected = sizeOf(spec.shape) * bytesOf(spec.dtype);
    if (spec.length !== expected) {
      throw new Error(`external tensor '${name}': ${spec.length} bytes at offset ${spec.offset} of ${spec.location}, but ${spec.dtype}${shapeText(spec.shape)} needs ${expected}`);
    }
    if (spec.location.startsWith('/') || spec.location.split(/[\\/]/).includes('..') || /^[A-Za-z]:/.test(spec.location)) {
      throw new Error(`external tensor '${name}': location '${spec.location}' must be a plain path inside the model's folder (ONNX Runtime refuses absolute paths and '..'); use placeModelForCheckpoint()`);
    }
    if (this.names.has(name)) throw new Error(`external tensor '${name}': the name is already used`);
    const v = new Value(this, this.uniqueName(name), spec.dtype, [...spec.shape], {
      kind: 'external',
      location: spec.location,
      offset: spec.offset,
      length: spec.length,
    });
    this.initializers.push(v);
    return v;
  }

  /** The numbers of a small constant (shape/axes inputs), or undefined if not a known constant. */
  constantNumbers(value: Value | undefined): readonly number[] | undefined {
    return value?.source.kind === 'constant' && value.source.numbers.length === value.size ? value.source.numbers : undefined;
  }

  // ---------- nodes ----------

  /** Low-level node creation; op methods below check shapes and call this. */
  addNode(
    opType: string,
    inputs: readonly (Value | undefined)[],
    outputs: readonly { dtype: DType; shape: readonly number[] }[],
    attributes: Record<string, Attribute> = {},
    outputName?: string,
  ): Value[] {
    for (const v of inputs) if (v) this.assertOwn(opType, v);
    const nodeName = this.uniqueName(`${opType}_${this.nodes.length}`);
    const node: { opType: string; name: string; inputs: (Value | undefined)[]; outputs: Value[]; attributes: Record<string, Attribute> } = {
      opType,
      name: nodeName,
      inputs: [...inputs],
      outputs: [],
      attributes,
    };
    outputs.forEach((o, index) => {
      const base = outputName && index === 0 ? outputName : `${nodeName}_out${index}`;
      node.outputs.push(new Value(this, this.uniqueName(base), o.dtype, [...o.shape], { kind: 'node', node, index }));
    });
    this.nodes.push(node);
    return node.outputs;
  }

  private assertOwn(opType: string, v: Value): void {
    if (v.graph !== this) throw new Error(`${opType}: value ${v.name} belongs to another graph`);
  }

  private single(opType: string, inputs: (Value | undefined)[], dtype: DType, shape: readonly number[], attributes: Record<string, Attribute> = {}): Value {
    return this.addNode(opType, inputs, [{ dtype, shape }], attributes)[0];
  }

  // ---------- elementwise ----------

  private binary(opType: string, a: Value, b: Value): Value {
    sameDType(opType, a, b);
    return this.single(opType, [a, b], a.dtype, broadcastShapes(opType, [a.shape, b.shape]));
  }

  add(a: Value, b: Value): Value { return this.binary('Add', a, b); }
  sub(a: Value, b: Value): Value { return this.binary('Sub', a, b); }
  mul(a: Value, b: Value): Value { return this.binary('Mul', a, b); }
  div(a: Value, b: Value): Value { return this.binary('Div', a, b); }
  pow(a: Value, b: Value): Value { return this.binary('Pow', a, b); }

  private unary(opType: string, x: Value, attributes: Record<string, Attribute> = {}): Value {
    return this.single(opType, [x], x.dtype, x.shape, attributes);
  }

  sqrt(x: Value): Value { return this.unary('Sqrt', x); }
  neg(x: Value): Value { return this.unary('Neg', x); }
  exp(x: Value): Value { return this.unary('Exp', x); }
  log(x: Value): Value { return this.unary('Log', x); }
  erf(x: Value): Value { return this.unary('Erf', x); }
  tanh(x: Value): Value { return this.unary('Tanh', x); }
  sigmoid(x: Value): Value { return this.unary('Sigmoid', x); }
  sin(x: Value): Value { return this.unary('Sin', x); }
  cos(x: Value): Value { return this.unary('Cos', x); }
  identity(x: Value): Value { return this.unary('Identity', x); }
  /** Exact GELU (erf form), ONNX Gelu-20. */
  gelu(x: Value): Value { return this.unary('Gelu', x); }
  /** CLIP's QuickGELU: x · sigmoid(1.702 x). */
  quickGelu(x: Value): Value { return this.mul(x, this.sigmoid(this.mul(x, this.scalar(1.702, x.dtype)))); }
  /** SiLU / swish: x · sigmoid(x). */
  silu(x: Value): Value { return this.mul(x, this.sigmoid(x)); }

  where(condition: Value, a: Value, b: Value): Value {
    if (condition.dtype !== 'bool') throw new ShapeError('Where', `condition must be bool, got ${condition.dtype}`);
    sameDType('Where', a, b);
    return this.single('Where', [condition, a, b], a.dtype, broadcastShapes('Where', [condition.shape, a.shape, b.shape]));
  }

  cast(x: Value, to: DType): Value {
    if (x.dtype === to) return x;
    return this.single('Cast', [x], to, x.shape, { to: { type: 'int', value: onnxTypeCode(to) } });
  }

  // ---------- linear algebra ----------

  matMul(a: Value, b: Value): Value {
    sameDType('MatMul', a, b);
    if (a.rank < 2 || b.rank < 2) throw new ShapeError('MatMul', `needs rank >= 2, got ${shapeText(a.shape)} and ${shapeText(b.shape)} (reshape vectors to matrices)`);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) throw new ShapeError('MatMul', `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not match (inner dimensions ${k} vs ${k2})`);
    let batch: number[];
    try {
      batch = broadcastShapes('MatMul', [a.shape.slice(0, -2), b.shape.slice(0, -2)]);
    } catch {
      throw new ShapeError('MatMul', `batch dimensions of ${shapeText(a.shape)} and ${shapeText(b.shape)} cannot be broadcast together`);
    }
    return this.single('MatMul', [a, b], a.dtype, [...batch, m, n]);
  }

  /** Y = alpha · op(A) · op(B) + beta · C, with A, B matrices. */
  gemm(a: Value, b: Value, c?: Value, options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): Value {
    sameDType('Gemm', a, b);
    if (a.rank !== 2 || b.rank !== 2) throw new ShapeError('Gemm', `needs matrices, got ${shapeText(a.shape)} and ${shapeText(b.shape)}`);
    const [m, k] = options.transA ? [a.shape[1], a.shape[0]] : a.shape;
    const [k2, n] = options.transB ? [b.shape[1], b.shape[0]] : b.shape;
    if (k !== k2) throw new ShapeError('Gemm', `shapes ${shapeText(a.shape)} and ${shapeText(b.shape)} do not match (inner dimensions ${k} vs ${k2}, transA=${!!options.transA}, transB=${!!options.transB})`);
    if (c) {
      sameDType('Gemm', a, c);
      const s = broadcastShapes('Gemm', [c.shape, [m, n]]);
      if (s[0] !== m || s[1] !== n) throw new ShapeError('Gemm', `C ${shapeText(c.shape)} does not broadcast to [${m},${n}]`);
    }
    const attributes: Record<string, Attribute> = {};
    if (options.transA) attributes.transA = { type: 'int', value: 1 };
    if (options.transB) attributes.transB = { type: 'int', value: 1 };
    if (options.alpha !== undefined && options.alpha !== 1) attributes.alpha = { type: 'float', value: options.alpha };
    if (options.beta !== undefined && options.beta !== 1) attributes.beta = { type: 'float', value: options.beta };
    return this.single('Gemm', c ? [a, b, c] : [a, b], a.dtype, [m, n], attributes);
  }

  /** Convolution over N,C,spatial… with weights [M, C/group, k…] and optional bias [M]. */
  conv(x: Value, w: Value, b?: Value, options: ConvOptions = {}): Value {
    sameDType('Conv', x, w);
    const spatial = x.rank - 2;
    if (spatial < 1 || w.rank !== x.rank) throw new ShapeError('Conv', `input ${shapeText(x.shape)} and weight ${shapeText(w.shape)} must have the same rank >= 3`);
    const group = options.group ?? 1;
    const { strides, pads, dilations } = convAttrs(spatial, options);
    if (x.shape[1] !== w.shape[1] * group) throw new ShapeError('Conv', `input ${shapeText(x.shape)} has ${x.shape[1]} channels but weight ${shapeText(w.shape)} with group ${group} expects ${w.shape[1] * group}`);
    if (w.shape[0] % group !== 0) throw new ShapeError('Conv', `weight ${shapeText(w.shape)}: ${w.shape[0]} output channels not divisible by group ${group}`);
    if (b) {
      sameDType('Conv', x, b);
      if (b.rank !== 1 || b.shape[0] !== w.shape[0]) throw new ShapeError('Conv', `bias ${shapeText(b.shape)} must be [${w.shape[0]}] for weight ${shapeText(w.shape)}`);
    }
    const out = [x.shape[0], w.shape[0]];
    for (let i = 0; i < spatial; i++) {
      const o = convOutputSize(x.shape[i + 2], w.shape[i + 2], strides[i], pads[i], pads[i + spatial], dilations[i]);
      if (o < 1) throw new ShapeError('Conv', `input ${shapeText(x.shape)} is smaller than kernel ${shapeText(w.shape)} (after padding)`);
      out.push(o);
    }
    return this.single('Conv', b ? [x, w, b] : [x, w], x.dtype, out, {
      kernel_shape: { type: 'ints', value: w.shape.slice(2) },
      strides: { type: 'ints', value: strides },
      pads: { type: 'ints', value: pads },
      dilations: { type: 'ints', value: dilations },
      group: { type: 'int', value: group },
    });
  }

  /** Transposed convolution; weights [Cin, Cout/group, k…]. */
  convTranspose(x: Value, w: Value, b?: Value, options: ConvTransposeOptions = {}): Value {
    sameDType('ConvTranspose', x, w);
    const spatial = x.rank - 2;
    if (spatial < 1 || w.rank !== x.rank) throw new ShapeError('ConvTranspose', `input ${shapeText(x.shape)} and weight ${shapeText(w.shape)} must have the same rank >= 3`);
    const group = options.group ?? 1;
    const { strides, pads, dilations } = convAttrs(spatial, options);
    const outputPadding = options.outputPadding ?? new Array(spatial).fill(0);
    if (x.shape[1] !== w.shape[0]) throw new ShapeError('ConvTranspose', `input ${shapeText(x.shape)} has ${x.shape[1]} channels but weight ${shapeText(w.shape)} expects ${w.shape[0]}`);
    if (x.shape[1] % group !== 0) throw new ShapeError('ConvTranspose', `${x.shape[1]} input channels not divisible by group ${group}`);
    const cout = w.shape[1] * group;
    if (b) {
      sameDType('ConvTranspose', x, b);
      if (b.rank !== 1 || b.shape[0] !== cout) throw new ShapeError('ConvTranspose', `bias ${shapeText(b.shape)} must be [${cout}] for weight ${shapeText(w.shape)}`);
    }
    const out = [x.shape[0], cout];
    for (let i = 0; i < spatial; i++) {
      out.push(strides[i] * (x.shape[i + 2] - 1) + outputPadding[i] + (w.shape[i + 2] - 1) * dilations[i] + 1 - pads[i] - pads[i + spatial]);
    }
    const attributes: Record<string, Attribute> = {
      kernel_shape: { type: 'ints', value: w.shape.slice(2) },
      strides: { type: 'ints', value: strides },
      pads: { type: 'ints', value: pads },
      dilations: { type: 'ints', value: dilations },
      group: { type: 'int', value: group },
    };
    if (outputPadding.some((p) => p !== 0)) attributes.output_padding = { type: 'ints', value: outputPadding };
    return this.single('ConvTranspose', b ? [x, w, b] : [x, w], x.dtype, out, attributes);
  }

  // ---------- normalisation and reductions ----------

  softmax(x: Value, axis = -1): Value {
    return this.unary('Softmax', x, { axis: { type: 'int', value: normaliseAxis('Softmax', axis, x.rank) } });
  }

  /** LayerNormalization-17 over dims axis..end; scale and bias have shape x.shape[axis:]. */
  layerNorm(x: Value, scale: Value, bias: Value | undefined, axis = -1, epsilon = 1e-5): Value {
    const a = normaliseAxis('LayerNormalization', axis, x.rank);
    const normShape = x.shape.slice(a);
    for (const p of bias ? [scale, bias] : [scale]) {
      sameDType('LayerNormalization', x, p);
      if (shapeText(p.shape) !== shapeText(normShape)) throw new ShapeError('LayerNormalization', `scale/bias ${shapeText(p.shape)} must be ${shapeText(normShape)} for input ${shapeText(x.shape)} and axis ${axis}`);
    }
    // Mean and InvStdDev are declared so the gradient can reuse them; the serialiser omits them
    // unless something reads them. ORT has no float64 kernel with them requested: not declared there.
    const statShape = x.shape.map((d, i) => (i < a ? d : 1));
    const outputs = [{ dtype: x.dtype, shape: x.shape }];
    if (x.dtype !== 'float64') outputs.push({ dtype: 'float32', shape: statShape }, { dtype: 'float32', shape: statShape });
    return this.addNode('LayerNormalization', bias ? [x, scale, bias] : [x, scale], outputs, {
      axis: { type: 'int', value: a },
      epsilon: { type: 'float', value: epsilon },
    })[0];
  }

  /** GroupNormalization-21: x [N,C,…], per-channel scale and bias [C]. */
  groupNorm(x: Value, scale: Value, bias: Value, groups: number, epsilon = 1e-5): Value {
    if (x.rank < 3) throw new ShapeError('GroupNormalization', `input ${shapeText(x.shape)} must be [N,C,…]`);
    const c = x.shape[1];
    if (c % groups !== 0) throw new ShapeError('GroupNormalization', `${c} channels of ${shapeText(x.shape)} not divisible into ${groups} groups`);
    for (const p of [scale, bias]) {
      sameDType('GroupNormalization', x, p);
      if (p.rank !== 1 || p.shape[0] !== c) throw new ShapeError('GroupNormalization', `scale/bias ${shapeText(p.shape)} must be [${c}] for input ${shapeText(x.shape)}`);
    }
    const attributes: Record<string, Attribute> = {
      num_groups: { type: 'int', value: groups },
      epsilon: { type: 'float', value: epsilon },
    };
    // Without stash_type = double, ORT computes float64 statistics in float32.
    if (x.dtype === 'float64') attributes.stash_type = { type: 'int', value: 11 };
    return this.single('GroupNormalization', [x, scale, bias], x.dtype, x.shape, attributes);
  }

  private reduce(opType: string, x: Value, axes: number[] | undefined, keepDims: boolean): Value {
    const all = axes === undefined || axes.length === 0;
    const norm = all ? x.shape.map((_, i) => i) : axes.map((a) => normaliseAxis(opType, a, x.rank));
    const out: number[] = [];
    x.shape.forEach((d, i) => {
      if (!norm.includes(i)) out.push(d);
      else if (keepDims) out.push(1);
    });
    return this.single(opType, all ? [x] : [x, this.ints(norm)], x.dtype, out, { keepdims: { type: 'int', value: keepDims ? 1 : 0 } });
  }

  /** ReduceMean-18 (axes as an input). No axes = all. */
  reduceMean(x: Value, axes?: number[], keepDims = true): Value { return this.reduce('ReduceMean', x, axes, keepDims); }
  reduceSum(x: Value, axes?: number[], keepDims = true): Value { return this.reduce('ReduceSum', x, axes, keepDims); }

  // ---------- shape ops ----------

  /** Reshape to a static shape; one -1 is inferred, 0 copies the input dim. */
  reshape(x: Value, shape: readonly number[]): Value {
    const resolved = shape.map((d, i) => (d === 0 ? x.shape[i] : d));
    const known = resolved.filter((d) => d !== -1);
    const inferred = resolved.length - known.length;
    if (inferred > 1) throw new ShapeError('Reshape', `more than one -1 in ${shapeText(shape)}`);
    if (inferred === 1) {
      const rest = sizeOf(known);
      if (rest === 0 || x.size % rest !== 0) throw new ShapeError('Reshape', `cannot reshape ${shapeText(x.shape)} to ${shapeText(shape)}`);
      resolved[resolved.indexOf(-1)] = x.size / rest;
    }
    if (sizeOf(resolved) !== x.size) throw new ShapeError('Reshape', `cannot reshape ${shapeText(x.shape)} (${x.size} elements) to ${shapeText(shape)}`);
    if (shapeText(resolved) === shapeText(x.shape)) return x;
    return this.single('Reshape', [x, this.ints(resolved)], x.dtype, resolved);
  }

  transpose(x: Value, perm: readonly number[]): Value {
    if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
      throw new ShapeError('Transpose', `perm [${perm.join(',')}] is not a permutation for input ${shapeText(x.shape)}`);
    }
    if (perm.every((p, i) => p === i)) return x;
    return this.single('Transpose', [x], x.dtype, perm.map((p) => x.shape[p]), { perm: { type: 'ints', value: [...perm] } });
  }

  /** Slice-13 with constant starts/ends/axes/steps (numpy semantics, ends clamped). */
  slice(x: Value, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): Value {
    const ax = (axes ?? starts.map((_, i) => i)).map((a) => normaliseAxis('Slice', a, x.rank));
    const st = steps ?? starts.map(() => 1);
    if (ends.length !== starts.length || ax.length !== starts.length || st.length !== starts.length) {
      throw new ShapeError('Slice', `starts/ends/axes/steps must have the same length for input ${shapeText(x.shape)}`);
    }
    const out = [...x.shape];
    ax.forEach((a, i) => {
      const [s, e] = resolveSliceRange(x.shape[a], starts[i], ends[i], st[i]);
      if (st[i] === 0) throw new ShapeError('Slice', 'step 0');
      out[a] = Math.max(0, Math.ceil((e - s) / st[i]));
    });
    const inputs = [x, this.ints([...starts]), this.ints([...ends]), this.ints(ax)];
    if (st.some((s) => s !== 1)) inputs.push(this.ints([...st]));
    return this.single('Slice', inputs, x.dtype, out);
  }

  /** Split-18 into pieces of the given sizes along `axis`. */
  split(x: Value, sizes: readonly number[], axis = 0): Value[] {
    const a = normaliseAxis('Split', axis, x.rank);
    if (sizes.reduce((s, d) => s + d, 0) !== x.shape[a]) throw new ShapeError('Split', `sizes [${sizes.join(',')}] do not add up to dim ${a} of ${shapeText(x.shape)}`);
    return this.addNode(
      'Split',
      [x, this.ints([...sizes])],
      sizes.map((d) => ({ dtype: x.dtype, shape: x.shape.map((s, i) => (i === a ? d : s)) })),
      { axis: { type: 'int', value: a } },
    );
  }

  concat(values: readonly Value[], axis: number): Value {
    if (values.length === 0) throw new ShapeError('Concat', 'no inputs');
    const first = values[0];
    const a = normaliseAxis('Concat', axis, first.rank);
    let total = 0;
    for (const v of values) {
      sameDType('Concat', first, v);
      if (v.rank !== first.rank || v.shape.some((d, i) => i !== a && d !== first.shape[i])) {
        throw new ShapeError('Concat', `shapes ${values.map((x) => shapeText(x.shape)).join(' and ')} differ outside axis ${a}`);
      }
      total += v.shape[a];
    }
    if (values.length === 1) return first;
    return this.single('Concat', [...values], first.dtype, first.shape.map((d, i) => (i === a ? total : d)), { axis: { type: 'int', value: a } });
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    const rank = x.rank + axes.length;
    const norm = axes.map((a) => normaliseAxis('Unsqueeze', a, rank));
    const out: number[] = [];
    let j = 0;
    for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : x.shape[j++]);
    return this.single('Unsqueeze', [x, this.ints(norm)], x.dtype, out);
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    const norm = axes.map((a) => normaliseAxis('Squeeze', a, x.rank));
    for (const a of norm) if (x.shape[a] !== 1) throw new ShapeError('Squeeze', `dim ${a} of ${shapeText(x.shape)} is not 1`);
    return this.single('Squeeze', [x, this.ints(norm)], x.dtype, x.shape.filter((_, i) => !norm.includes(i)));
  }

  expand(x: Value, shape: readonly number[]): Value {
    const out = broadcastShapes('Expand', [x.shape, shape]);
    if (shapeText(out) === shapeText(x.shape)) return x;
    return this.single('Expand', [x, this.ints([...shape])], x.dtype, out);
  }

  /** Gather along `axis` with int64/int32 indices (a graph input or a constant). */
  gather(data: Value, indices: Value, axis = 0): Value {
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32') throw new ShapeError('Gather', `indices must be int64 or int32, got ${indices.dtype}`);
    const a = normaliseAxis('Gather', axis, data.rank);
    return this.single('Gather', [data, indices], data.dtype, [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)], {
      axis: { type: 'int', value: a },
    });
  }

  /** Torch-style nearest-neighbour ×2 upsampling of the last two dims (Resize-19). */
  resizeNearest2x(x: Value): Value {
    if (x.rank !== 4) throw new ShapeError('Resize', `resizeNearest2x needs [N,C,H,W], got ${shapeText(x.shape)}`);
    const scales = this.constant([1, 1, 2, 2], [4], 'float32');
    return this.single('Resize', [x, undefined, scales], x.dtype, [x.shape[0], x.shape[1], x.shape[2] * 2, x.shape[3] * 2], {
      mode: { type: 'string', value: 'nearest' },
      coordinate_transformation_mode: { type: 'string', value: 'asymmetric' },
      nearest_mode: { type: 'string', value: 'floor' },
    });
  }

  /** Pad-18 with zeros (constant mode); pads = all begins then all ends. */
  padZeros(x: Value, pads: readonly number[]): Value {
    if (pads.length !== 2 * x.rank) throw new ShapeError('Pad', `pads [${pads.join(',')}] must have ${2 * x.rank} entries for ${shapeText(x.shape)}`);
    if (pads.every((p) => p === 0)) return x;
    return this.single('Pad', [x, this.ints([...pads])], x.dtype, x.shape.map((d, i) => d + pads[i] + pads[i + x.rank]));
  }

  /** ScatterND-18 with reduction 'add': data[indices[i]] += updates[i]. */
  scatterNDAdd(data: Value, indices: Value, updates: Value): Value {
    sameDType('ScatterND', data, updates);
    return this.single('ScatterND', [data, indices, updates], data.dtype, data.shape, { reduction: { type: 'string', value: 'add' } });
  }

  /** A tensor of zeros of `shape`, made at run time (no large initialiser). */
  zeros(shape: readonly number[], dtype: DType): Value {
    const zero = this.scalar(0, dtype);
    return shape.length === 0 ? zero : this.single('Expand', [zero, this.ints([...shape])], dtype, shape);
  }
}

function bytesOf(dtype: DType): number {
  return { float32: 4, float64: 8, float16: 2, int64: 8, int32: 4, bool: 1 }[dtype];
}

function onnxTypeCode(dtype: DType): number {
  return { float32: 1, bool: 9, float16: 10, float64: 11, int32: 6, int64: 7 }[dtype];
}

function checkShape(opType: string, shape: readonly number[]): void {
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ShapeError(opType, `shape ${shapeText(shape)} must be non-negative integers (shapes are static)`);
}

function sameDType(opType: string, a: Value, b: Value): void {
  if (a.dtype !== b.dtype) throw new ShapeError(opType, `dtype mismatch: ${a.name} is ${a.dtype}${shapeText(a.shape)}, ${b.name} is ${b.dtype}${shapeText(b.shape)}`);
}

function convAttrs(spatial: number, options: ConvOptions): { strides: number[]; pads: number[]; dilations: number[] } {
  const strides = options.strides ?? new Array(spatial).fill(1);
  const pads = options.pads ?? new Array(2 * spatial).fill(0);
  const dilations = options.dilations ?? new Array(spatial).fill(1);
  if (strides.length !== spatial || dilations.length !== spatial || pads.length !== 2 * spatial) {
    throw new ShapeError('Conv', `strides/dilations need ${spatial} entries and pads ${2 * spatial}`);
  }
  return { strides, pads, dilations };
}

/** Numpy-style start/end clamping for positive steps; [start, end) in index space. */
export function resolveSliceRange(dim: number, start: number, end: number, step: number): [number, number] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  return [s, e];
}

