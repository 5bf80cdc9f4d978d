// Commands for a running loop (pause, stop, …), queued as they arrive (IPC message, Ctrl+C) and
// taken by the loop between steps; while paused the loop waits for the next one.
import type { TrainerCommand } from '../protocol/trainerMessages';

export class CommandQueue {
  private readonly queue: TrainerCommand[] = [];
  private waiter: ((command: TrainerCommand) => void) | null = null;

  push(command: TrainerCommand): void {
    if (this.waiter) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve(command);
    } else this.queue.push(command);
  }

  next = (): TrainerCommand | undefined => this.queue.shift();

  wait = (): Promise<TrainerCommand> => {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  };
}
