// The error for what the user gave (flags, run-config.json, the model, the dataset, the
// tokenizer or template files): the CLI exits 2 on it, the extension shows it before anything
// starts. Anything else that stops a run (ONNX Runtime, a full disk) is a failure (exit 1).
export class RunConfigError extends Error {}

/** Runs `read` and turns what it throws into a RunConfigError (bad input, not a failure). */
export function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof RunConfigError) throw error;
    throw new RunConfigError(error instanceof Error ? error.message : String(error));
  }
}
