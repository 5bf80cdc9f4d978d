// Restricted Mode (an untrusted folder): the extension still lints captions (it declares
// `untrustedWorkspaces: limited`). Screenshots: .test-artifacts/e2e/restricted-mode.
import { after, before, it } from 'node:test';
import { rmSync } from 'node:fs';
import { writeDataset } from '../server/generatedDataset';
import { startCodeServer, timeouts, waitForProblem, type CodeServerSession } from './codeServer';

let dataset: string;
let session: CodeServerSession;

before(async () => {
  dataset = await writeDataset([
    { stem: 'bob_01', caption: '1boy, short hair, absurdres' },
    { stem: 'bob_02', caption: '1boy, short hair' },
  ]);
  session = await startCodeServer({ workspace: dataset, workspaceTrust: true, name: 'restricted-mode' });
});

after(async () => {
  await session?.stop();
  rmSync(dataset, { recursive: true, force: true });
});

it('lints captions in an untrusted folder', async () => {
  const { page } = session;
  const dontTrust = page.locator('.monaco-dialog-box .monaco-button', { hasText: /No, I don't trust/ });
  await dontTrust.waitFor({ timeout: timeouts.workbench });
  await session.screenshot('trust-dialog');
  await dontTrust.click();
  await page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: timeouts.screen });
  await waitForProblem(page, /absurdres/);
  await session.screenshot('restricted-problems');
});
