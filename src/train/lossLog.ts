// textual_inversion_loss.csv as A1111 writes it (modules/textual_inversion/textual_inversion.py,
// write_loss, through Python's csv module): header `step,epoch,epoch_step,loss,learn_rate`,
// epoch = (step−1) div epoch length, epoch_step = (step−1) mod epoch length, loss with 7
// decimals (f"{loss:.7f}", so a non-finite loss is written as Python writes it: `nan`, `inf`,
// `-inf`), the rate as Python's str(float) (`1e-05`, `0.005`), every line ended by `\r\n` (the
// csv module's line terminator). Files with `\n` endings are read too. Which steps get a row is
// the loop's business (every --csv-every-th). One deliberate difference: `step` is the number of
// steps done, where A1111 writes its 0-based step index (its first row is step 0, epoch −1; see
// README "Differences from AUTOMATIC1111"). Rows are appended; the file is rewritten
// atomically (temporary file + rename) so a kill never leaves a torn row.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../dataset/atomicWrite';
import { pythonFloatRepr } from './pythonFloat';

/** Python's csv module ends every row, the header included, with CR LF. */
export const lossLogLineEnd = '\r\n';

export const lossLogHeader = 'step,epoch,epoch_step,loss,learn_rate';

export interface LossLogRow {
  step: number;
  /** The step's loss as computed: NaN or ±Infinity when it was not finite. */
  loss: number;
  learnRate: number;
}

/** The loss cell as Python's `f"{loss:.7f}"` writes it (JavaScript would write NaN, Infinity). */
export function formatLossCell(loss: number): string {
  if (Number.isNaN(loss)) return 'nan';
  if (!Number.isFinite(loss)) return loss > 0 ? 'inf' : '-inf';
  return loss.toFixed(7);
}

export function formatLossLogRow(row: LossLogRow, epochLength: number): string {
  const epoch = Math.floor((row.step - 1) / epochLength);
  const epochStep = (row.step - 1) % epochLength;
  return `${row.step},${epoch},${epochStep},${formatLossCell(row.loss)},${pythonFloatRepr(row.learnRate)}`;
}

export class LossLog {
  private lines: string[];

  constructor(
    readonly path: string,
    readonly epochLength: number,
  ) {
    this.lines = existsSync(path) ? readFileSync(path, 'utf8').split(/\r?\n/).filter((l) => l.length > 0) : [];
    if (this.lines.length === 0) this.lines = [lossLogHeader];
    else if (this.lines[0] !== lossLogHeader) throw new Error(`${path}: not a textual-inversion loss log (first line should be "${lossLogHeader}"); move it away or choose another run folder`);
  }

  /**
   * Drops rows after `step` (resuming from an earlier save, or starting afresh after a kill,
   * repeats those steps) and rows a later restart superseded; true when the log changed.
   */
  truncateAfter(step: number): boolean {
    const rows = withoutSupersededRows(this.lines.slice(1)).filter((l) => rowStep(l) <= step);
    const changed = rows.length !== this.lines.length - 1;
    this.lines = [this.lines[0], ...rows];
    return changed;
  }

  append(rows: LossLogRow[]): void {
    if (rows.length === 0) return;
    for (const row of rows) this.lines.push(formatLossLogRow(row, this.epochLength));
    writeFileAtomicSync(this.path, this.lines.join(lossLogLineEnd) + lossLogLineEnd);
  }

  flush(): void {
    writeFileAtomicSync(this.path, this.lines.join(lossLogLineEnd) + lossLogLineEnd);
  }
}

function rowStep(line: string): number {
  return Number(line.slice(0, line.indexOf(',')));
}

/**
 * Steps only increase in a log: a row for step s written after rows for s or later (a run
 * restarted from an earlier point, by older versions that appended regardless) replaces them.
 */
export function withoutSupersededRows(rows: readonly string[]): string[] {
  const kept: string[] = [];
  for (const row of rows) {
    const step = rowStep(row);
    while (kept.length > 0 && rowStep(kept[kept.length - 1]) >= step) kept.pop();
    kept.push(row);
  }
  return kept;
}
