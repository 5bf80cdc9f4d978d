// The training monitor page's HTML. Pure (no vscode import) so the browser tests load exactly the
// page the panel shows. Strict Content-Security-Policy: nothing loads but our own bundled script
// (by nonce), our stylesheet and preview images from the webview's resource origin.

export interface MonitorHtmlOptions {
  /** The bundled page script (dist/webview/monitor.js) as a webview URI. */
  scriptUri: string;
  /** The stylesheet (media/monitor.css) as a webview URI. */
  styleUri: string;
  /** `webview.cspSource`: the origin webview resources are served from. */
  cspSource: string;
  /** A fresh random value per page load. */
  nonce: string;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]);

/** A nonce for the page's script: 32 characters from [A-Za-z0-9]. */
export function createNonce(random: (size: number) => Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(random(32), (byte) => alphabet[byte % alphabet.length]).join('');
}

export function monitorHtml({ scriptUri, styleUri, cspSource, nonce }: MonitorHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error('monitorHtml: the nonce must be at least 16 base64/alphanumeric characters');
  const csp = [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>Training monitor</title>
</head>
<body>
<header class="run-header">
  <div class="run-title">
    <h1 id="run-title">Training monitor</h1>
    <span id="run-status" class="status-badge" data-status="waiting" role="status">Waiting for the trainer</span>
  </div>
  <div class="controls" role="toolbar" aria-label="Training controls">
    <button type="button" id="control-pause" class="secondary" aria-label="Pause training">Pause</button>
    <button type="button" id="control-resume" class="secondary" aria-label="Resume training">Resume</button>
    <button type="button" id="control-save" class="secondary" aria-label="Save the embedding now">Save now</button>
    <button type="button" id="control-stop" class="danger" aria-label="Stop training">Stop</button>
  </div>
</header>
<div id="host-notice" class="host-notice" role="status" hidden></div>
<section id="notices" class="notices" aria-label="Guidance"></section>
<section class="figures" aria-label="Current figures">
  <dl id="figures"></dl>
  <progress id="step-progress" max="1" value="0" aria-label="Steps done"></progress>
  <p id="phase" class="phase" role="status"></p>
</section>
<div class="layout">
  <section class="chart-panel" aria-label="Loss and learning rate">
    <div class="chart-box">
      <canvas id="loss-chart" role="img" aria-label="Loss per step with its moving average, the learning rate, saved embeddings and the loss zones"></canvas>
    </div>
    <p id="loss-note" class="help" data-level="warning" role="status" hidden></p>
  </section>
  <aside class="side-panel">
    <section aria-labelledby="lr-heading">
      <h2 id="lr-heading">Learning rate</h2>
      <form id="lr-form" class="lr-form" novalidate>
        <label for="lr-input">Schedule</label>
        <div class="lr-row">
          <input id="lr-input" type="text" spellcheck="false" autocomplete="off" placeholder="0.005:12000, 0.0001:20000, 0.00001" aria-describedby="lr-help">
          <button type="submit" id="lr-apply">Apply</button>
        </div>
        <p id="lr-help" class="help">A rate, or rate:step pairs as in AUTOMATIC1111.</p>
      </form>
    </section>
    <section aria-labelledby="run-heading">
      <h2 id="run-heading">Run</h2>
      <dl id="run-info" class="run-info"></dl>
      <details id="config-details">
        <summary>Configuration</summary>
        <dl id="run-config" class="run-config"></dl>
      </details>
      <ul id="run-log" class="run-log" aria-label="Trainer messages"></ul>
    </section>
  </aside>
</div>
<section class="gallery-panel" aria-labelledby="gallery-heading">
  <div class="gallery-header">
    <h2 id="gallery-heading">Previews</h2>
    <span id="compare-hint" class="help">Select two previews to compare them side by side.</span>
    <button type="button" id="compare-open" class="secondary" disabled>Compare selected</button>
  </div>
  <ul id="gallery" class="gallery"></ul>
</section>
<dialog id="viewer" class="viewer" aria-labelledby="viewer-title">
  <div class="viewer-header">
    <h2 id="viewer-title">Preview</h2>
    <button type="button" id="viewer-close" class="secondary" aria-label="Close">Close</button>
  </div>
  <div id="viewer-body" class="viewer-body"></div>
</dialog>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}
