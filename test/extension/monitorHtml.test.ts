import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNonce, monitorHtml } from '../../src/extension/monitorHtml';

const options = { scriptUri: 'https://file+.vscode-resource/ext/dist/webview/monitor.js', styleUri: 'https://file+.vscode-resource/ext/media/monitor.css', cspSource: 'https://*.vscode-cdn.net', nonce: 'abcdefghijklmnop0123' };

test('the page allows nothing but its own script, style and images', () => {
  const html = monitorHtml(options);
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
  assert.equal(
    csp,
    "default-src &#39;none&#39;; img-src https://*.vscode-cdn.net data:; style-src https://*.vscode-cdn.net; font-src https://*.vscode-cdn.net; script-src &#39;nonce-abcdefghijklmnop0123&#39;",
  );
  const scripts = html.match(/<script[^>]*>/g);
  assert.deepEqual(scripts, [`<script nonce="abcdefghijklmnop0123" src="${options.scriptUri}">`]);
  assert.ok(!/\sstyle="/.test(html), 'no inline style attributes (the CSP forbids them)');
  assert.ok(!/\son[a-z]+="/.test(html), 'no inline event handlers');
});

test('URIs are escaped and a weak nonce is refused', () => {
  const html = monitorHtml({ ...options, styleUri: 'https://x/a.css?"><script>' });
  assert.ok(html.includes('href="https://x/a.css?&quot;&gt;&lt;script&gt;"'));
  assert.throws(() => monitorHtml({ ...options, nonce: 'short' }), /nonce/);
  assert.throws(() => monitorHtml({ ...options, nonce: "abcdefghijklmnop'; script-src *" }), /nonce/);
});

test('nonces are 32 alphanumeric characters from the random source', () => {
  const nonce = createNonce((size) => Uint8Array.from({ length: size }, (_, i) => i * 7));
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  assert.equal(nonce.slice(0, 4), 'AHOV');
});
