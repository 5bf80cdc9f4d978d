// The crop-review page's HTML. Pure (no vscode import), so the extension panel and the browser
// tests load the same page. Strict CSP: our bundled script and our inline stylesheet by nonce,
// images only from the webview's resource origin.

export interface ReviewHtmlOptions {
  /** dist/webview/review.js as a webview URI. */
  scriptUri: string;
  /** `webview.cspSource`. */
  cspSource: string;
  /** A fresh random value per page load (at least 16 alphanumeric characters). */
  nonce: string;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]);

const styles = `
body { font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1e1e1e); margin: 0; padding: 12px; }
header { display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; margin-bottom: 12px; }
h1 { font-size: 1.2em; margin: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--vscode-panel-border, #444); border-radius: 4px; padding: 8px; display: flex; flex-direction: column; gap: 6px; background: var(--vscode-sideBar-background, transparent); }
.card img { width: 100%; aspect-ratio: 1; object-fit: contain; background: var(--vscode-editorWidget-background, #252526); }
.name { font-weight: 600; overflow-wrap: anywhere; }
.caption { font-family: var(--vscode-editor-font-family, monospace); font-size: 0.9em; overflow-wrap: anywhere; max-height: 6em; overflow: auto; }
.caption.missing { color: var(--vscode-editorWarning-foreground, #cca700); font-family: inherit; }
.problems { margin: 0; padding-left: 1.2em; font-size: 0.9em; }
.problems .error { color: var(--vscode-editorError-foreground, #f48771); }
.problems .warning { color: var(--vscode-editorWarning-foreground, #cca700); }
.problems .information, .problems .hint { color: var(--vscode-editorInfo-foreground, #75beff); }
.actions { display: flex; gap: 6px; flex-wrap: wrap; }
button { font: inherit; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); border: none; padding: 4px 10px; border-radius: 2px; cursor: pointer; }
button.secondary { color: var(--vscode-button-secondaryForeground, #fff); background: var(--vscode-button-secondaryBackground, #3a3d41); }
button:focus-visible, .selection:focus-visible { outline: 1px solid var(--vscode-focusBorder, #007fd4); outline-offset: 2px; }
.editor { position: fixed; inset: 0; background: rgba(0, 0, 0, 0.6); display: flex; align-items: center; justify-content: center; }
.editor[hidden] { display: none; }
.editor-box { background: var(--vscode-editor-background, #1e1e1e); border: 1px solid var(--vscode-panel-border, #444); padding: 12px; display: flex; flex-direction: column; gap: 8px; }
.stage { position: relative; user-select: none; touch-action: none; }
.stage img { display: block; }
.selection { position: absolute; box-sizing: border-box; border: 2px solid var(--vscode-focusBorder, #007fd4); box-shadow: 0 0 0 9999px rgba(0, 0, 0, 0.45); cursor: move; }
.handle { position: absolute; right: -7px; bottom: -7px; width: 14px; height: 14px; background: var(--vscode-focusBorder, #007fd4); cursor: nwse-resize; }
.help { font-size: 0.9em; opacity: 0.8; margin: 0; }
`;

export function reviewHtml({ scriptUri, cspSource, nonce }: ReviewHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error('reviewHtml: the nonce must be at least 16 base64/alphanumeric characters');
  const csp = ["default-src 'none'", `img-src ${cspSource} data:`, `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style nonce="${escapeAttribute(nonce)}">${styles}</style>
<title>Crop review</title>
</head>
<body>
<header>
  <h1 id="title">Crop review</h1>
  <span id="summary" role="status"></span>
  <label><input type="checkbox" id="only-problems"> Only images with problems</label>
</header>
<main id="grid" class="grid" aria-label="Preprocessed images"></main>
<div id="editor" class="editor" hidden role="dialog" aria-modal="true" aria-labelledby="editor-title">
  <div class="editor-box">
    <strong id="editor-title">Re-crop</strong>
    <p class="help">Drag the square to move it, its corner to resize it; arrow keys move (Shift: faster), + and − resize.</p>
    <div id="stage" class="stage">
      <img id="editor-image" alt="">
      <div id="selection" class="selection" tabindex="0" role="slider" aria-label="Crop square"><div id="handle" class="handle"></div></div>
    </div>
    <span id="editor-figures" class="help"></span>
    <div class="actions">
      <button type="button" id="editor-save">Save crop</button>
      <button type="button" id="editor-cancel" class="secondary">Cancel</button>
    </div>
  </div>
</div>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}
