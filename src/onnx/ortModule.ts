// onnxruntime-node, loaded on first use: importing the onnx module stays cheap and safe in
// processes that never create a session (the extension host must never load a native module).
import type * as Ort from 'onnxruntime-node';

let ortModule: typeof Ort | undefined;

export function loadOrt(): typeof Ort {
  // ONNX Runtime 1.30's Linux build starts Microsoft telemetry when it loads: an event store in
  // ~/.cache/Microsoft/DeveloperTools, `.ses` and `mat-debug-<pid>.log` in the temporary folder
  // (one more per process), and upload attempts. Off, unless the user set the variable.
  process.env.ORT_DISABLE_TELEMETRY ??= '1';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ortModule ??= require('onnxruntime-node') as typeof Ort;
  return ortModule;
}

/** ORT's messages start with a source location and a failed check; keep what a user can act on. */
export function conciseOrtMessage(message: string): string {
  const first = message.split('\n')[0];
  const check = first.lastIndexOf(' was false. ');
  return check >= 0 ? first.slice(check + ' was false. '.length) : first;
}
