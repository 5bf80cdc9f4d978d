// The float16 copy of a float32 safetensors checkpoint, as the sd1-tiny fixture set made its
// model-fp16.safetensors: the same tensors in the same order, F32 → F16 (round to nearest, ties
// to even), other dtypes (position_ids' int64) unchanged, metadata kept with ", float16 copy"
// added to its description. Only the float32 fixture is stored; tests and the GPU check derive
// the other one with this (test/sd/fixtureFiles.test.ts checks it against the set's SHA-256).
import { float32ArrayToFloat16 } from './float16';
import { openSafetensors, writeSafetensors, type SafetensorsTensorData } from './safetensors';

export function writeFloat16Checkpoint(source: string, destination: string): { converted: number; kept: number } {
  const file = openSafetensors(source);
  try {
    let converted = 0;
    const tensors: SafetensorsTensorData[] = [...file.tensors.values()]
      .sort((a, b) => a.fileOffset - b.fileOffset)
      .map(({ name, dtype, shape }) => {
        if (dtype !== 'F32') return { name, dtype, shape, data: file.readRaw(name) };
        converted++;
        return { name, dtype: 'F16', shape, data: float32ArrayToFloat16(file.readFloat32(name)) };
      });
    const metadata = { ...file.metadata };
    if (metadata.description !== undefined) metadata.description += ', float16 copy';
    writeSafetensors(destination, tensors, metadata);
    return { converted, kept: tensors.length - converted };
  } finally {
    file.close();
  }
}
