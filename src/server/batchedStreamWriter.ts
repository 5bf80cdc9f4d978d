// The LSP message writer for `--stdio`. vscode-jsonrpc's stream writer sends each message on its
// own event-loop turn through a semaphore; a cold start publishes diagnostics for thousands of
// files at once, and that path cost the server about as much CPU as linting them. This writer
// frames each message at once and writes everything written in one turn as a single chunk, in order.
import { AbstractMessageWriter, type Message, type MessageWriter } from 'vscode-languageserver/node';

export class BatchedStreamWriter extends AbstractMessageWriter implements MessageWriter {
  private pending: string[] = [];
  private scheduled = false;
  private errorCount = 0;

  constructor(private readonly output: NodeJS.WritableStream) {
    super();
    output.on('error', (error: Error) => this.fireError(error));
    output.on('close', () => this.fireClose());
  }

  write(message: Message): Promise<void> {
    const json = JSON.stringify(message);
    this.pending.push(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return Promise.resolve();
  }

  end(): void {
    this.flush();
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.output.write(chunk, 'utf8', (error?: Error | null) => {
      if (error) {
        this.errorCount++;
        this.fireError(error, undefined, this.errorCount);
      } else {
        this.errorCount = 0;
      }
    });
  }
}
