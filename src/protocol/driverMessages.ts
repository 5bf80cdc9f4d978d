// GPU-driver chatter on a process's native stderr: Dawn (the WebGPU implementation inside
// onnxruntime-node), the Vulkan loader and its layers, Mesa and libwayland write straight to file
// descriptor 2, e.g.
//   error: XDG_RUNTIME_DIR is invalid or not set in the environment.      (libwayland, through Mesa's device_select layer)
//   Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.          (Dawn refusing lavapipe; 3 lines with its trace)
//   Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared …   (Dawn, no Vulkan loader)
// None of it is about training, and Node cannot intercept a native write in-process, so the
// processes that read a child's stderr (the CLI, the extension host: hence here, beside the typed
// messages between processes, and not in src/onnx) split it with DriverMessageFilter: driver lines to a log
// (the trainer's `trainer.log`), everything else through.

/** Lines that are driver messages on their own. */
const driverLines: RegExp[] = [
  /^error: XDG_RUNTIME_DIR is invalid or not set in the environment\.?$/,
  /^(ERROR|WARNING|INFO|DEBUG|PERF|VALIDATION): ?\[Loader Message\]/,
  /^WARNING: lavapipe is not a conformant vulkan implementation/,
  /^MESA(-LOADER)?: /,
  /^libEGL warning: /,
  /^ZINK: /,
];

/**
 * A Dawn message: "Warning: …" (or Error/Info/Debug), then " - While …" context lines and
 * "    at Fn (…/dawn-src/…)". It is told from a JavaScript stack trace, which looks alike, by a
 * frame in Dawn's sources, Dawn's backend context, or a first line about Vulkan itself (a Vulkan
 * function, or the Vulkan loader's own `loader_…:` messages).
 */
const dawnStart = /^(Warning|Error|Info|Debug): /;
const dawnContinuation = /^( - |    at |\s*$)/;
const dawnEvidence = [/^    at .*[/\\]dawn[/\\-]/i, /^ - While .*BackendType::/, /^(Warning|Error): (vk[A-Z]\w+|Vulkan |Couldn't load Vulkan|loader_\w+: )/];

export function isDriverLine(line: string): boolean {
  return driverLines.some((pattern) => pattern.test(line));
}

export interface DriverMessageFilterOptions {
  /** A driver message (one or more lines, each ending in \n). */
  onDriver: (text: string) => void;
  /** Anything else, in order. */
  onOther: (text: string) => void;
  /** A "Warning:" block is held this long for its continuation lines (Dawn writes a block at once). */
  holdMs?: number;
}

/** Splits a stream of text into driver messages and the rest, line by line, keeping the order of each. */
export class DriverMessageFilter {
  private partial = '';
  private block: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Driver messages seen so far (blocks and lines). */
  count = 0;

  constructor(private readonly options: DriverMessageFilterOptions) {}

  write(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
    // a block waits for its continuation lines, an unfinished line for its end: not for long
    if (this.block.length > 0 || this.partial !== '') this.hold();
  }

  /** Flushes whatever is held (the stream ended). */
  end(): void {
    if (this.partial !== '') {
      this.line(this.partial);
      this.partial = '';
    }
    this.flushBlock();
  }

  private line(line: string): void {
    if (this.block.length > 0) {
      if (dawnContinuation.test(line)) {
        this.block.push(line);
        return;
      }
      this.flushBlock();
    }
    if (dawnStart.test(line)) {
      this.block.push(line);
      return;
    }
    if (isDriverLine(line)) {
      this.count++;
      this.options.onDriver(`${line}\n`);
    } else this.options.onOther(`${line}\n`);
  }

  private hold(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.end(), this.options.holdMs ?? 150);
    this.timer.unref?.();
  }

  private flushBlock(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.block.length === 0) return;
    const text = this.block.map((l) => `${l}\n`).join('');
    const driver = this.block.some((l) => dawnEvidence.some((pattern) => pattern.test(l)));
    this.block = [];
    if (driver) {
      this.count++;
      this.options.onDriver(text);
    } else this.options.onOther(text);
  }
}
