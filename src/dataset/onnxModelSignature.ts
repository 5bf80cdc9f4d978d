// Reads the inputs and outputs declared by an .onnx file without decoding its weights: the
// protobuf fields are walked and only the graph's input/output ValueInfos are decoded. The
// tagger needs them before (and independently of) creating a session: the input name, its
// NHWC size, and whether the batch dimension is dynamic (WD14 v2 exports: fixed 1; v3: dynamic).
import { promises as fs } from 'node:fs';
import { onnx } from 'onnx-proto';
import { Reader } from 'protobufjs/minimal';

/** A dimension: a number, or a name/null for a dynamic one. */
export type Dimension = number | string | null;

export interface TensorSignature {
  name: string;
  elementType: number;
  shape: Dimension[];
}

export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

const modelGraphField = 7;
const graphInputField = 11;
const graphOutputField = 12;
const graphInitializerField = 5;

export function readModelSignature(bytes: Uint8Array, file = 'model.onnx'): ModelSignature {
  try {
    const reader = Reader.create(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === modelGraphField && (tag & 7) === 2) {
        const length = reader.uint32();
        return readGraph(reader, bytes, reader.pos + length);
      }
      reader.skipType(tag & 7);
    }
  } catch (error) {
    throw new Error(`${file}: not a readable ONNX model (${(error as Error).message}) — check that the file is the tagger's model.onnx and fully downloaded`);
  }
  throw new Error(`${file}: the ONNX file has no graph — check that it is the tagger's model.onnx and fully downloaded`);
}

function readGraph(reader: Reader, bytes: Uint8Array, end: number): ModelSignature {
  const inputs: TensorSignature[] = [];
  const outputs: TensorSignature[] = [];
  const initializerNames = new Set<string>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if ((field === graphInputField || field === graphOutputField) && (tag & 7) === 2) {
      // onnx-proto carries its own protobufjs copy, so it decodes a byte slice, not our Reader.
      const length = reader.uint32();
      const info = onnx.ValueInfoProto.decode(bytes.subarray(reader.pos, reader.pos + length));
      reader.pos += length;
      (field === graphInputField ? inputs : outputs).push(signatureOf(info));
    } else if (field === graphInitializerField && (tag & 7) === 2) {
      // Older exports list initialisers among the inputs; only the name is needed to drop them.
      const length = reader.uint32();
      const initializerEnd = reader.pos + length;
      while (reader.pos < initializerEnd) {
        const innerTag = reader.uint32();
        if (innerTag >>> 3 === 8 && (innerTag & 7) === 2) initializerNames.add(reader.string());
        else reader.skipType(innerTag & 7);
      }
    } else {
      reader.skipType(tag & 7);
    }
  }
  return { inputs: inputs.filter((i) => !initializerNames.has(i.name)), outputs };
}

function signatureOf(info: onnx.IValueInfoProto): TensorSignature {
  const tensor = info.type?.tensorType;
  const shape: Dimension[] = (tensor?.shape?.dim ?? []).map((d) => {
    if (d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0) return Number(d.dimValue);
    return d.dimParam ? d.dimParam : null;
  });
  return { name: info.name ?? '', elementType: tensor?.elemType ?? 0, shape };
}

export async function readModelSignatureFile(file: string): Promise<ModelSignature> {
  let bytes: Uint8Array;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new Error(`${file}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}) — point the tagger at the model.onnx you downloaded`);
  }
  return readModelSignature(bytes, file);
}
