// `embedding-studio verify-fixture DIR [--model FILE] [--case NAME]... [--provider P]`: runs
// every case of a reference fixture folder through our SD1 graphs on an ONNX Runtime provider and
// prints one row per output with its relative L2 error and the contract's tolerance (the same on
// every provider). Exit 0 only if all pass.
import { existsSync, statSync } from 'node:fs';
import type { CliCommand } from '../cliCommand';
import { describeNodePlacement, type ProviderChoice } from '../../onnx';
import { verifyFixture, type FixtureRow } from '../../sd/fixtureVerification';
import { parseCommandArguments } from '../commandArguments';

const providers: readonly ProviderChoice[] = ['cpu', 'webgpu', 'cuda', 'dml', 'auto'];

const usage = `Usage: embedding-studio verify-fixture DIR [--model FILE] [--case NAME]... [--provider P]

Runs the cases of the fixture folder DIR (cases.json, cases.safetensors, model files,
config.json for the head counts) through the CLIP, UNet, VAE and textual-inversion graphs
on ONNX Runtime and compares each output with the float64 reference.
  --model FILE   model file in DIR (or a path), e.g. model-fp16.safetensors
                 (default: the model named in cases.json)
  --case NAME    only this case (repeatable)
  --provider P   cpu (default), webgpu, cuda, dml or auto; a GPU provider named here never
                 falls back to the CPU, and any compute node ORT runs on the CPU instead is
                 reported on stderr
Tolerances (relative L2), on every provider: 1e-5 forward cases, 5e-5 ti_loss* outputs,
1e-2 with fp16 weights.
Exit status: 0 all outputs within tolerance, 1 some are not, 2 bad usage or unreadable input.
`;

function formatRow(row: FixtureRow): string {
  const output = row.aux ? `${row.output} (aux)` : row.output;
  return `${row.case.padEnd(22)} ${output.padEnd(26)} ${row.relL2.toExponential(3).padStart(10)} ${row.tolerance.toExponential(0).padStart(6)}  ${row.pass ? 'pass' : 'FAIL'}\n`;
}

export const verifyFixtureCommand: CliCommand = {
  name: 'verify-fixture',
  summary: 'Check our SD1 graphs against a reference fixture folder (rel-L2 per output)',
  async run(args) {
    const parsed = parseCommandArguments('verify-fixture', usage, args, {
      model: { type: 'string' },
      case: { type: 'string', multiple: true },
      provider: { type: 'string', default: 'cpu' },
    });
    if (typeof parsed === 'number') return parsed;
    const provider = parsed.values.provider as ProviderChoice;
    if (!providers.includes(provider)) {
      process.stderr.write(`embedding-studio verify-fixture: --provider must be one of ${providers.join(', ')}, not '${parsed.values.provider}'\n`);
      return 2;
    }
    const [dir, ...extra] = parsed.positionals;
    if (!dir || extra.length > 0) {
      process.stderr.write(`embedding-studio verify-fixture: give exactly one fixture folder\n\n${usage}`);
      return 2;
    }
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`embedding-studio verify-fixture: ${dir} is not a folder — give a fixture folder holding cases.json\n`);
      return 2;
    }
    process.stdout.write(`${'case'.padEnd(22)} ${'output'.padEnd(26)} ${'rel-L2'.padStart(10)} ${'tol'.padStart(6)}  result\n`);
    let rows: FixtureRow[];
    const reported = new Set<string>();
    let cpuComputeNodes = 0;
    try {
      rows = await verifyFixture(dir, {
        model: parsed.values.model,
        cases: parsed.values.case,
        provider,
        onRow: (row) => process.stdout.write(formatRow(row)),
        onSession: (caseName, session) => {
          // once per outcome (provider and notes), not once per case
          const text = `verify-fixture: ${reported.size === 0 ? 'running' : `from case ${caseName}`} on ${session.provider}\n${session.providerNotes.map((n) => `  provider note: ${n}\n`).join('')}`;
          const key = JSON.stringify([session.provider, session.providerNotes]);
          if (!reported.has(key)) process.stderr.write(text);
          reported.add(key);
        },
        onNodePlacement: (report) => {
          cpuComputeNodes += report.cpuCompute.length;
          if (report.cpuCompute.length > 0) process.stderr.write(`verify-fixture: placement: ${describeNodePlacement(report)}\n`);
        },
      });
    } catch (error) {
      process.stderr.write(`embedding-studio verify-fixture: ${(error as Error).message}\n`);
      return 2;
    }
    if (rows.length === 0) {
      process.stderr.write(`embedding-studio verify-fixture: no case matched${parsed.values.case ? ` ${parsed.values.case.join(', ')}` : ''}\n`);
      return 2;
    }
    const failed = rows.filter((row) => !row.pass);
    const where = provider === 'cpu' ? '' : ` (${provider}${cpuComputeNodes ? `; ${cpuComputeNodes} compute nodes ran on the CPU, see stderr` : ''})`;
    process.stdout.write(failed.length === 0 ? `all ${rows.length} outputs within tolerance${where}\n` : `${failed.length} of ${rows.length} outputs out of tolerance${where}\n`);
    return failed.length === 0 ? 0 : 1;
  },
};
