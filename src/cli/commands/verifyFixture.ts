// `embedding-studio verify-fixture DIR [--model FILE] [--case NAME]...`: runs every case of a
// reference fixture folder through our SD1 graphs on ONNX Runtime CPU and prints one row per
// output with its relative L2 error and the contract's tolerance. Exit 0 only if all pass.
import { existsSync, statSync } from 'node:fs';
import type { CliCommand } from '../cliCommand';
import { verifyFixture, type FixtureRow } from '../../sd/fixtureVerification';
import { parseCommandArguments } from '../commandArguments';

const usage = `Usage: embedding-studio verify-fixture DIR [--model FILE] [--case NAME]...

Runs the cases of the fixture folder DIR (cases.json, cases.safetensors, model files,
config.json for the head counts) through the CLIP, UNet, VAE and textual-inversion graphs
on ONNX Runtime CPU and compares each output with the float64 reference.
  --model FILE   model file in DIR (or a path), e.g. model-fp16.safetensors
                 (default: the model named in cases.json)
  --case NAME    only this case (repeatable)
Tolerances (relative L2): 1e-5 forward cases, 5e-5 ti_loss* outputs, 1e-2 with fp16 weights.
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
    const parsed = parseCommandArguments('verify-fixture', usage, args, { model: { type: 'string' }, case: { type: 'string', multiple: true } });
    if (typeof parsed === 'number') return parsed;
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
    try {
      rows = await verifyFixture(dir, {
        model: parsed.values.model,
        cases: parsed.values.case,
        onRow: (row) => process.stdout.write(formatRow(row)),
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
    process.stdout.write(failed.length === 0 ? `all ${rows.length} outputs within tolerance\n` : `${failed.length} of ${rows.length} outputs out of tolerance\n`);
    return failed.length === 0 ? 0 : 1;
  },
};
