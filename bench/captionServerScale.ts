// The caption language server at dataset scale, measured over its real protocol (a separate
// process, JSON-RPC over stdio): N captions beside real tiny PNGs. Prints the cold start
// (initialize → every diagnostic published), the keystroke path (didChange → diagnostics of that
// version published), completion and hover, each against references measured in the same run:
// a plain read-and-split of every caption in this process (for the cold start) and a JSON-RPC
// round trip that does no work (for the per-keystroke paths).
//   node --import tsx bench/captionServerScale.ts [captions] [--stdio]
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  HoverRequest,
} from 'vscode-languageserver-protocol/node';
import { ruleDocRequest } from '../src/protocol/languageServerMessages';
import { LanguageServerClient, fileUri } from '../test/server/languageServerClient';

const count = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 10_000);
const samples = 40;

const pool = [
  '1girl', 'solo', 'long hair', 'short hair', 'blonde hair', 'blue eyes', 'red eyes', 'smile', 'open mouth', 'school uniform',
  'serafuku', 'pleated skirt', 'white shirt', 'black thighhighs', 'simple background', 'white background', 'outdoors', 'leaf',
  'maple leaf', 'cherry blossoms', 'standing', 'sitting', 'upper body', 'looking at viewer', 'blush', 'hair ornament', 'absurdres',
];

function caption(i: number): string {
  const tags = new Set<string>(['1girl']);
  let state = (i * 2654435761) >>> 0;
  for (let k = 0; k < 12; k++) {
    state = (state * 1103515245 + 12345) >>> 0;
    tags.add(pool[state % pool.length]);
  }
  tags.add(`rare tag ${i % 997}`);
  return [...tags].join(', ');
}

/** CPU time (user + system, all threads) a process has used, from /proc; undefined elsewhere. */
function processCpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'es-server-scale-'));
  // Over IPC, as the extension's language client runs it (`--stdio` for the other editors' way).
  const transport = process.argv.includes('--stdio') ? 'stdio' : 'ipc';
  const client = LanguageServerClient.start(transport);
  try {
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#808080' } }).png().toBuffer();
    for (let i = 0; i < count; i++) {
      const stem = `img${String(i).padStart(5, '0')}`;
      writeFileSync(join(dir, `${stem}.txt`), caption(i));
      writeFileSync(join(dir, `${stem}.png`), png);
    }
    let t = performance.now();
    let tags = 0;
    for (let i = 0; i < count; i++) tags += readFileSync(join(dir, `img${String(i).padStart(5, '0')}.txt`), 'utf8').split(',').length;
    const readReference = performance.now() - t;

    // Warm the server process (module loading through tsx is not the server's work).
    await client.connection.sendRequest(ruleDocRequest, { id: 'vague-tag' }).catch(() => undefined);
    const cpuBefore = processCpuMs(client.pid);
    t = performance.now();
    const status = await client.initialize(dir);
    const cold = performance.now() - t;
    const cpuAfter = processCpuMs(client.pid);
    const coldCpu = cpuBefore !== undefined && cpuAfter !== undefined ? ` (server process CPU, all threads: ${ms(cpuAfter - cpuBefore)})` : '';

    const rpc: number[] = [];
    for (let i = 0; i < samples; i++) {
      t = performance.now();
      await client.connection.sendRequest(ruleDocRequest, { id: 'vague-tag' });
      rpc.push(performance.now() - t);
    }

    const uri = fileUri(join(dir, 'img00007.txt'));
    let text = caption(7);
    let version = 1;
    await client.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'plaintext', version, text } });
    await client.diagnosticsAtVersion(uri, version);
    const keystroke: number[] = [];
    for (let i = 0; i < samples; i++) {
      version++;
      // Alternate typing a tag that affects dataset-wide facts and deleting it again.
      text = i % 2 === 0 ? `${text}, leaf` : text.slice(0, -', leaf'.length);
      t = performance.now();
      await client.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
      await client.diagnosticsAtVersion(uri, version);
      keystroke.push(performance.now() - t);
    }
    const position = { line: 0, character: text.length };
    const completion: number[] = [];
    const hover: number[] = [];
    for (let i = 0; i < samples; i++) {
      t = performance.now();
      await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position });
      completion.push(performance.now() - t);
      t = performance.now();
      await client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 2 } });
      hover.push(performance.now() - t);
    }

    const rpcMedian = median(rpc);
    console.log(`caption server over ${transport}, ${count} captions + ${count} PNGs (${tags} tags); ${status.message}`);
    console.log(`reference: read+split every caption in-process ${ms(readReference)}; empty JSON-RPC round trip ${ms(rpcMedian)} (median)`);
    console.log(`cold start (initialize → all diagnostics published): ${ms(cold)}${coldCpu}  = ${(cold / readReference).toFixed(1)}× the read reference`);
    console.log(`keystroke (didChange → diagnostics of that version): median ${ms(median(keystroke))}, max ${ms(Math.max(...keystroke))}  = ${(median(keystroke) / rpcMedian).toFixed(1)}× a round trip`);
    console.log(`completion: median ${ms(median(completion))}  = ${(median(completion) / rpcMedian).toFixed(1)}× a round trip`);
    console.log(`hover: median ${ms(median(hover))}  = ${(median(hover) / rpcMedian).toFixed(1)}× a round trip`);
  } finally {
    await client.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
