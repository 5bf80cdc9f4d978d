// The fp16 fixture model derived from the float32 one, as the fixture's README defines it: "the
// same tensors cast to float16 (schedule buffers too; position_ids stays int64)". Only the
// float32 model travels to the GPU machine; this writes the other one there.
import { openSafetensors, writeSafetensors, type SafetensorsTensorData } from '../../src/sd/safetensors';
import { float32ArrayToFloat16 } from '../../src/sd/float16';

export function writeFloat16Copy(source: string, destination: string): { converted: number; kept: number } {
  const file = openSafetensors(source);
  try {
    let converted = 0;
    let kept = 0;
    const tensors: SafetensorsTensorData[] = [...file.tensors.entries()].map(([name, info]) => {
      if (info.dtype === 'F32' || info.dtype === 'F64') {
        converted++;
        return { name, dtype: 'F16', shape: info.shape, data: float32ArrayToFloat16(file.readFloat32(name)) };
      }
      kept++;
      return { name, dtype: info.dtype, shape: info.shape, data: file.readRaw(name) };
    });
    writeSafetensors(destination, tensors, file.metadata);
    return { converted, kept };
  } finally {
    file.close();
  }
}
